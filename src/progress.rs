//! Progress display for `confq ingest --wait`: one spinner per run on a terminal, plain lines
//! (one per status change) otherwise, nothing with `--json`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use entity::store::{Run, RunId, RunStatus};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// Shows each run's status as it changes.
pub(crate) struct Progress {
    bars: HashMap<RunId, ProgressBar>,
    last: Mutex<HashMap<RunId, RunStatus>>,
    plain: bool,
    enabled: bool,
}

impl Progress {
    /// A display for `runs`; silent unless `enabled`.
    pub(crate) fn new(runs: &[Run], enabled: bool) -> Self {
        // Spinners only when a person watches both streams; otherwise one line per status change.
        let plain = !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal();
        let multi = MultiProgress::new();
        let style = ProgressStyle::with_template("{spinner} run {prefix}: {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bars = if enabled && !plain {
            runs.iter()
                .map(|run| {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(style.clone());
                    bar.set_prefix(format!(
                        "{} {}",
                        run.id,
                        crate::terminal::escape(&run.filename)
                    ));
                    bar.enable_steady_tick(Duration::from_millis(120));
                    (run.id, bar)
                })
                .collect()
        } else {
            HashMap::new()
        };
        Self {
            bars,
            last: Mutex::new(HashMap::new()),
            plain,
            enabled,
        }
    }

    /// Shows `run`'s latest status.
    pub(crate) fn update(&self, run: &Run) {
        if !self.enabled {
            return;
        }
        // Names and messages come from producers and tasks: escaped for the terminal.
        let message = crate::terminal::escape(&describe(run));
        if let Some(bar) = self.bars.get(&run.id) {
            bar.set_message(message);
            return;
        }
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.plain && last.insert(run.id, run.status) != Some(run.status) {
            let filename = crate::terminal::escape(&run.filename);
            eprintln!("run {} ({filename}): {message}", run.id);
        }
    }

    /// Stops the spinners.
    pub(crate) fn finish(&self) {
        for bar in self.bars.values() {
            bar.finish();
        }
    }
}

fn describe(run: &Run) -> String {
    match (&run.status, &run.error_message) {
        (RunStatus::Retrying | RunStatus::Failed | RunStatus::Cancelled, Some(message)) => {
            format!("{}: {message}", run.status.as_str())
        }
        _ => run.status.as_str().to_owned(),
    }
}
