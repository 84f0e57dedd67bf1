#![doc = include_str!("../README.md")]
#![warn(unreachable_pub)] // what is `pub` is meant to be: the crate's API

pub mod expiry;
mod fault;
pub mod parse_upload;
pub mod probes;
pub mod reaping;
pub mod recovery;

use std::sync::Arc;

use entity::storage::Storage;
use entity::store::Store;
use splunk::archive::Limits;
use worker::Registry;
use worker::breaker::Dependency;

/// The runtime's built-in tasks ([`worker::tasks::builtin`]) and `ingest.parse_upload`, which
/// reads archives from `storage` under `limits` and writes runs through `store`; with the
/// health checks of its dependencies' breakers (`SELECT 1`, a HEAD on the storage).
pub fn builtin(store: Store, storage: Storage, limits: Limits) -> Registry {
    let mut registry = worker::tasks::builtin();
    registry.register_probe(Dependency::DATABASE, probes::database(store.clone()));
    registry.register_probe(Dependency::STORAGE, probes::storage(storage.clone()));
    registry.register(parse_upload::ParseUploadTask::new(Arc::new(
        parse_upload::Ingestor {
            store,
            storage,
            limits,
        },
    )));
    registry
}
