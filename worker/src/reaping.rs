//! The `confq reaper` loop: each tick runs the broker's reaper (expired leases, orphans, due
//! retries) over every known queue, records the tick's time (the reaper's heartbeat) and then
//! records expired ingestions on their run rows.
//! Survives Redis and database outages with one log line per outage.

use std::sync::Arc;
use std::time::Duration;

use broker::{Broker, BrokerError, ExpiredTask, Outage, QueueName, ReapOutcome, Reaper};
use entity::store::Store;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::expiry::record_expiries;
use crate::retry::RetryPolicy;

/// Runs the reaper every `interval` until `stop` over `queues` plus every queue producers have
/// used since (re-read each tick, so a new queue is looked after without a restart), updating run
/// rows through `store`. Expired leases are retried or dead-lettered by `policy`, the workers'
/// retry policy (so `CONFQ_RETRY_POLICY` governs a `timeout` whoever notices it).
pub async fn run(
    broker: Broker,
    queues: Vec<QueueName>,
    store: Store,
    interval: Duration,
    policy: RetryPolicy,
    stop: CancellationToken,
) {
    let policy = Arc::new(policy);
    let mut outage = Outage::new("reaper");
    // Expiries the database could not take yet; retried every tick, oldest dropped past the cap.
    let mut unrecorded: Vec<ExpiredTask> = Vec::new();
    loop {
        let (outcome, error) = tick(&broker, &queues, &policy).await;
        if !outcome.expired.is_empty() || outcome.orphans_requeued > 0 || outcome.promoted > 0 {
            debug!(
                expired = outcome.expired.len(),
                orphans = outcome.orphans_requeued,
                promoted = outcome.promoted,
                "reaped"
            );
        }
        unrecorded.extend(outcome.expired);
        unrecorded = record_expiries(&store, unrecorded).await;
        if unrecorded.len() > MAX_UNRECORDED {
            let dropped = unrecorded.len() - MAX_UNRECORDED;
            warn!(
                dropped,
                "too many lease expiries waiting for the database; dropping the oldest (their runs are corrected by their next attempt)"
            );
            unrecorded.drain(..dropped);
        }
        let wait = match error {
            None => {
                outage.recovered();
                interval
            }
            Some(error) => outage.failed(&error).max(interval),
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Most lease expiries kept for a later database write.
const MAX_UNRECORDED: usize = 100_000;

/// One pass over `queues` and every queue the broker knows, expired leases decided by `policy`:
/// what it did, and the first error.
pub async fn tick(
    broker: &Broker,
    queues: &[QueueName],
    policy: &Arc<RetryPolicy>,
) -> (ReapOutcome, Option<BrokerError>) {
    let mut all = match broker.queues().await {
        Ok(all) => all,
        Err(error) => return (ReapOutcome::default(), Some(error)),
    };
    for queue in queues {
        if !all.contains(queue) {
            all.push(queue.clone());
        }
    }
    let reaper = Reaper::new(broker.clone(), all, policy.clone());
    let (outcome, error) = reaper.tick_partial().await;
    if outcome.dead_trimmed > 0 {
        info!(
            count = outcome.dead_trimmed,
            "dropped dead letters past CONFQ_DEAD_MAX or CONFQ_DEAD_MAX_AGE_SECS"
        );
    }
    // The reaper's heartbeat (`confq reaper --check`): only a tick that went through counts.
    let error = match error {
        None => broker.record_reaper_tick(chrono::Utc::now()).await.err(),
        error => error,
    };
    (outcome, error)
}
