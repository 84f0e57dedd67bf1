//! The `confq reaper` loop: each tick runs the broker's reaper (expired leases, orphans, due
//! retries) and then records expired ingestions on their run rows. Survives Redis and database
//! outages with one log line per outage.

use std::time::Duration;

use broker::{Outage, Reaper};
use entity::store::Store;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::expiry::record_expiries;

/// Runs `reaper` every `interval` until `stop`, updating run rows through `store`.
pub async fn run(reaper: Reaper, store: Store, interval: Duration, stop: CancellationToken) {
    let mut outage = Outage::new("reaper");
    loop {
        let wait = match reaper.tick().await {
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
