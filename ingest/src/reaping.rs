//! `confq reaper`'s database side: the runtime's reaper loop ([`worker::reaping::run`]) with the
//! run rows as its [`ExpirySink`]: expired ingestions are recorded on their runs, and those the
//! database cannot take yet are kept for the next tick (the oldest dropped past a cap).

use broker::{Broker, ExpiredTask, ExpirySink, QueueName};
use entity::store::Store;
use tokio_util::sync::CancellationToken;
use tracing::warn;
use worker::retry::RetryPolicy;

use crate::expiry::record_expiries;

/// Most lease expiries kept for a later database write.
const MAX_UNRECORDED: usize = 100_000;

/// Runs the reaper of `queues` (plus every queue producers have used), with `policy` deciding
/// expired leases, every `reaper_interval` of `broker`'s configuration until `stop`, recording
/// expired ingestions on their run rows through `store`.
pub async fn run(
    broker: Broker,
    queues: Vec<QueueName>,
    store: Store,
    policy: RetryPolicy,
    stop: CancellationToken,
) {
    worker::reaping::run(broker, queues, policy, RunRows { store }, stop).await;
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
