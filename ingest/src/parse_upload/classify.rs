//! The one place that decides whether an ingestion error is permanent, transient or a timeout.
//! No wildcard arm: a new error variant must be decided here.

use entity::StoreError;

use super::IngestError;
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

fn transient_if(transient: bool) -> FailureClass {
    if transient {
        FailureClass::Transient
    } else {
        FailureClass::Permanent
    }
}
