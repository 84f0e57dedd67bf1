//! What an ingestion attempt reached, for the run's metrics however it ends: the files and
//! stanzas it got to, the wall-clock time since the run's first start (all attempts), and the
//! seconds its phases took (read, parse, write) as far as it got.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::store::RunMetrics;

/// Counts of one attempt, shared by the task (which fills them) and its hooks (which report
/// them when the attempt fails).
#[derive(Debug)]
pub(crate) struct Tally {
    started_at: DateTime<Utc>,
    files_parsed: AtomicI64,
    parse_errors: AtomicI64,
    stanzas_created: AtomicI64,
    warnings: Mutex<Vec<String>>,
    /// Microseconds per [`Phase`]; `u64::MAX` until the phase ran.
    phases: [AtomicU64; 3],
}

/// A phase of an attempt whose seconds the run's metrics carry.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Phase {
    /// `read_seconds`: inflating, walking the archive, caps, SHA-256, copying members.
    Read = 0,
    /// `parse_seconds`: the members' text into stanzas.
    Parse = 1,
    /// `write_seconds`: the results transaction (files and stanzas).
    Write = 2,
}

impl Tally {
    /// An empty tally of a run first started at `started_at`.
    pub(crate) fn new(started_at: DateTime<Utc>) -> Self {
        Self {
            started_at,
            files_parsed: AtomicI64::new(0),
            parse_errors: AtomicI64::new(0),
            stanzas_created: AtomicI64::new(0),
            warnings: Mutex::new(Vec::new()),
            phases: [const { AtomicU64::new(u64::MAX) }; 3],
        }
    }

    /// `phase` took `elapsed`.
    pub(crate) fn timed(&self, phase: Phase, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX - 1);
        self.phases[phase as usize].store(micros, Ordering::Relaxed);
    }

    /// The seconds `phase` took, if it ran.
    fn seconds(&self, phase: Phase) -> Option<f64> {
        let micros = self.phases[phase as usize].load(Ordering::Relaxed);
        #[allow(clippy::cast_precision_loss)]
        (micros != u64::MAX).then(|| micros as f64 / 1e6)
    }

    /// The archive was read: `files` files parsed, `parse_errors` of them with an error.
    pub(crate) fn parsed(&self, files: usize, parse_errors: usize) {
        self.files_parsed.store(count(files), Ordering::Relaxed);
        self.parse_errors
            .store(count(parse_errors), Ordering::Relaxed);
    }

    /// The archive reader's warnings (the first [`entity::store::RUN_WARNINGS`] are kept).
    pub(super) fn warned(&self, warnings: Vec<String>) {
        let mut kept = warnings;
        kept.truncate(entity::store::RUN_WARNINGS);
        *self.warnings.lock().unwrap_or_else(|e| e.into_inner()) = kept;
    }

    /// The results were written: `stanzas` stanzas stored.
    pub(crate) fn written(&self, stanzas: u64) {
        let stanzas = i64::try_from(stanzas).unwrap_or(i64::MAX);
        self.stanzas_created.store(stanzas, Ordering::Relaxed);
    }

    /// The run's metrics now, after `retry_count` retries, ending with `error_type`.
    pub(crate) fn metrics(&self, retry_count: u32, error_type: Option<&str>) -> RunMetrics {
        let elapsed = (Utc::now() - self.started_at)
            .num_microseconds()
            .unwrap_or(i64::MAX)
            .max(0);
        RunMetrics {
            files_parsed: self.files_parsed.load(Ordering::Relaxed),
            stanzas_created: self.stanzas_created.load(Ordering::Relaxed),
            duration_seconds: elapsed as f64 / 1e6,
            parse_errors: self.parse_errors.load(Ordering::Relaxed),
            retry_count: i64::from(retry_count),
            error_type: error_type.map(str::to_owned),
            warnings: self
                .warnings
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            read_seconds: self.seconds(Phase::Read),
            parse_seconds: self.seconds(Phase::Parse),
            write_seconds: self.seconds(Phase::Write),
        }
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Phase, Tally};

    #[test]
    fn metrics_report_what_was_reached_and_the_time_since_the_first_start() {
        let tally = Tally::new(chrono::Utc::now() - chrono::Duration::seconds(930));
        tally.parsed(15, 2);
        let failed = tally.metrics(3, Some("transient_exhausted"));
        assert_eq!(
            (
                failed.files_parsed,
                failed.parse_errors,
                failed.stanzas_created
            ),
            (15, 2, 0)
        );
        assert!(failed.duration_seconds >= 930.0, "{failed:?}");
        assert_eq!(failed.retry_count, 3);
        tally.written(234);
        let done = tally.metrics(1, None);
        assert_eq!((done.stanzas_created, done.error_type), (234, None));
    }

    #[test]
    fn metrics_carry_the_phases_that_ran_and_only_those() {
        let tally = Tally::new(chrono::Utc::now());
        tally.timed(Phase::Read, Duration::from_millis(1_500));
        tally.timed(Phase::Parse, Duration::from_micros(250));
        let failed = tally.metrics(0, Some("transient"));
        assert_eq!(
            (
                failed.read_seconds,
                failed.parse_seconds,
                failed.write_seconds
            ),
            (Some(1.5), Some(0.000_25), None)
        );
        tally.timed(Phase::Write, Duration::from_millis(20));
        assert_eq!(tally.metrics(0, None).write_seconds, Some(0.02));
    }
}
