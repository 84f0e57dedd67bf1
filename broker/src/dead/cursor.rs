//! The dead-letter page cursor: the sequence number (zset score) of the last dead letter a page
//! showed. Sequence numbers are unique and only grow (`dead_lib.lua`), so "older than this" names
//! the same place however many dead letters arrive or leave between two pages.

use std::fmt;

use chrono::{DateTime, Utc};

/// Sequence numbers per millisecond: a sequence number is `ms * SCALE + n`.
const SCALE: u64 = 1000;
/// Scores below this are plain milliseconds (earlier versions) or offsets, never sequences.
const FIRST_SEQUENCE: u64 = 100_000_000_000_000;

/// Where a page of dead letters ended; the next page starts just after (older than) it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeadCursor(u64);

/// Why an `after` cursor was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeadCursorError {
    /// Not a number.
    #[error("invalid cursor `after`: pass back the `next` of the previous page")]
    Malformed,
    /// A small number: the offset cursor of confq before sequence cursors.
    #[error(
        "cursor `after` is an offset from an older confq; list again from the first page (without `after`)"
    )]
    Offset,
}

impl DeadCursor {
    /// Parses a cursor handed out as `next`.
    ///
    /// # Errors
    /// [`DeadCursorError::Offset`] for an old offset cursor, `Malformed` for anything else.
    pub fn parse(text: &str) -> Result<Self, DeadCursorError> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DeadCursorError::Malformed);
        }
        match text.parse::<u64>() {
            Ok(n) if n >= FIRST_SEQUENCE => Ok(Self(n)),
            Ok(_) => Err(DeadCursorError::Offset),
            Err(_) => Err(DeadCursorError::Malformed),
        }
    }

    /// The cursor of a dead letter with zset score `score`.
    pub(crate) fn from_score(score: f64) -> Self {
        // Scores are integers below 2^53, so the conversion is exact.
        Self(score as u64)
    }

    /// The exclusive upper bound of the next page, as ZRANGE BYSCORE takes it.
    pub(crate) fn exclusive_bound(self) -> String {
        format!("({}", self.0)
    }

    /// When the dead letter of this sequence number died.
    pub(crate) fn dead_at(self) -> DateTime<Utc> {
        let ms = if self.0 < FIRST_SEQUENCE {
            self.0
        } else {
            self.0 / SCALE
        };
        DateTime::from_timestamp_millis(i64::try_from(ms).unwrap_or(i64::MAX)).unwrap_or_default()
    }
}

impl fmt::Display for DeadCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{DeadCursor, DeadCursorError};

    #[test]
    fn a_cursor_round_trips_and_old_offsets_are_named() {
        let c = DeadCursor::from_score(1_764_470_000_123_004.0);
        assert_eq!(DeadCursor::parse(&c.to_string()), Ok(c));
        assert_eq!(c.exclusive_bound(), "(1764470000123004");
        assert_eq!(c.dead_at().timestamp_millis(), 1_764_470_000_123);
        assert_eq!(DeadCursor::parse("50"), Err(DeadCursorError::Offset));
        for bad in ["", "-3", "+3", "abc", "1e15", "99999999999999999999999"] {
            assert_eq!(
                DeadCursor::parse(bad),
                Err(DeadCursorError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_plain_millisecond_score_still_dates_its_letter() {
        let legacy = DeadCursor::from_score(1_764_470_000_123.0);
        assert_eq!(legacy.dead_at().timestamp_millis(), 1_764_470_000_123);
    }
}
