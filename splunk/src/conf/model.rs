//! The parsed shape of one `.conf`/`.meta` file: stanzas, settings and line-numbered warnings.

use std::fmt;

/// Name given to the pseudo-stanza of settings written before the first header: Splunk merges them
/// into `[default]`, so that is what they are called (the `global` field keeps them apart).
pub const GLOBAL_STANZA_NAME: &str = "default";

/// Warnings kept per file; past it one [`WarningKind::Suppressed`] warning gives the count.
pub const MAX_WARNINGS: usize = 1_000;

/// One parsed file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfFile {
    /// Settings before the first stanza header, if any (named [`GLOBAL_STANZA_NAME`]).
    pub global: Option<Stanza>,
    /// Stanzas in order of their first header; repeated headers are merged into the first.
    pub stanzas: Vec<Stanza>,
    /// Everything odd but survivable, in line order.
    pub warnings: Vec<Warning>,
}

impl ConfFile {
    /// Number of distinct settings over all stanzas, the global one included.
    pub fn setting_count(&self) -> usize {
        self.global
            .iter()
            .chain(&self.stanzas)
            .map(|s| s.settings.len())
            .sum()
    }

    /// The stanza called `name` (case-sensitive), not counting the global pseudo-stanza.
    pub fn stanza(&self, name: &str) -> Option<&Stanza> {
        self.stanzas.iter().find(|s| s.name == name)
    }
}

/// A stanza after merging every header of the same name in the file.
///
/// `settings` holds each key once, at the position where it first appeared, with the value of its
/// last assignment (Splunk's "last wins"; the first-seen order keeps diffs and displays stable).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stanza {
    /// The text between the first `[` and the last `]`, verbatim.
    pub name: String,
    /// Every 1-based header line of this stanza; for the global pseudo-stanza, the line of its first setting.
    pub lines: Vec<u32>,
    /// `(key, value)` pairs, keys unique, in first-seen order, values last-wins.
    pub settings: Vec<(String, String)>,
}

impl Stanza {
    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A survivable oddity found while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based physical line where it starts.
    pub line: u32,
    /// What kind of oddity.
    pub kind: WarningKind,
    /// Human-readable detail.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The kinds of [`Warning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WarningKind {
    /// A key was set twice in the same stanza; the later value won.
    DuplicateKey,
    /// A non-blank, non-comment, non-header line has no `=`; it was ignored.
    NoEquals,
    /// Text (other than blanks) after a header's last `]`; the header still counts.
    TextAfterHeader,
    /// A `\r` not followed by `\n`; it is not a line break and stays in the text.
    LoneCarriageReturn,
    /// A line starting with `[` and no `]`; it was ignored.
    UnclosedHeader,
    /// A line ending in `]` with no `[` and no `=`; it was ignored.
    UnopenedHeader,
    /// A setting with an empty key (`= v`); it was stored.
    EmptyKey,
    /// The file was UTF-16 or UTF-32 with a byte-order mark and was decoded.
    Decoded,
    /// More than [`MAX_WARNINGS`] warnings: the rest were counted, not kept.
    Suppressed,
}

impl WarningKind {
    /// A stable snake_case name, for storage and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::DuplicateKey => "duplicate_key",
            WarningKind::NoEquals => "no_equals",
            WarningKind::TextAfterHeader => "text_after_header",
            WarningKind::LoneCarriageReturn => "lone_carriage_return",
            WarningKind::UnclosedHeader => "unclosed_header",
            WarningKind::UnopenedHeader => "unopened_header",
            WarningKind::EmptyKey => "empty_key",
            WarningKind::Decoded => "decoded",
            WarningKind::Suppressed => "suppressed",
        }
    }
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
