//! An error's cause chain as text: each cause once, one per line, credentials redacted. Every
//! edge that prints, logs or stores an error (the worker's `error_traceback`, the API's 5xx log
//! line, the CLI's one-line failures) renders it here.
//!
//! confq's own errors never repeat their source in their message; some libraries' errors do
//! (`object_store`: "Generic LocalFileSystem error: {source}", `sqlx`: "error communicating with
//! database: {source}"), so a message's copy of the next cause is cut here as well.

use std::error::Error as StdError;
use std::fmt;

use crate::redact::redact;

/// The chain of `error`, outermost first: each cause once, with credentials redacted.
pub fn causes(error: &dyn StdError) -> Vec<String> {
    let mut texts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        texts.push(cause.to_string());
        source = cause.source();
    }
    let mut lines: Vec<String> = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        let next = texts.get(i + 1).map_or("", String::as_str);
        let line = without_cause(text, next);
        // A wrapper that only repeats its source ("{0}"), or a cause already said, adds nothing.
        if line.is_empty() || lines.iter().any(|said| said.contains(line)) {
            continue;
        }
        lines.push(line.to_owned());
    }
    lines.iter().map(|line| redact(line)).collect()
}

/// `text` without a trailing copy of its cause `next` (and the `: ` or `(…)` around it).
fn without_cause<'a>(text: &'a str, next: &str) -> &'a str {
    if next.is_empty() {
        return text.trim();
    }
    let cut = text
        .strip_suffix(&format!("({next})"))
        .or_else(|| text.strip_suffix(next))
        .unwrap_or(text);
    cut.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '-' | ',' | '—'))
        .trim_start()
}

/// The whole chain on one line, `outer: cause: root cause`, for messages and log fields.
pub fn one_line(error: &dyn StdError) -> String {
    causes(error).join(": ")
}

/// The whole chain, one cause per line (`caused by: …`), for a stored traceback.
pub fn traceback(error: &dyn StdError) -> String {
    causes(error).join("\ncaused by: ")
}

/// Displays an error's chain on one line ([`one_line`]), for a `tracing` field:
/// `warn!(error = %Chain(&error), "…")`.
pub struct Chain<'a>(pub &'a dyn StdError);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&one_line(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("reading {what} failed")]
    struct Outer {
        what: &'static str,
        #[source]
        source: Repeats,
    }

    /// A library error that repeats its source, as `object_store`'s do.
    #[derive(Debug, thiserror::Error)]
    #[error("Generic LocalFileSystem error: {source}")]
    struct Repeats {
        source: std::io::Error,
    }

    /// A wrapper whose message is its source's.
    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Same(#[source] Outer);

    fn sample() -> Same {
        Same(Outer {
            what: "postgres://app:s3cret@db/confq",
            source: Repeats {
                source: std::io::Error::other("disk on fire"),
            },
        })
    }

    #[test]
    fn each_cause_is_shown_once() {
        assert_eq!(
            causes(&sample()),
            [
                "reading postgres://app:***@db/confq failed",
                "Generic LocalFileSystem error",
                "disk on fire",
            ]
        );
    }

    #[test]
    fn one_line_and_traceback_join_the_same_causes() {
        assert_eq!(
            one_line(&sample()),
            "reading postgres://app:***@db/confq failed: Generic LocalFileSystem error: disk on fire"
        );
        assert_eq!(
            traceback(&sample()),
            "reading postgres://app:***@db/confq failed\ncaused by: Generic LocalFileSystem error\ncaused by: disk on fire"
        );
        assert_eq!(Chain(&sample()).to_string(), one_line(&sample()));
    }

    #[test]
    fn a_cause_in_parentheses_is_cut_too() {
        assert_eq!(
            without_cause("open failed (disk on fire)", "disk on fire"),
            "open failed"
        );
        assert_eq!(without_cause("plain", "other"), "plain");
    }
}
