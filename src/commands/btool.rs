//! `confq btool RUN_ID CONF [STANZA] [--debug]`: a run's effective configuration printed the way
//! `splunk btool CONF list [--debug]` prints it; with `--debug` each line starts with the file it
//! comes from (the path inside the archive), padded to the longest path shown.

use entity::store::RunId;
use splunk::view::EffectiveStanza;

use crate::cli::{BtoolArgs, Settings};
use crate::exit::Failure;
use crate::output::out;
use crate::services;
use crate::terminal::escape;

/// Prints the effective configuration of one conf type.
pub(crate) async fn run(settings: &Settings, args: &BtoolArgs) -> Result<(), Failure> {
    let store = services::store(settings).await?;
    let view = api::views::effective(
        &store,
        RunId(args.run_id),
        &args.conf,
        args.stanza.as_deref(),
    )
    .await
    .map_err(|error| view_failure("read the effective configuration", &error))?;
    for line in render(&view, args.debug) {
        out!("{line}");
    }
    Ok(())
}

/// A view's failure as one line: the client errors say what is wrong with the run.
pub(super) fn view_failure(action: &str, error: &api::ApiError) -> Failure {
    if error.status().is_server_error() {
        services::database_failure(action, error)
    } else {
        Failure::runtime(error.to_string())
    }
}

/// The lines btool prints: `[stanza]`, then `key = value` in key order; a multi-line value
/// continues on lines of its own, never prefixed.
fn render(view: &[EffectiveStanza], debug: bool) -> Vec<String> {
    let mut rows: Vec<(Option<String>, String)> = Vec::new();
    for stanza in view {
        let header = format!("[{}]", escape(&stanza.stanza));
        rows.push((Some(escape(&stanza.source_path)), header));
        for (key, setting) in &stanza.settings {
            let mut lines = setting.value.split('\n');
            let first = lines.next().unwrap_or_default();
            let text = format!("{} = {}", escape(key), escape(first));
            rows.push((Some(escape(&setting.source_path)), text));
            rows.extend(lines.map(|line| (None, escape(line))));
        }
    }
    let width = rows
        .iter()
        .filter_map(|(path, _)| path.as_ref().map(|p| p.chars().count()))
        .max()
        .unwrap_or(0);
    rows.into_iter()
        .map(|(path, text)| match path {
            Some(path) if debug => format!("{path:<width$} {text}"),
            _ => text,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use splunk::view::{SourceStanza, merge};

    use super::render;

    fn source(app: &str, layer: &str, name: &str, settings: &[(&str, &str)]) -> SourceStanza {
        SourceStanza {
            app: Some(app.into()),
            layer: layer.into(),
            source_path: format!("{app}/{layer}/props.conf"),
            line: 1,
            name: name.into(),
            global: false,
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        }
    }

    #[test]
    fn debug_lines_start_with_the_source_path_padded_to_the_longest() {
        let view = merge(&[
            source("A", "default", "s", &[("b", "1"), ("a", "x\ny")]),
            source("Long_app", "local", "s", &[("c", "\u{1b}[31m")]),
        ]);
        assert_eq!(
            render(&view, true),
            [
                "Long_app/local/props.conf [s]",
                "A/default/props.conf      a = x",
                "y",
                "A/default/props.conf      b = 1",
                "Long_app/local/props.conf c = \\u{1b}[31m",
            ]
        );
        assert_eq!(
            render(&view, false),
            ["[s]", "a = x", "y", "b = 1", "c = \\u{1b}[31m"]
        );
    }
}
