//! The retry policy the reaper applies to expired leases, as a trait the broker does not
//! interpret: the worker's retry policy (with its per-class overrides) implements it, so a
//! `timeout` follows one schedule whoever notices it. The broker has no retry settings of its
//! own.

use std::fmt::Debug;
use std::time::Duration;

use crate::envelope::Envelope;

/// Decides whether a failed task runs again, and after how long.
pub trait RetryDecider: Debug + Send + Sync {
    /// The delay before the next run of `envelope` (already marked failed: its `attempt` counts
    /// the delivery that failed) that failed with `error_type`, or `None` to dead-letter it.
    fn retry_delay(&self, envelope: &Envelope, error_type: &str) -> Option<Duration>;
}
