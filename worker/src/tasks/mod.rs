//! The built-in tasks: `ingest.parse_upload` and the diagnostic `confq.*` tasks.

pub mod diagnostic;
pub mod parse_upload;

use std::sync::Arc;

use entity::storage::Storage;
use entity::store::Store;
use splunk::archive::Limits;

use crate::task::Registry;

/// A registry holding every built-in task; ingestion reads and writes through `store` and `storage`.
pub fn builtin(store: Store, storage: Storage, limits: Limits) -> Registry {
    let mut registry = Registry::new();
    registry
        .register(diagnostic::Noop)
        .register(diagnostic::Sleep)
        .register(diagnostic::Fail)
        .register(parse_upload::ParseUploadTask::new(Arc::new(
            parse_upload::Ingestor {
                store,
                storage,
                limits,
            },
        )));
    registry
}
