//! The one producer of an API process: whatever the number of connected clients, one task reads
//! the metrics once a tick and one subscription relays run events; every client reads the same
//! bounded broadcast channel (a client that falls behind skips ahead, see `session.rs`).

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use crate::state::AppState;
use crate::stream::producer;

/// Messages kept for the slowest client before it skips ahead.
pub(crate) const CAPACITY: usize = 256;

/// The shared broadcast of stream messages, with the latest metrics message for newcomers.
#[derive(Debug)]
pub(crate) struct Hub {
    tx: broadcast::Sender<Utf8Bytes>,
    latest: watch::Receiver<Option<Utf8Bytes>>,
}

impl Hub {
    /// Starts the metrics ticker and the run-event relay; both end when `stop` is cancelled.
    pub(crate) fn start(state: AppState, stop: CancellationToken) -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        let (latest_tx, latest) = watch::channel(None);
        tokio::spawn(producer::relay_runs(
            state.broker().clone(),
            tx.clone(),
            stop.clone(),
        ));
        tokio::spawn(producer::tick_metrics(state, tx.clone(), latest_tx, stop));
        Self { tx, latest }
    }

    /// A receiver of every message from now on, and the latest metrics message, if any.
    pub(crate) fn subscribe(&self) -> (broadcast::Receiver<Utf8Bytes>, Option<Utf8Bytes>) {
        (self.tx.subscribe(), self.latest.borrow().clone())
    }
}
