//! The `confq reaper` loop: each tick runs the broker's reaper (expired leases, orphans, due
//! retries) over every known queue and then records expired ingestions on their run rows.
//! Survives Redis and database outages with one log line per outage.

use std::time::Duration;

use broker::{Broker, BrokerError, Outage, QueueName, ReapOutcome};
use entity::store::Store;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::expiry::record_expiries;

/// Runs the reaper every `interval` until `stop` over `queues` plus every queue producers have
/// used since (re-read each tick, so a new queue is looked after without a restart), updating run
/// rows through `store`.
pub async fn run(
    broker: Broker,
    queues: Vec<QueueName>,
    store: Store,
    interval: Duration,
    stop: CancellationToken,
) {
    let mut outage = Outage::new("reaper");
    loop {
        let wait = match tick(&broker, &queues).await {
            Ok(outcome) => {
                outage.recovered();
                if !outcome.expired.is_empty()
                    || outcome.orphans_requeued > 0
                    || outcome.promoted > 0
                {
                    debug!(
                        expired = outcome.expired.len(),
                        orphans = outcome.orphans_requeued,
                        promoted = outcome.promoted,
                        "reaped"
                    );
                }
                if let Err(error) = record_expiries(&store, &outcome).await {
                    warn!(error = %crate::redact::redact(&error.to_string()), "could not record lease expiries on their runs");
                }
                interval
            }
            Err(error) => outage.failed(&error).max(interval),
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// One pass over `queues` and every queue the broker knows.
///
/// # Errors
/// When Redis fails.
pub async fn tick(broker: &Broker, queues: &[QueueName]) -> Result<ReapOutcome, BrokerError> {
    let mut all = broker.queues().await?;
    for queue in queues {
        if !all.contains(queue) {
            all.push(queue.clone());
        }
    }
    broker.reaper(all).tick().await
}
