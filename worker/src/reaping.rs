//! `confq reaper`: the broker's one reaper loop ([`broker::Reaper::run`]: expired leases, orphans,
//! due retries, dead-letter caps, the reaper's heartbeat) over every known queue, with the workers'
//! retry policy deciding expired leases, and the run rows as its [`ExpirySink`]: expired
//! ingestions are recorded on their runs, and those the database cannot take yet are kept for the
//! next tick (the oldest dropped past a cap).

use std::sync::Arc;

use broker::{Broker, ExpiredTask, ExpirySink, QueueName, Reaper};
use entity::store::Store;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::expiry::record_expiries;
use crate::retry::RetryPolicy;

/// Most lease expiries kept for a later database write.
const MAX_UNRECORDED: usize = 100_000;

/// The reaper of `queues` (plus every queue producers have used) whose expired leases `policy`
/// decides, the workers' retry policy, so `CONFQ_RETRY_POLICY` governs a `timeout` whoever
/// notices it.
pub fn reaper(broker: &Broker, queues: Vec<QueueName>, policy: RetryPolicy) -> Reaper {
    Reaper::new(broker.clone(), queues, Arc::new(policy))
}

/// Runs [`reaper`] every `reaper_interval` of `broker`'s configuration until `stop`, recording
/// expired ingestions on their run rows through `store`.
pub async fn run(
    broker: Broker,
    queues: Vec<QueueName>,
    store: Store,
    policy: RetryPolicy,
    stop: CancellationToken,
) {
    reaper(&broker, queues, policy)
        .run(stop, RunRows { store })
        .await;
}

/// The reaper's database side: expired ingestions recorded on their runs.
#[derive(Debug, Clone)]
pub struct RunRows {
    /// Where the runs are.
    pub store: Store,
}

impl ExpirySink for RunRows {
    async fn record(&mut self, expired: Vec<ExpiredTask>) -> Vec<ExpiredTask> {
        let mut unrecorded = record_expiries(&self.store, expired).await;
        if unrecorded.len() > MAX_UNRECORDED {
            let dropped = unrecorded.len() - MAX_UNRECORDED;
            warn!(
                dropped,
                "too many lease expiries waiting for the database; dropping the oldest (their runs are corrected by their next attempt)"
            );
            unrecorded.drain(..dropped);
        }
        unrecorded
    }
}
