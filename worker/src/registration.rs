//! Worker registration: each worker announces itself in Redis (id, host, pid, queues,
//! concurrency, started, last seen), refreshes the entry while it lives and removes it on stop; a
//! dead worker's entry expires by itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use broker::{Broker, QueueName, WorkerId, WorkerInfo};
use chrono::Utc;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::breaker::Breakers;

/// How often a live worker refreshes its entry.
pub const REFRESH_EVERY: Duration = Duration::from_secs(5);
/// How long an entry outlives its last refresh.
pub const ENTRY_TTL: Duration = Duration::from_secs(15);

/// A fresh worker id: `<host>:<pid>:<random>`.
pub fn new_worker_id() -> WorkerId {
    let host = host_name();
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    WorkerId::new(format!("{host}:{}:{suffix}", std::process::id()))
}

fn host_name() -> String {
    hostname::get().map_or_else(
        |_| "unknown".into(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// What a running worker reports about itself at each refresh.
#[derive(Clone)]
pub struct Live {
    /// Its breakers (a state change refreshes the entry at once).
    pub breakers: Breakers,
    /// Tasks in flight.
    pub in_flight: Arc<AtomicUsize>,
}

/// Registers the worker, refreshes it until `stop` (at once when a breaker changes state), then
/// deregisters it.
pub async fn announce(
    broker: Broker,
    id: WorkerId,
    queues: Vec<QueueName>,
    concurrency: usize,
    live: Live,
    stop: CancellationToken,
) {
    let started_at = Utc::now();
    let registry = broker.workers();
    let mut changed = live.breakers.subscribe();
    loop {
        let info = WorkerInfo {
            id: id.clone(),
            host: host_name(),
            pid: std::process::id(),
            queues: queues.clone(),
            concurrency,
            started_at,
            last_seen: Utc::now(),
            in_flight: live.in_flight.load(Ordering::Relaxed),
            breakers: live
                .breakers
                .states()
                .into_iter()
                .map(|(d, state)| (d, state.as_str().to_owned()))
                .collect(),
        };
        if let Err(error) = registry.register(&info, ENTRY_TTL).await {
            warn!(error = %broker::report::Chain(&error), "could not refresh the worker registration");
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(REFRESH_EVERY) => {}
            _ = changed.changed() => {}
        }
    }
    if let Err(error) = registry.deregister(&id).await {
        warn!(error = %broker::report::Chain(&error), "could not deregister the worker");
    }
}
