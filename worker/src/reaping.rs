//! The runtime's reaper: the broker's one reaper loop ([`broker::Reaper::run`]: expired leases,
//! orphans, due retries, dead-letter caps, the reaper's heartbeat) over every known queue, with
//! the workers' retry policy deciding expired leases. What else an expiry must update (for
//! ingestion, the run rows) is the caller's [`ExpirySink`]; `()` records nothing more.

use std::sync::Arc;

use broker::{Broker, ExpirySink, QueueName, Reaper};
use tokio_util::sync::CancellationToken;

use crate::retry::RetryPolicy;

/// The reaper of `queues` (plus every queue producers have used) whose expired leases `policy`
/// decides, the workers' retry policy, so `CONFQ_RETRY_POLICY` governs a `timeout` whoever
/// notices it.
pub fn reaper(broker: &Broker, queues: Vec<QueueName>, policy: RetryPolicy) -> Reaper {
    Reaper::new(broker.clone(), queues, Arc::new(policy))
}

/// Runs [`reaper`] every `reaper_interval` of `broker`'s configuration until `stop`, handing the
/// expired leases to `sink`.
///
/// # Examples
/// A reaper beside a custom worker, with the workers' retry policy and no bookkeeping of its own
/// (`()`); `confq reaper` does the same with the ingestion's run rows as its sink:
/// ```no_run
/// use broker::{Broker, CancellationToken};
/// use worker::WorkerConfig;
///
/// # async fn example(broker: Broker) {
/// let config = WorkerConfig::default();
/// let stop = CancellationToken::new();
/// let reaper = tokio::spawn(worker::reaping::run(
///     broker.clone(),
///     config.queues.clone(),
///     config.retry.clone(),
///     (),
///     stop.clone(),
/// ));
/// // ... run the worker; then:
/// stop.cancel();
/// reaper.await.expect("the reaper stops");
/// # }
/// ```
pub async fn run(
    broker: Broker,
    queues: Vec<QueueName>,
    policy: RetryPolicy,
    sink: impl ExpirySink,
    stop: CancellationToken,
) {
    reaper(&broker, queues, policy).run(stop, sink).await;
}
