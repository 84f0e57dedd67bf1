//! Breaker settings: how many failures open a breaker, how it probes, and the recovery requeue.

use std::time::Duration;

/// How every breaker of a worker behaves (`CONFQ_BREAKER_*`, `CONFQ_RECOVERY_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Transient failures of one dependency within `window` that open its breaker (at least 1).
    pub threshold: u32,
    /// How far back failures count toward `threshold`.
    pub window: Duration,
    /// Wait before the first probe of an open breaker; doubled after each failed probe.
    pub probe_initial: Duration,
    /// Longest wait between probes.
    pub probe_max: Duration,
    /// How long one probe may take before it counts as failed.
    pub probe_timeout: Duration,
    /// Whether closing a breaker re-enqueues what exhausted its retries while it was open.
    pub recovery_requeue: bool,
    /// How far before the breaker opened the recovery requeue also looks (failures that came
    /// before the breaker noticed the outage).
    pub recovery_lookback: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            threshold: 5,
            window: Duration::from_secs(30),
            probe_initial: Duration::from_millis(250),
            probe_max: Duration::from_secs(1),
            probe_timeout: Duration::from_secs(2),
            recovery_requeue: true,
            recovery_lookback: Duration::from_secs(900),
        }
    }
}
