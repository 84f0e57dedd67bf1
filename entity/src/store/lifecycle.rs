//! State changes of a running attempt: heartbeats, completion, failure, retries, release; and
//! the API's retry of a failed run. Beginning an attempt is in `begin.rs`, lease expiry in
//! `expiry.rs`.
//!
//! Every change from a worker carries the [`Fence`] of its attempt; a change whose fence is
//! not the run's current `attempt` (or whose run is no longer `parsing`) writes nothing.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, TransactionTrait,
};
use tracing::instrument;
use uuid::Uuid;

use super::Store;
use super::ids::{Fence, RunId, RunStatus};
use super::nul::visible;
use super::run::{Run, RunMetrics, now};
use super::runs::{lock_run, status_of};
use super::stats::{self, Delta};
use crate::StoreError;
use crate::ingestion_run::{ActiveModel, Column, Entity, Model};

impl Store {
    /// Proves the attempt is alive (`last_heartbeat = now`).
    ///
    /// # Errors
    /// [`StoreError::Fenced`] when the attempt moved on, [`StoreError::NotFound`].
    pub async fn heartbeat(&self, id: RunId, fence: Fence) -> Result<(), StoreError> {
        let at = now();
        let done = Entity::update_many()
            .col_expr(Column::LastHeartbeat, Expr::value(at))
            .filter(Column::Id.eq(id.0))
            .filter(Column::Attempt.eq(fence.0))
            .filter(Column::Status.eq(RunStatus::Parsing.as_str()))
            .exec(&self.db)
            .await
            .map_err(StoreError::db("heartbeat"))?;
        if done.rows_affected > 0 {
            return Ok(());
        }
        match self.run(id).await? {
            None => Err(StoreError::NotFound(id)),
            Some(_) => Err(StoreError::Fenced { run: id, fence }),
        }
    }

    /// Marks the attempt's run `complete` with its metrics.
    ///
    /// # Errors
    /// [`StoreError::Fenced`] when the attempt moved on (nothing changes).
    #[instrument(skip_all, err(Debug), fields(run.id = %id))]
    pub async fn complete(
        &self,
        id: RunId,
        fence: Fence,
        metrics: RunMetrics,
    ) -> Result<(), StoreError> {
        self.finish(id, fence, RunStatus::Complete, metrics, None)
            .await
    }

    /// Marks the attempt's run `failed` (no more retries) with the error and metrics.
    ///
    /// # Errors
    /// [`StoreError::Fenced`] when the attempt moved on (nothing changes).
    #[instrument(skip_all, err(Debug), fields(run.id = %id))]
    pub async fn fail(
        &self,
        id: RunId,
        fence: Fence,
        message: &str,
        traceback: &str,
        metrics: RunMetrics,
    ) -> Result<(), StoreError> {
        self.finish(
            id,
            fence,
            RunStatus::Failed,
            metrics,
            Some((message, traceback)),
        )
        .await
    }

    /// Marks the attempt's run `retrying` (waiting for a backoff) with the error.
    ///
    /// # Errors
    /// [`StoreError::Fenced`] when the attempt moved on (nothing changes).
    #[instrument(skip_all, err(Debug), fields(run.id = %id))]
    pub async fn schedule_retry(
        &self,
        id: RunId,
        fence: Fence,
        message: &str,
        traceback: &str,
        retry_count: i32,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(StoreError::db("begin"))?;
        let model = fenced(&txn, id, fence).await?;
        let delta = Delta {
            from: Some(RunStatus::Parsing),
            to: Some(RunStatus::Retrying),
            retries: Some((model.retry_count, retry_count)),
            ..Delta::default()
        };
        let mut am = model.into_active_model();
        am.status = Set(RunStatus::Retrying.as_str().to_owned());
        am.retry_count = Set(retry_count);
        am.error_message = Set(Some(visible(message)));
        am.error_traceback = Set(Some(visible(traceback)));
        let saved = save(&txn, am, delta).await?;
        txn.commit().await.map_err(StoreError::db("commit"))?;
        self.announce(&saved);
        Ok(())
    }

    /// Gives an attempt back without a verdict (graceful shutdown: the task went back to its
    /// queue): status `stored` again, so the run never shows `parsing` with no worker behind it.
    ///
    /// # Errors
    /// [`StoreError::Fenced`] when the attempt moved on (nothing is written).
    #[instrument(skip_all, err(Debug), fields(run.id = %id))]
    pub async fn release_attempt(&self, id: RunId, fence: Fence) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(StoreError::db("begin"))?;
        let model = fenced(&txn, id, fence).await?;
        let mut am = model.into_active_model();
        am.status = Set(RunStatus::Stored.as_str().to_owned());
        let delta = Delta {
            from: Some(RunStatus::Parsing),
            to: Some(RunStatus::Stored),
            ..Delta::default()
        };
        let saved = save(&txn, am, delta).await?;
        txn.commit().await.map_err(StoreError::db("commit"))?;
        self.announce(&saved);
        Ok(())
    }

    /// API retry of a failed run: back to `stored` with a new task id; `retry_count` is kept and
    /// `attempt` bumped so nothing of an older attempt can still write.
    ///
    /// # Errors
    /// [`StoreError::NotFailed`] unless the run is failed, [`StoreError::NotFound`].
    #[instrument(skip_all, err(Debug), fields(run.id = %id))]
    pub async fn reset_for_retry(&self, id: RunId, task_id: Uuid) -> Result<Run, StoreError> {
        let txn = self.db.begin().await.map_err(StoreError::db("begin"))?;
        let model = lock_run(&txn, id).await?;
        if status_of(&model)? != RunStatus::Failed {
            return Err(StoreError::NotFailed(id));
        }
        let attempt = model.attempt + 1;
        let mut am = model.into_active_model();
        am.status = Set(RunStatus::Stored.as_str().to_owned());
        am.task_id = Set(Some(task_id));
        am.attempt = Set(attempt);
        am.completed_at = Set(None);
        am.metrics = Set(None);
        let delta = Delta {
            from: Some(RunStatus::Failed),
            to: Some(RunStatus::Stored),
            ..Delta::default()
        };
        let saved = save(&txn, am, delta).await?;
        txn.commit().await.map_err(StoreError::db("commit"))?;
        self.announce(&saved);
        Run::try_from(saved)
    }

    async fn finish(
        &self,
        id: RunId,
        fence: Fence,
        to: RunStatus,
        metrics: RunMetrics,
        error: Option<(&str, &str)>,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(StoreError::db("begin"))?;
        let model = fenced(&txn, id, fence).await?;
        let completed_duration = (to == RunStatus::Complete).then_some(metrics.duration_seconds);
        let delta = Delta {
            from: Some(RunStatus::Parsing),
            to: Some(to),
            completed_duration,
            ..Delta::default()
        };
        let mut am = model.into_active_model();
        am.status = Set(to.as_str().to_owned());
        am.completed_at = Set(Some(now()));
        am.metrics = Set(Some(to_json(&metrics)?));
        if let Some((message, traceback)) = error {
            am.error_message = Set(Some(visible(message)));
            am.error_traceback = Set(Some(visible(traceback)));
        }
        let saved = save(&txn, am, delta).await?;
        txn.commit().await.map_err(StoreError::db("commit"))?;
        self.announce(&saved);
        Ok(())
    }
}

/// Locks the run and checks that `fence` is its current, still running attempt.
pub(crate) async fn fenced(
    txn: &DatabaseTransaction,
    id: RunId,
    fence: Fence,
) -> Result<Model, StoreError> {
    let model = lock_run(txn, id).await?;
    let current = i64::from(model.attempt) == fence.0 && status_of(&model)? == RunStatus::Parsing;
    if !current {
        return Err(StoreError::Fenced { run: id, fence });
    }
    Ok(model)
}

pub(super) async fn save(
    txn: &DatabaseTransaction,
    mut am: ActiveModel,
    delta: Delta,
) -> Result<Model, StoreError> {
    am.updated_at = Set(now());
    let saved = am
        .update(txn)
        .await
        .map_err(StoreError::db("update a run"))?;
    stats::apply(txn, delta).await?;
    Ok(saved)
}

pub(super) fn to_json(metrics: &RunMetrics) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(metrics).map_err(|err| StoreError::Corrupt(format!("metrics: {err}")))
}
