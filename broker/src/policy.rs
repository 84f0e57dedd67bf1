//! The retry policy the reaper applies to expired leases, as a trait the broker does not
//! interpret: the worker's retry policy (with its per-class overrides) implements it, so a
//! `timeout` follows one schedule whoever notices it. [`ConfigPolicy`] is the broker-only
//! fallback, built from [`BrokerConfig`], for users of the broker without a worker.

use std::fmt::Debug;
use std::time::Duration;

use crate::config::{BrokerConfig, backoff_delay};
use crate::envelope::Envelope;

/// Decides whether a failed task runs again, and after how long.
pub trait RetryDecider: Debug + Send + Sync {
    /// The delay before the next run of `envelope` (already marked failed: its `attempt` counts
    /// the delivery that failed) that failed with `error_type`, or `None` to dead-letter it.
    fn retry_delay(&self, envelope: &Envelope, error_type: &str) -> Option<Duration>;
}

/// The broker's own policy: `max_retries` (unless the envelope says otherwise) retries on
/// `backoff` with `jitter`, whatever the error type.
#[derive(Debug, Clone)]
pub struct ConfigPolicy(BrokerConfig);

impl ConfigPolicy {
    /// The policy of `config`'s `max_retries`, `backoff` and `jitter`.
    pub fn new(config: &BrokerConfig) -> Self {
        Self(config.clone())
    }
}

impl RetryDecider for ConfigPolicy {
    fn retry_delay(&self, envelope: &Envelope, _error_type: &str) -> Option<Duration> {
        // Re-runs that only recorded a verdict are not retries (see `Envelope::retries`).
        let limit = envelope.max_retries.unwrap_or(self.0.max_retries);
        (envelope.retries() <= limit).then(|| backoff_delay(&self.0, envelope.retries()))
    }
}
