//! How a fenced call that settles a task ended when a cancel may have reached the task first.

/// What a retry or release did: what was asked, or the task ended `cancelled` instead because a
/// cancel reached it while it ran (`POST /v1/tasks/{id}/cancel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Retried or released as asked.
    Done,
    /// A cancel had reached the task: it was removed and its state is `cancelled`.
    Cancelled,
}

impl Settled {
    /// The script's reply: 1 done, 2 cancelled, anything else a stale token.
    pub(crate) fn from_reply(n: i64) -> Option<Self> {
        match n {
            1 => Some(Self::Done),
            2 => Some(Self::Cancelled),
            _ => None,
        }
    }
}
