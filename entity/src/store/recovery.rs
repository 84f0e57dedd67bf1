//! What the recovery requeue reads: runs that ended `failed` with `transient_exhausted` since a
//! moment (the workers re-enqueue them when a circuit breaker closes; `reset_for_retry` is the
//! fence that lets only one worker re-enqueue each).

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use tracing::instrument;

use super::Store;
use super::ids::RunStatus;
use super::run::Run;
use crate::StoreError;
use crate::ingestion_run::{Column, Entity};

impl Store {
    /// Runs `failed` with `error_type` `transient_exhausted` whose failure was recorded at or
    /// after `since`, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Db`] when the database does not answer.
    #[instrument(skip_all, err(Debug))]
    pub async fn exhausted_since(&self, since: DateTime<Utc>) -> Result<Vec<Run>, StoreError> {
        let rows = Entity::find()
            .filter(Column::Status.eq(RunStatus::Failed.as_str()))
            .filter(Column::CompletedAt.gte(since))
            .order_by_asc(Column::CompletedAt)
            .all(&self.db)
            .await
            .map_err(StoreError::db("read runs that exhausted their retries"))?;
        let runs = rows
            .into_iter()
            .map(Run::try_from)
            .collect::<Result<Vec<Run>, StoreError>>()?;
        Ok(runs
            .into_iter()
            .filter(|run| {
                run.metrics.as_ref().and_then(|m| m.error_type.as_deref())
                    == Some(protocol::error_type::TRANSIENT_EXHAUSTED)
            })
            .collect())
    }
}
