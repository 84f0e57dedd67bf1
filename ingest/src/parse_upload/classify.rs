//! The one place that decides whether an ingestion error is permanent, transient or a timeout.
//! No wildcard arm: a new error variant must be decided here.

use entity::StoreError;

use super::IngestError;
use worker::breaker::Dependency;
use worker::failure::FailureClass;

/// The failure class of an ingestion error.
pub fn classify(error: &IngestError) -> FailureClass {
    match error {
        IngestError::RunMissing(_)
        | IngestError::ObjectMissing { .. }
        | IngestError::NoConfFiles => FailureClass::Permanent,
        // A zombie's write was fenced out: it lost the task to a newer attempt.
        IngestError::Store(StoreError::Fenced { .. }) => FailureClass::Timeout,
        IngestError::Store(error) => transient_if(error.is_transient()),
        IngestError::Storage(error) => transient_if(error.is_transient()),
        IngestError::Archive(error) => transient_if(!error.is_permanent()),
        IngestError::Lease(failure) => failure.class,
        IngestError::Parser(_) => FailureClass::Permanent,
        IngestError::Stopped => FailureClass::Timeout,
    }
}

/// The dependency an ingestion error blames (its breaker counts the failure when it is
/// transient): the run store's errors the database, the storage's and a broken archive stream
/// the storage. None for the rest (bad input, a lost lease: Redis has its own handling).
pub fn dependency(error: &IngestError) -> Option<Dependency> {
    match error {
        IngestError::Store(StoreError::Fenced { .. }) => None,
        IngestError::Store(_) => Some(Dependency::DATABASE),
        IngestError::Storage(_) => Some(Dependency::STORAGE),
        // A transient archive error is the object's stream breaking off (an I/O error).
        IngestError::Archive(error) if !error.is_permanent() => Some(Dependency::STORAGE),
        IngestError::Archive(_)
        | IngestError::RunMissing(_)
        | IngestError::ObjectMissing { .. }
        | IngestError::NoConfFiles
        | IngestError::Lease(_)
        | IngestError::Parser(_)
        | IngestError::Stopped => None,
    }
}

fn transient_if(transient: bool) -> FailureClass {
    if transient {
        FailureClass::Transient
    } else {
        FailureClass::Permanent
    }
}
