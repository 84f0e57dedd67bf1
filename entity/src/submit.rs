//! Submitting a stored archive for ingestion: create its run, then enqueue `ingest.parse_upload`.
//! The one flow behind `POST /v1/uploads` and `confq ingest`.

use broker::{BrokerError, Producer, QueueName, TaskId};
use protocol::ParseUpload;
use tracing::instrument;

use crate::StorageError;
use crate::error::StoreError;
use crate::storage::{Storage, StoredObject};
use crate::store::{NewRun, Run, RunId, RunSource, Store};

/// An archive already in the storage, to become a run.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The display name (see [`crate::filename::display_name`]).
    pub filename: String,
    /// The stored archive.
    pub object: StoredObject,
    /// Who submitted it.
    pub source: RunSource,
}

/// Where a submission goes: the run store, the storage holding its archive, and the queue.
#[derive(Debug, Clone, Copy)]
pub struct Intake<'a> {
    /// The run store.
    pub store: &'a Store,
    /// The storage holding the archives (an orphaned archive is deleted from it).
    pub storage: &'a Storage,
    /// Pushes the task.
    pub producer: &'a Producer,
    /// The queue the task goes to.
    pub queue: &'a QueueName,
}

/// Why a submission failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// The run row could not be written; the stored archive was deleted.
    #[error("cannot create the run")]
    CreateRun(#[source] StoreError),
    /// The run exists (status `stored`) but its task did not reach the queue; the API's sweep
    /// enqueues it later.
    #[error("cannot enqueue run {run}")]
    Enqueue {
        /// The run left `stored`.
        run: RunId,
        /// The broker's error.
        #[source]
        source: BrokerError,
    },
}

impl Intake<'_> {
    /// Creates the run of `submission` under a new task id and enqueues its task; returns the run
    /// (status `stored`, `task_id` set).
    ///
    /// # Errors
    /// [`SubmitError::CreateRun`] when the database fails (the archive is deleted, so nothing is
    /// left behind); [`SubmitError::Enqueue`] when Redis fails after the run exists.
    #[instrument(skip_all, err, fields(run.id))]
    pub async fn submit(&self, submission: Submission) -> Result<Run, SubmitError> {
        let task_id = TaskId::new();
        let Submission {
            filename,
            object,
            source,
        } = submission;
        let new = NewRun {
            filename,
            object_key: object.key.clone(),
            size_bytes: i64::try_from(object.size_bytes).unwrap_or(i64::MAX),
            sha256: object.sha256,
            source,
            task_id: Some(task_id.0),
            queue: Some(self.queue.to_string()),
        };
        let run = match self.store.create_run(new).await {
            Ok(run) => run,
            Err(error) => {
                discard(self.storage, &object.key).await;
                return Err(SubmitError::CreateRun(error));
            }
        };
        tracing::Span::current().record("run.id", run.id.0);
        enqueue(self.producer, self.queue, run.id, task_id)
            .await
            .map_err(|source| SubmitError::Enqueue {
                run: run.id,
                source,
            })?;
        Ok(run)
    }
}

/// Enqueues `ingest.parse_upload` of run `run` on `queue` under `task_id` (a new submission, a
/// retry of a failed run, or the API's sweep of runs whose task never reached Redis).
///
/// # Errors
/// The broker's error when the push fails.
pub async fn enqueue(
    producer: &Producer,
    queue: &QueueName,
    run: RunId,
    task_id: TaskId,
) -> Result<(), BrokerError> {
    let envelope = ParseUpload::Run { run_id: run.0 }.envelope(task_id);
    producer.enqueue(queue, &envelope).await
}

/// Deletes the archive of a run that was not created; a failure is logged, not returned.
pub async fn discard(storage: &Storage, key: &str) {
    if let Err(error) = storage.delete(key).await
        && !matches!(error, StorageError::NotFound { .. })
    {
        tracing::warn!(object.key = key, error = %broker::report::Chain(&error), "could not delete the object of a run that was not created");
    }
}
