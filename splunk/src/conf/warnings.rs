//! A capped warning collector: a hostile file of millions of odd lines must not turn into
//! millions of warnings in memory.

use super::model::{MAX_WARNINGS, Warning, WarningKind};

/// Keeps the first [`MAX_WARNINGS`] warnings and counts the rest.
#[derive(Default)]
pub(crate) struct Warnings {
    list: Vec<Warning>,
    suppressed: u64,
    first_suppressed: u32,
}

impl Warnings {
    pub(crate) fn push(&mut self, warning: Warning) {
        if self.list.len() < MAX_WARNINGS {
            return self.list.push(warning);
        }
        if self.suppressed == 0 {
            self.first_suppressed = warning.line;
        }
        self.suppressed += 1;
    }

    /// The kept warnings in line order, then one `Suppressed` warning if any were dropped.
    pub(crate) fn finish(mut self) -> Vec<Warning> {
        // Continuations report lone `\r`s of later lines before their own line's warnings.
        self.list.sort_by_key(|w| w.line);
        if self.suppressed > 0 {
            self.list.push(Warning {
                line: self.first_suppressed,
                kind: WarningKind::Suppressed,
                message: format!(
                    "{} more warnings from this line on were not recorded",
                    self.suppressed
                ),
            });
        }
        self.list
    }
}
