//! Everything that can stop an ingestion; `classify` decides what each means for a retry.

use entity::StorageError;
use entity::StoreError;
use entity::store::RunId;
use splunk::archive::ArchiveError;

/// Why an ingestion stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The producer named a run that does not exist (schema validation of the args).
    #[error("run {0} does not exist")]
    RunMissing(RunId),
    /// The producer named a storage object that does not exist.
    #[error("storage object {key:?} does not exist")]
    ObjectMissing {
        /// The key that was not found.
        key: String,
    },
    /// The archive holds nothing to ingest.
    #[error("missing required data: the archive holds no .conf or .meta file")]
    NoConfFiles,
    /// The run store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The object storage failed.
    #[error("storage retrieval failed")]
    Storage(#[from] StorageError),
    /// The archive could not be read.
    #[error("archive")]
    Archive(#[from] ArchiveError),
    /// The delivery could not confirm its lease (lost to another delivery, or Redis away).
    #[error("{}", .0.message)]
    Lease(worker::failure::TaskFailure),
    /// The delivery was told to stop (a time limit or a cancel) while the archive was read; the
    /// runner decides what that means (a `timeout` failure, or `cancelled`).
    #[error("stopped while reading the archive (time limit or cancel)")]
    Stopped,
    /// The parsing thread died.
    #[error("the parser thread failed")]
    Parser(#[source] tokio::task::JoinError),
}
