//! Worker settings: queues, concurrency, heartbeat, shutdown grace and the retry policy. Plain
//! structs with defaults; the binary fills them from flags and `CONFQ_*` variables. What a task
//! needs of its own (ingestion's archive limits) it takes when it is constructed.

use std::num::NonZeroU32;
use std::time::Duration;

use broker::{BrokerError, QueueName, Selection, WeightedQueue};

use crate::breaker::BreakerConfig;
use crate::celery::CelerySettings;
use crate::retry::RetryPolicy;
use crate::time_limit::TimeLimits;

/// How a worker runs.
///
/// # Examples
/// ```
/// use broker::QueueName;
/// use worker::WorkerConfig;
///
/// let config = WorkerConfig {
///     queues: vec![QueueName::parse("reports").unwrap(), QueueName::parse("ingest").unwrap()],
///     concurrency: 4,
///     ..WorkerConfig::default()
/// };
/// assert_eq!(config.retry.transient.max_retries, 3);
/// ```
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Queues to consume, in the order they were listed.
    pub queues: Vec<QueueName>,
    /// The weight of each queue of `queues`, same order (a missing one is 1): a non-empty queue
    /// is picked with probability proportional to its weight (`--queue Q=WEIGHT`).
    pub weights: Vec<NonZeroU32>,
    /// Always take from the first listed non-empty queue instead (`--strict-priority`); a busy
    /// earlier queue then starves the later ones.
    pub strict_priority: bool,
    /// Tasks in flight at once.
    pub concurrency: usize,
    /// Most envelopes claimed in one fetch. A fetch claims for every free slot up to this, so
    /// a worker whose tasks finish together refills its slots in one call.
    pub fetch_batch: usize,
    /// How often a running task renews its lease (`CONFQ_HEARTBEAT_SECS`). The lease itself is
    /// the broker's (`BrokerConfig::lease`), which the runner reads from the broker it is given.
    pub heartbeat: Duration,
    /// How long in-flight tasks may finish after a shutdown signal before they are given back.
    pub shutdown_grace: Duration,
    /// Which failures retry, how often and when.
    pub retry: RetryPolicy,
    /// When the breakers of the tasks' dependencies open, probe and close.
    pub breaker: BreakerConfig,
    /// Time limit per task type (`CONFQ_TIME_LIMITS`); an envelope's `time_limit` wins.
    pub time_limits: TimeLimits,
    /// How long a handler whose time limit passed (or that was cancelled) has to stop before it
    /// is abandoned.
    pub stop_grace: Duration,
    /// Celery queues consumed beside `queues` (`--celery-queue`), each weighing 1.
    pub celery: CelerySettings,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            queues: vec![protocol::default_queue()],
            weights: Vec::new(),
            strict_priority: false,
            concurrency: default_concurrency(),
            fetch_batch: 512,
            heartbeat: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            breaker: BreakerConfig::default(),
            time_limits: TimeLimits::default(),
            stop_grace: Duration::from_secs(3),
            celery: CelerySettings::default(),
        }
    }
}

impl WorkerConfig {
    /// The queues, their weights and the rule between them, as the broker's consumer takes them.
    ///
    /// # Errors
    /// `Config` when there is no queue or one is listed twice.
    pub fn selection(&self) -> Result<Selection, BrokerError> {
        let weight = |i: usize| self.weights.get(i).copied().unwrap_or(NonZeroU32::MIN);
        let queues = self
            .queues
            .iter()
            .enumerate()
            .map(|(i, queue)| WeightedQueue {
                queue: queue.clone(),
                weight: weight(i),
            });
        Selection::new(queues.collect(), self.strict_priority)?
            .with_celery(&self.celery.queues, NonZeroU32::MIN)
    }

    /// Every queue the consumer takes from: `queues`, then each Celery queue's lists.
    pub fn all_queues(&self) -> Vec<QueueName> {
        self.selection().map_or_else(
            |_| self.queues.clone(),
            |s| s.queues().iter().map(|w| w.queue.clone()).collect(),
        )
    }
}

/// Two tasks per core, the contract's default concurrency.
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get() * 2)
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use broker::QueueName;

    use super::WorkerConfig;

    #[test]
    fn the_selection_pairs_each_queue_with_its_weight() {
        let q = |name: &str| QueueName::parse(name).unwrap();
        let config = WorkerConfig {
            queues: vec![q("critical"), q("default"), q("low")],
            weights: vec![NonZeroU32::new(6).unwrap(), NonZeroU32::new(3).unwrap()],
            ..WorkerConfig::default()
        };
        let selection = config.selection().unwrap();
        let got: Vec<String> = selection.queues().iter().map(ToString::to_string).collect();
        assert_eq!(got, ["critical=6", "default=3", "low=1"]);
        assert!(!selection.is_strict());
        let strict = WorkerConfig {
            strict_priority: true,
            ..WorkerConfig::default()
        };
        assert!(strict.selection().unwrap().is_strict());
        let twice = WorkerConfig {
            queues: vec![q("a"), q("a")],
            ..WorkerConfig::default()
        };
        assert!(twice.selection().is_err());
    }
}
