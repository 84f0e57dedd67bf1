//! Broker configuration (a plain struct; binaries fill it from flags). Which failures retry and
//! when is not the broker's: the reaper is given a policy (`RetryDecider`).

use std::time::Duration;

/// Dead letters kept per queue unless configured (`CONFQ_DEAD_MAX`).
pub const DEFAULT_DEAD_MAX: usize = 10_000;
/// Age past which dead letters are dropped unless configured (`CONFQ_DEAD_MAX_AGE_SECS`): 7 days.
pub const DEFAULT_DEAD_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// How the broker talks to Redis and times leases, the reaper and dead letters.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerConfig {
    /// Redis URL (`redis://[user:pass@]host:port[/db]`).
    pub redis_url: String,
    /// Prefix of every key (`confq`).
    pub key_prefix: String,
    /// Visibility lease of a fetched task.
    pub lease: Duration,
    /// How long an element may sit in processing without a lease before the reaper requeues it.
    pub orphan_grace: Duration,
    /// Reaper scan period.
    pub reaper_interval: Duration,
    /// Dead letters kept per queue (oldest dropped first).
    pub dead_max_len: usize,
    /// Dead letters older than this are dropped (when one arrives, and on every reaper tick).
    pub dead_max_age: Duration,
    /// How long one blocking fetch waits on an empty queue.
    pub block_timeout: Duration,
    /// Replicas that must acknowledge an enqueue, and any move of a task (retry, dead letter,
    /// the reaper's moves, a requeue), before it returns (`WAIT N`, `CONFQ_REDIS_WAIT_REPLICAS`);
    /// 0 waits for none.
    pub wait_replicas: usize,
    /// How long a finished task's state (and result) is kept (`CONFQ_RESULT_TTL_SECS`).
    pub result_ttl: Duration,
    /// Whether finishing a task writes its state hash (`--no-results` turns it off: lookups then
    /// see only pending, delayed, running and dead tasks, and cancellations).
    pub results: bool,
}

/// Finished task states are kept this long unless configured (`CONFQ_RESULT_TTL_SECS`): 1 day.
pub const DEFAULT_RESULT_TTL: Duration = Duration::from_secs(24 * 3600);

impl BrokerConfig {
    /// The TTL (ms) the finishing scripts write a task's state with; 0 writes none.
    pub(crate) fn state_ttl_ms(&self) -> u64 {
        if self.results {
            self.cancel_ttl_ms()
        } else {
            0
        }
    }

    /// The TTL (ms) of a cancellation's record, kept even with results off.
    pub(crate) fn cancel_ttl_ms(&self) -> u64 {
        millis(self.result_ttl).max(1)
    }
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self {
            redis_url: "redis://127.0.0.1:6379".to_owned(),
            key_prefix: "confq".to_owned(),
            lease: Duration::from_secs(120),
            orphan_grace: Duration::from_secs(30),
            reaper_interval: Duration::from_secs(5),
            dead_max_len: DEFAULT_DEAD_MAX,
            dead_max_age: DEFAULT_DEAD_MAX_AGE,
            block_timeout: Duration::from_secs(1),
            wait_replicas: 0,
            result_ttl: DEFAULT_RESULT_TTL,
            results: true,
        }
    }
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
