//! Errors of the worker runtime itself (not of the tasks it runs: those are `TaskFailure`s).

/// Why a worker could not start or keep running.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerError {
    /// The broker failed in a way the worker cannot wait out.
    #[error("broker: {0}")]
    Broker(#[source] broker::BrokerError),
    /// The run store failed.
    #[error("database: {0}")]
    Store(#[source] entity::StoreError),
}
