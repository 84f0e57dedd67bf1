//! Errors of the worker runtime itself (not of the tasks it runs: those are `TaskFailure`s).

/// Why a worker could not start or keep running.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerError {
    /// The broker failed in a way the worker cannot wait out.
    #[error("the queue broker failed")]
    Broker(#[source] broker::BrokerError),
}
