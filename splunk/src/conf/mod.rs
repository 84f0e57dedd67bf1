//! The Splunk `.conf`/`.meta` parser: the rules of `conf-semantics.md`, one pass, linear time.
//!
//! See `docs/parser.md` for the rules and where confq knowingly differs from ksconf.

mod builder;
mod decode;
mod lines;
mod model;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_props;
#[cfg(test)]
mod tests_stanzas;
mod warnings;

pub use crate::error::ParseError;
pub use model::{ConfFile, GLOBAL_STANZA_NAME, MAX_WARNINGS, Stanza, Warning, WarningKind};

use builder::Builder;
use lines::Lines;
use warnings::Warnings;

/// Parses the bytes of one file.
///
/// # Errors
/// Only when the file cannot be read as text: invalid UTF-8, or a UTF-16/32 byte-order mark
/// followed by undecodable code units. Everything else is a [`Warning`].
pub fn parse(bytes: &[u8]) -> Result<ConfFile, ParseError> {
    let (text, decoded) = decode::decode(bytes)?;
    let mut warnings = Warnings::default();
    if let Some(encoding) = decoded {
        warnings.push(Warning {
            line: 1,
            kind: WarningKind::Decoded,
            message: format!("file is {encoding} (byte-order mark); decoded to UTF-8"),
        });
    }
    let mut builder = Builder::default();
    let mut lines = Lines::new(&text);
    while let Some(logical) = lines.next_logical(&mut warnings) {
        line(&mut builder, logical.line, &logical.text, &mut warnings);
    }
    let (global, stanzas) = builder.finish();
    Ok(ConfFile {
        global,
        stanzas,
        warnings: warnings.finish(),
    })
}

/// Classifies one logical (non-blank, non-comment) line and feeds it to the builder.
fn line(builder: &mut Builder, number: u32, text: &str, warnings: &mut Warnings) {
    let trimmed = text.trim_ascii_start();
    if let Some(inner) = trimmed.strip_prefix('[') {
        return header(builder, number, inner, warnings);
    }
    let warn = |kind, message: String| Warning {
        line: number,
        kind,
        message,
    };
    let Some(eq) = memchr::memchr(b'=', text.as_bytes()) else {
        let w = if trimmed.trim_ascii_end().ends_with(']') {
            warn(
                WarningKind::UnopenedHeader,
                "line ends in `]` but has no `[`; ignored".into(),
            )
        } else {
            warn(
                WarningKind::NoEquals,
                "line is not a header and has no `=`; ignored".into(),
            )
        };
        return warnings.push(w);
    };
    let key = text[..eq].trim_ascii();
    let value = text[eq + 1..].trim_ascii();
    if key.is_empty() {
        warnings.push(warn(
            WarningKind::EmptyKey,
            "setting has an empty key; stored".into(),
        ));
    }
    builder.setting(key, value, number, warnings);
}

/// A header line; `inner` is everything after its first `[`.
fn header(builder: &mut Builder, number: u32, inner: &str, warnings: &mut Warnings) {
    let Some(close) = memchr::memrchr(b']', inner.as_bytes()) else {
        return warnings.push(Warning {
            line: number,
            kind: WarningKind::UnclosedHeader,
            message: "header has no closing `]`; ignored".into(),
        });
    };
    let after = inner[close + 1..].trim_ascii();
    if !after.is_empty() {
        warnings.push(Warning {
            line: number,
            kind: WarningKind::TextAfterHeader,
            message: format!("text after the header's last `]` ignored: {after:?}"),
        });
    }
    builder.header(&inner[..close], number);
}
