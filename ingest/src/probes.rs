//! The health checks of ingestion's dependencies, run by a worker's open breakers: `SELECT 1`
//! on the run store and a HEAD on the storage (an absent key answering "not found" is healthy).

use entity::storage::Storage;
use entity::store::Store;
use worker::breaker::{Probe, ProbeFn};

/// The key the storage probe asks about; it need not exist.
const PROBE_KEY: &str = "confq-breaker-probe";

/// Answers when the database does (`SELECT 1` through the pool).
pub fn database(store: Store) -> impl Probe {
    ProbeFn(move || {
        let store = store.clone();
        async move {
            store
                .ping()
                .await
                .map_err(|error| broker::report::one_line(&error))
        }
    })
}

/// Answers when the storage does (a HEAD on [`PROBE_KEY`]).
pub fn storage(storage: Storage) -> impl Probe {
    ProbeFn(move || {
        let storage = storage.clone();
        async move {
            storage
                .exists(PROBE_KEY)
                .await
                .map(drop)
                .map_err(|error| broker::report::one_line(&error))
        }
    })
}
