//! Cancelling a task by id for the API (`POST /v1/tasks/{id}/cancel`) and the CLI (`confq
//! cancel`): the broker removes or signals the task, and a run whose task was removed from the
//! queue (pending, delayed, dead) ends `cancelled` here. A run whose task was running ends
//! `cancelled` when its worker stops it (the run hooks) or, if the worker died, when the reaper
//! finds its lease expired.

use crate::StoreError;
use crate::store::Store;
use broker::{Broker, BrokerError, CancelOutcome, TaskId};
use tracing::info;

/// Why a cancel could not be carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CancelError {
    /// Redis failed.
    #[error("cancel the task in Redis")]
    Broker(#[from] BrokerError),
    /// The task was cancelled, but its run could not be marked.
    #[error("mark the run of the cancelled task")]
    Store(#[from] StoreError),
}

/// Cancels task `id` and, when it was removed from its queue, its run.
///
/// # Errors
/// [`CancelError`] when Redis or the database fails.
pub async fn cancel_task(
    broker: &Broker,
    store: &Store,
    id: &TaskId,
) -> Result<CancelOutcome, CancelError> {
    let outcome = broker.cancel(id).await?;
    if let CancelOutcome::Cancelled { from, .. } = &outcome
        && let Some(run) = store.cancel_run_of_task(id.0).await?
    {
        info!(run.id = run.0, task.id = %id, from = from.as_str(), "run cancelled with its task");
    }
    Ok(outcome)
}
