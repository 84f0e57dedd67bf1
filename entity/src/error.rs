//! The errors of the run store and of object storage, with their transient/permanent split.

use sea_orm::{DbErr, RuntimeErr};

use crate::store::{Fence, RunId, RunStatus};

/// Why a [`crate::Store`] call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused or failed the statement.
    #[error("database error while trying to {action}")]
    Db {
        /// What the store was doing.
        action: &'static str,
        /// The database's error.
        #[source]
        source: DbErr,
    },
    /// The database URL cannot be used (the message never contains a password).
    #[error("invalid database URL {url}: {reason}")]
    InvalidUrl {
        /// The URL with its password redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Serialising the migration lock failed (SQLite lock file).
    #[error("cannot take the migration lock {path}")]
    MigrationLock {
        /// The lock file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No run has this id.
    #[error("run {0} not found")]
    NotFound(RunId),
    /// The attempt moved on: this write came from a superseded attempt and changed nothing.
    #[error("run {run}: attempt {fence} is no longer current; nothing was written")]
    Fenced {
        /// The run.
        run: RunId,
        /// The stale attempt.
        fence: Fence,
    },
    /// The run is complete already; it is never processed again.
    #[error("run {0} is already complete")]
    AlreadyComplete(RunId),
    /// The run is not complete, so it has no final configuration to show yet.
    #[error("run {run} is {status}, not complete")]
    NotComplete {
        /// The run.
        run: RunId,
        /// Its status.
        status: RunStatus,
    },
    /// Only a failed run can be retried.
    #[error("run {0} is not failed")]
    NotFailed(RunId),
    /// A pagination cursor that this store did not produce.
    #[error("invalid pagination cursor")]
    InvalidCursor,
    /// A search the store refuses (too many `*` in a key pattern, a value too long…).
    #[error("{0}")]
    InvalidSearch(String),
    /// A stored value that the store cannot read back (corrupt row).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub(crate) fn db(action: &'static str) -> impl FnOnce(DbErr) -> StoreError {
        move |source| StoreError::Db { action, source }
    }

    /// True when retrying later may succeed: lost connection, pool timeout, I/O, lock contention.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Db { source, .. } => db_err_is_transient(source),
            StoreError::MigrationLock { .. } => true,
            StoreError::InvalidUrl { .. }
            | StoreError::NotFound(_)
            | StoreError::Fenced { .. }
            | StoreError::AlreadyComplete(_)
            | StoreError::NotFailed(_)
            | StoreError::NotComplete { .. }
            | StoreError::InvalidCursor
            | StoreError::InvalidSearch(_)
            | StoreError::Corrupt(_) => false,
        }
    }
}

fn db_err_is_transient(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(runtime) | DbErr::Exec(runtime) | DbErr::Query(runtime) => {
            runtime_is_transient(runtime)
        }
        _ => false,
    }
}

fn runtime_is_transient(err: &RuntimeErr) -> bool {
    use sea_orm::sqlx::Error;
    let RuntimeErr::SqlxError(err) = err else {
        return false;
    };
    match err.as_ref() {
        Error::Io(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed => true,
        Error::Database(db) => {
            // PostgreSQL: serialization failure, deadlock, lock timeout, admin/crash shutdown,
            // query cancelled (statement or lock timeout), insufficient resources, connection
            // errors. SQLite reports extended codes: BUSY (5) and LOCKED (6) are the low byte.
            let code = db.code().unwrap_or_default();
            let sqlite_primary = code.parse::<i64>().ok().map(|code| code & 0xff);
            matches!(sqlite_primary, Some(5 | 6))
                || matches!(
                    code.as_ref(),
                    "40001" | "40P01" | "55P03" | "57P01" | "57P02" | "57P03" | "57014"
                )
                || code.starts_with("08")
                || code.starts_with("53")
        }
        _ => false,
    }
}

/// Why a [`crate::Storage`] call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// No object under this key.
    #[error("object {key} not found in storage")]
    NotFound {
        /// The missing key.
        key: String,
    },
    /// The upload exceeded the size limit; nothing was kept.
    #[error("upload exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The upload had no bytes.
    #[error("upload is empty")]
    Empty,
    /// The storage URL is not `file://…` or `s3://bucket/prefix`.
    #[error("invalid storage URL {url}: {reason}")]
    InvalidUrl {
        /// The URL with any credentials redacted (credentials belong in AWS_* variables).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A key that could escape the storage root (`..`, absolute, empty segment).
    #[error("invalid object key {key:?}")]
    InvalidKey {
        /// The rejected key.
        key: String,
    },
    /// The storage backend failed (network, disk, permissions).
    #[error("storage unavailable")]
    Unavailable {
        /// The backend's error.
        #[source]
        source: object_store::Error,
    },
    /// Reading the upload stream failed.
    #[error("reading the upload failed")]
    Read {
        /// The reader's error.
        #[source]
        source: std::io::Error,
    },
}

impl StorageError {
    /// True when retrying later may succeed (the backend or the network failed).
    pub fn is_transient(&self) -> bool {
        match self {
            StorageError::Unavailable { source } => !matches!(
                source,
                object_store::Error::NotSupported { .. }
                    | object_store::Error::PermissionDenied { .. }
                    | object_store::Error::Unauthenticated { .. }
                    | object_store::Error::InvalidPath { .. }
            ),
            StorageError::Read { .. } => true,
            StorageError::NotFound { .. }
            | StorageError::TooLarge { .. }
            | StorageError::Empty
            | StorageError::InvalidUrl { .. }
            | StorageError::InvalidKey { .. } => false,
        }
    }
}
