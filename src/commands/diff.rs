//! `confq diff A B [--conf CONF] [--json]`: what changed in the effective configuration from run
//! A to run B, stanza by stanza; coloured on a terminal (unless `NO_COLOR` is set), plain
//! otherwise; `--json` prints the API's page document with every change.

use std::io::IsTerminal;

use entity::store::RunId;
use splunk::view::{Change, ChangeKind, Setting};

use crate::cli::{DiffArgs, Settings};
use crate::commands::btool::view_failure;
use crate::exit::Failure;
use crate::output::out;
use crate::services;
use crate::terminal::escape;

/// Prints the changes between two runs.
pub(crate) async fn run(settings: &Settings, args: &DiffArgs) -> Result<(), Failure> {
    let store = services::store(settings).await?;
    let (a, b) = (RunId(args.a), RunId(args.b));
    let changes = api::views::diff(&store, a, b, args.conf.as_deref())
        .await
        .map_err(|error| view_failure("compare the runs", &error))?;
    if args.json {
        let items: Vec<api::views::documents::ChangeDocument> =
            changes.into_iter().map(Into::into).collect();
        out!("{}", serde_json::json!({ "items": items, "next": null }));
        return Ok(());
    }
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for line in render(&changes, colour) {
        out!("{line}");
    }
    Ok(())
}

/// `conf [stanza]` headings, then one line per change: `+ key = value`, `- key = value`,
/// `~ key = old -> new`, each with the file(s) it comes from.
fn render(changes: &[Change], colour: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let mut heading = None;
    for change in changes {
        let this = (&change.conf, &change.stanza);
        if heading != Some(this) {
            lines.push(format!(
                "{} [{}]",
                escape(&change.conf),
                escape(&change.stanza)
            ));
            heading = Some(this);
        }
        let key = escape(&change.key);
        let (sign, text) = match (change.change, &change.before, &change.after) {
            (ChangeKind::Added, _, Some(after)) => ('+', format!("{key} = {}", shown(after))),
            (ChangeKind::Removed, Some(before), _) => ('-', format!("{key} = {}", shown(before))),
            (_, Some(before), Some(after)) => (
                '~',
                format!("{key} = {} -> {}", shown(before), shown(after)),
            ),
            _ => ('?', key),
        };
        let line = format!("  {sign} {text}");
        lines.push(match (colour, sign) {
            (true, '+') => format!("\u{1b}[32m{line}\u{1b}[0m"),
            (true, '-') => format!("\u{1b}[31m{line}\u{1b}[0m"),
            (true, '~') => format!("\u{1b}[33m{line}\u{1b}[0m"),
            _ => line,
        });
    }
    lines
}

/// `value (path)`, with `, inherited` when `[default]` supplied it.
fn shown(setting: &Setting) -> String {
    let inherited = if setting.inherited { ", inherited" } else { "" };
    format!(
        "{} ({}{inherited})",
        escape(&setting.value),
        escape(&setting.source_path)
    )
}

#[cfg(test)]
mod tests {
    use splunk::view::{SourceStanza, diff, merge};

    use super::render;

    fn view(path: &str, settings: &[(&str, &str)]) -> Vec<splunk::view::EffectiveStanza> {
        merge(&[SourceStanza {
            app: Some("A".into()),
            layer: "default".into(),
            source_path: path.into(),
            line: 1,
            name: "s".into(),
            global: false,
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        }])
    }

    #[test]
    fn changes_print_under_their_stanza_coloured_only_when_asked() {
        let before = view("A/default/props.conf", &[("a", "1"), ("b", "1")]);
        let after = view("A/default/props.conf", &[("a", "2"), ("c", "x\ny")]);
        let changes = diff("props", &before, &after);
        assert_eq!(
            render(&changes, false),
            [
                "props [s]",
                "  ~ a = 1 (A/default/props.conf) -> 2 (A/default/props.conf)",
                "  - b = 1 (A/default/props.conf)",
                "  + c = x\\ny (A/default/props.conf)",
            ]
        );
        let coloured = render(&changes, true);
        assert!(coloured[1].starts_with("\u{1b}[33m") && coloured[1].ends_with("\u{1b}[0m"));
        assert!(coloured[2].starts_with("\u{1b}[31m") && coloured[3].starts_with("\u{1b}[32m"));
        assert_eq!(coloured[0], "props [s]");
    }
}
