//! The one reaper loop (`confq reaper`, `confq dev`, `confq ingest` and the tests all run it):
//! a [`Reaper::tick`] every `reaper_interval` until shutdown, its expired leases handed to an
//! [`ExpirySink`] (the worker's run rows) that may give some back to be offered again next tick.
//! A failing tick pauses by the outage backoff, never less than the interval, with one log line
//! per outage.

use std::future::Future;

use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use crate::outage::Outage;
use crate::reaper::{ExpiredTask, ReapOutcome, Reaper};

/// Where a reaper loop records the leases it expired, beyond Redis (for confq, the run rows).
pub trait ExpirySink: Send {
    /// Records `expired` (the expiries of this tick after those given back earlier) and returns
    /// the ones it could not record yet, for the next tick: the broker will not report them again.
    fn record(
        &mut self,
        expired: Vec<ExpiredTask>,
    ) -> impl Future<Output = Vec<ExpiredTask>> + Send;
}

/// A sink that records nothing: a reaper with only the broker's side.
impl ExpirySink for () {
    async fn record(&mut self, _expired: Vec<ExpiredTask>) -> Vec<ExpiredTask> {
        Vec::new()
    }
}

impl Reaper {
    /// Runs [`Reaper::tick`] every `reaper_interval` until `shutdown`, handing each tick's expired
    /// leases (and those `sink` gave back before) to `sink`; survives Redis outages.
    pub async fn run(self, shutdown: CancellationToken, mut sink: impl ExpirySink) {
        let mut outage = Outage::new("reaper");
        let interval = self.broker().config().reaper_interval;
        let mut unrecorded: Vec<ExpiredTask> = Vec::new();
        loop {
            let (outcome, error) = self.tick_partial().await;
            log_outcome(&outcome);
            unrecorded.extend(outcome.expired);
            unrecorded = sink.record(unrecorded).await;
            let pause = match error {
                None => {
                    outage.recovered();
                    interval
                }
                Some(error) => outage.failed(&error).max(interval),
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}

fn log_outcome(outcome: &ReapOutcome) {
    if !outcome.expired.is_empty() || outcome.orphans_requeued > 0 || outcome.promoted > 0 {
        debug!(
            expired = outcome.expired.len(),
            orphans = outcome.orphans_requeued,
            promoted = outcome.promoted,
            "reaped"
        );
    }
    if outcome.dead_trimmed > 0 {
        info!(
            count = outcome.dead_trimmed,
            "dropped dead letters past CONFQ_DEAD_MAX or CONFQ_DEAD_MAX_AGE_SECS"
        );
    }
}
