//! What a worker re-enqueues when a breaker closes: the task owner's records of work that
//! exhausted its retries during the outage (for ingestion: failed runs and their dead letters).

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use super::dependency::Dependency;

/// Re-enqueues, once across the fleet, work that ended `transient_exhausted` since a moment.
pub trait Recovery: Send + Sync + 'static {
    /// Called when the breaker of `dependency` closes: re-enqueue with a fresh retry budget what
    /// exhausted its retries since `since`, each item once even when several workers call this
    /// at the same time. Resolves to how many were re-enqueued.
    fn recover(
        &self,
        dependency: Dependency,
        since: DateTime<Utc>,
    ) -> BoxFuture<'static, Result<usize, String>>;
}
