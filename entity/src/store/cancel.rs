//! Ending a run `cancelled`: its task was cancelled (`POST /v1/tasks/{id}/cancel`, `confq
//! cancel`). The API does it for a task it removed from the queue (pending, delayed, dead); the
//! worker's run hooks for a task it stopped while running. Unfenced on purpose: a cancel is the
//! operator's word and wins over whichever attempt is current.

use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, TransactionTrait};
use tracing::instrument;
use uuid::Uuid;

use super::Store;
use super::ids::{RunId, RunStatus};
use super::lifecycle::save;
use super::run::now;
use super::runs::{lock_run, status_of};
use super::stats::Delta;
use crate::StoreError;
use crate::ingestion_run::{Column, Entity};

impl Store {
    /// Marks run `id` `cancelled` unless it is already `complete` or `cancelled`; returns whether
    /// it changed.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; a database error.
    #[instrument(skip_all, err(Debug), fields(run.id = %id))]
    pub async fn cancel_run(&self, id: RunId) -> Result<bool, StoreError> {
        let txn = self.db.begin().await.map_err(StoreError::db("begin"))?;
        let model = lock_run(&txn, id).await?;
        let from = status_of(&model)?;
        if matches!(from, RunStatus::Complete | RunStatus::Cancelled) {
            return Ok(false);
        }
        let mut am = model.into_active_model();
        am.status = Set(RunStatus::Cancelled.as_str().to_owned());
        am.completed_at = Set(Some(now()));
        am.error_message = Set(Some("Cancelled: the task was cancelled".to_owned()));
        let delta = Delta {
            from: Some(from),
            to: Some(RunStatus::Cancelled),
            ..Delta::default()
        };
        let saved = save(&txn, am, delta).await?;
        txn.commit().await.map_err(StoreError::db("commit"))?;
        self.announce(&saved);
        Ok(true)
    }

    /// Marks the run whose current task is `task_id` `cancelled` (see [`Store::cancel_run`]);
    /// returns its id, or `None` when no run has that task.
    ///
    /// # Errors
    /// A database error.
    #[instrument(skip_all, err(Debug), fields(task.id = %task_id))]
    pub async fn cancel_run_of_task(&self, task_id: Uuid) -> Result<Option<RunId>, StoreError> {
        let found = Entity::find()
            .filter(Column::TaskId.eq(task_id))
            .one(&self.db)
            .await
            .map_err(StoreError::db("find the run of a task"))?;
        let Some(model) = found else {
            return Ok(None);
        };
        let id = RunId(model.id);
        self.cancel_run(id).await?;
        Ok(Some(id))
    }
}
