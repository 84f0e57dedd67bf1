//! Worker settings: queues, concurrency, heartbeat, shutdown grace and the retry policy. Plain
//! structs with defaults; the binary fills them from flags and `CONFQ_*` variables. What a task
//! needs of its own (ingestion's archive limits) it takes when it is constructed.

use std::time::Duration;

use broker::QueueName;

use crate::retry::RetryPolicy;

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
    /// Queues to consume, in priority order.
    pub queues: Vec<QueueName>,
    /// Tasks in flight at once.
    pub concurrency: usize,
    /// Most envelopes claimed in one fetch.
    pub fetch_batch: usize,
    /// How often a running task renews its lease (`CONFQ_HEARTBEAT_SECS`). The lease itself is
    /// the broker's (`BrokerConfig::lease`), which the runner reads from the broker it is given.
    pub heartbeat: Duration,
    /// How long in-flight tasks may finish after a shutdown signal before they are given back.
    pub shutdown_grace: Duration,
    /// Which failures retry, how often and when.
    pub retry: RetryPolicy,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            queues: vec![protocol::default_queue()],
            concurrency: default_concurrency(),
            fetch_batch: 32,
            heartbeat: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// Two tasks per core, the contract's default concurrency.
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get() * 2)
}
