//! Broker configuration (a plain struct; binaries fill it from flags) and the retry backoff.

use std::time::Duration;

/// Dead letters kept per queue unless configured (`CONFQ_DEAD_MAX`).
pub const DEFAULT_DEAD_MAX: usize = 10_000;
/// Age past which dead letters are dropped unless configured (`CONFQ_DEAD_MAX_AGE_SECS`): 7 days.
pub const DEFAULT_DEAD_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// How the broker talks to Redis and times leases, retries and dead letters.
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
    /// Retries after the first attempt, unless the envelope says otherwise.
    pub max_retries: u32,
    /// Delay before retry 1, 2, 3…; the last value repeats.
    pub backoff: Vec<Duration>,
    /// Relative jitter applied to each backoff delay (0.10 = ±10 %).
    pub jitter: f64,
    /// Dead letters kept per queue (oldest dropped first).
    pub dead_max_len: usize,
    /// Dead letters older than this are dropped (when one arrives, and on every reaper tick).
    pub dead_max_age: Duration,
    /// How long one blocking fetch waits on an empty queue.
    pub block_timeout: Duration,
    /// Replicas that must acknowledge an enqueue, and a move to delayed or dead, before it
    /// returns (`WAIT N`, `CONFQ_REDIS_WAIT_REPLICAS`); 0 waits for none.
    pub wait_replicas: usize,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self {
            redis_url: "redis://127.0.0.1:6379".to_owned(),
            key_prefix: "confq".to_owned(),
            lease: Duration::from_secs(120),
            orphan_grace: Duration::from_secs(30),
            reaper_interval: Duration::from_secs(5),
            max_retries: 3,
            backoff: [60, 180, 600].map(Duration::from_secs).to_vec(),
            jitter: 0.10,
            dead_max_len: DEFAULT_DEAD_MAX,
            dead_max_age: DEFAULT_DEAD_MAX_AGE,
            block_timeout: Duration::from_secs(1),
            wait_replicas: 0,
        }
    }
}

/// The delay before retry number `retry_number` (1-based; 0 counts as 1), with ±`jitter`.
pub fn backoff_delay(config: &BrokerConfig, retry_number: u32) -> Duration {
    let Some(last) = config.backoff.len().checked_sub(1) else {
        return Duration::ZERO;
    };
    let index = (retry_number.max(1) as usize - 1).min(last);
    let base = config.backoff[index].as_secs_f64();
    let jitter = config.jitter.clamp(0.0, 1.0);
    let factor = if jitter > 0.0 {
        1.0 + rand::random_range(-jitter..=jitter)
    } else {
        1.0
    };
    Duration::from_secs_f64((base * factor).max(0.0))
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::{BrokerConfig, backoff_delay};
    use std::time::Duration;

    #[test]
    fn backoff_follows_the_table_and_repeats_the_last_value() {
        let config = BrokerConfig {
            jitter: 0.0,
            ..BrokerConfig::default()
        };
        let secs: Vec<u64> = (0..6)
            .map(|n| backoff_delay(&config, n).as_secs())
            .collect();
        assert_eq!(secs, [60, 60, 180, 600, 600, 600]);
    }

    #[test]
    fn backoff_jitter_stays_within_bounds() {
        let config = BrokerConfig::default();
        for _ in 0..200 {
            let d = backoff_delay(&config, 2);
            assert!(d >= Duration::from_secs_f64(162.0) && d <= Duration::from_secs_f64(198.0));
        }
    }
}
