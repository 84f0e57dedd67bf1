//! Splits text into logical lines: `\n` breaks (one trailing `\r` dropped), backslash continuations
//! joined, comment and blank lines dropped. Linear: every byte is visited by `memchr` a bounded number of times.

use std::borrow::Cow;

use super::model::{Warning, WarningKind};
use super::warnings::Warnings;

/// One logical line: its first physical line number and its text (borrowed unless continued).
pub(crate) struct Logical<'a> {
    pub line: u32,
    pub text: Cow<'a, str>,
}

/// Iterator state over the physical lines of one text.
pub(crate) struct Lines<'a> {
    rest: &'a str,
    next_line: u32,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Lines {
            rest: text,
            next_line: 1,
        }
    }

    /// The next physical line without its `\n` and one trailing `\r`; warns about any other `\r`.
    fn physical(&mut self, warnings: &mut Warnings) -> Option<(u32, &'a str)> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match memchr::memchr(b'\n', self.rest.as_bytes()) {
            Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
            None => (self.rest, ""),
        };
        self.rest = rest;
        let number = self.next_line;
        self.next_line = self.next_line.saturating_add(1);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if memchr::memchr(b'\r', line.as_bytes()).is_some() {
            warnings.push(Warning {
                line: number,
                kind: WarningKind::LoneCarriageReturn,
                message: "lone carriage return (\\r) is not a line break; kept in the text".into(),
            });
        }
        Some((number, line))
    }

    /// The next logical line that is neither blank nor a comment.
    pub(crate) fn next_logical(&mut self, warnings: &mut Warnings) -> Option<Logical<'a>> {
        loop {
            let (number, first) = self.physical(warnings)?;
            let start = first.trim_ascii_start();
            if start.is_empty() || start.starts_with(['#', ';']) {
                // Splunk's reader never continues a comment, even one ending in `\`.
                continue;
            }
            let Some(head) = first.strip_suffix('\\') else {
                return Some(Logical {
                    line: number,
                    text: Cow::Borrowed(first),
                });
            };
            return Some(Logical {
                line: number,
                text: Cow::Owned(self.join(head, warnings)),
            });
        }
    }

    /// Joins continuation lines after `head` (already stripped of its backslash).
    fn join(&mut self, head: &str, warnings: &mut Warnings) -> String {
        let mut text = String::from(head);
        while let Some((_, next)) = self.physical(warnings) {
            text.push('\n');
            match next.strip_suffix('\\') {
                Some(more) => text.push_str(more),
                None => {
                    text.push_str(next);
                    break;
                }
            }
        }
        text
    }
}
