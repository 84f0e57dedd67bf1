//! Where the reaper's walks over each queue's results hash stand. Recorded task states carry
//! their own expiry (`state_lib.lua`), so nothing is written per task to find expired ones: the
//! reaper walks the hash with `HSCAN` a bounded step per tick (`trim_results.lua`) and, once a
//! walk is over, waits [`PAUSE`] before the next. A state is dropped at most one walk plus one
//! pause after it expired; until then lookups already treat it as gone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use std::time::Instant;

use crate::names::QueueName;

/// The wait between the end of one walk over a queue's results and the start of the next.
pub(crate) const PAUSE: Duration = Duration::from_secs(5);

/// The walks of one reaper, by queue (shared by its clones).
#[derive(Debug, Clone, Default)]
pub(crate) struct ResultWalks(Arc<Mutex<HashMap<QueueName, Walk>>>);

#[derive(Debug)]
struct Walk {
    /// The `HSCAN` cursor to go on from (`"0"`: a new walk).
    cursor: String,
    /// No new walk starts before this.
    not_before: Instant,
}

impl ResultWalks {
    /// The cursor to go on from for `queue` at `now`, or `None` while its last walk's pause
    /// lasts. A queue never walked starts at once.
    pub(crate) fn position(&self, queue: &QueueName, now: Instant) -> Option<String> {
        let walks = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match walks.get(queue) {
            Some(walk) if walk.cursor == "0" && now < walk.not_before => None,
            Some(walk) => Some(walk.cursor.clone()),
            None => Some("0".to_owned()),
        }
    }

    /// Records where a step at `now` left the walk of `queue`; a `"0"` cursor ends the walk.
    pub(crate) fn advance(&self, queue: &QueueName, cursor: String, now: Instant) {
        let mut walks = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        walks.insert(
            queue.clone(),
            Walk {
                not_before: now + PAUSE,
                cursor,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_goes_on_then_pauses_then_starts_again() {
        let walks = ResultWalks::default();
        let q = QueueName::parse("ingest").unwrap();
        let t0 = Instant::now();
        assert_eq!(walks.position(&q, t0).as_deref(), Some("0"));
        walks.advance(&q, "17".to_owned(), t0);
        assert_eq!(walks.position(&q, t0).as_deref(), Some("17"));
        walks.advance(&q, "0".to_owned(), t0);
        assert_eq!(walks.position(&q, t0 + PAUSE / 2), None);
        assert_eq!(walks.position(&q, t0 + PAUSE).as_deref(), Some("0"));
    }
}
