//! Creating, reading and listing runs.

use std::time::Duration;

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use tracing::instrument;
use uuid::Uuid;

use super::Store;
use super::ids::{RunId, RunStatus};
use super::nul::visible;
use super::page::{Page, PageOf, RunFilter};
use super::run::{NewRun, Run, now};
use super::stats::{self, Delta};
use crate::StoreError;
use crate::ingestion_run::{ActiveModel, Column, Entity, Model};

fn active(new: &NewRun) -> ActiveModel {
    let at = now();
    ActiveModel {
        filename: Set(visible(&new.filename)),
        object_key: Set(new.object_key.clone()),
        size_bytes: Set(new.size_bytes),
        sha256: Set(new.sha256.clone()),
        source: Set(new.source.as_str().to_owned()),
        status: Set(RunStatus::Stored.as_str().to_owned()),
        attempt: Set(0),
        delivery_attempt: Set(0),
        task_id: Set(new.task_id),
        queue: Set(new.queue.clone()),
        retry_count: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
}

impl Store {
    /// Creates a run in status `stored`.
    ///
    /// # Errors
    /// [`StoreError::Db`] when the insert fails (e.g. a task id already used by another run).
    #[instrument(skip_all, err(Debug))]
    pub async fn create_run(&self, new: NewRun) -> Result<Run, StoreError> {
        let txn = self.db.begin().await.map_err(StoreError::db("begin"))?;
        let model = Entity::insert(active(&new))
            .exec_with_returning(&txn)
            .await
            .map_err(StoreError::db("create a run"))?;
        stats::apply(
            &txn,
            Delta {
                to: Some(RunStatus::Stored),
                ..Delta::default()
            },
        )
        .await?;
        txn.commit().await.map_err(StoreError::db("commit"))?;
        self.announce(&model);
        Run::try_from(model)
    }

    /// Creates the run of task `task_id` once: a second call (a redelivered task) returns the
    /// row the first call created.
    ///
    /// # Errors
    /// [`StoreError::Db`] when the database fails.
    #[instrument(skip_all, err(Debug), fields(task.id = %task_id))]
    pub async fn create_run_for_task(&self, task_id: Uuid, new: NewRun) -> Result<Run, StoreError> {
        let txn = self.db.begin().await.map_err(StoreError::db("begin"))?;
        let mut model = active(&new);
        model.task_id = Set(Some(task_id));
        let inserted = Entity::insert(model)
            .on_conflict(OnConflict::column(Column::TaskId).do_nothing().to_owned())
            .exec_without_returning(&txn)
            .await
            .map_err(StoreError::db("create a run for a task"))?;
        if inserted > 0 {
            stats::apply(
                &txn,
                Delta {
                    to: Some(RunStatus::Stored),
                    ..Delta::default()
                },
            )
            .await?;
        }
        let found = Entity::find()
            .filter(Column::TaskId.eq(task_id))
            .one(&txn)
            .await
            .map_err(StoreError::db("read the task's run"))?;
        txn.commit().await.map_err(StoreError::db("commit"))?;
        let model =
            found.ok_or_else(|| StoreError::Corrupt(format!("no run for task {task_id}")))?;
        if inserted > 0 {
            self.announce(&model);
        }
        Run::try_from(model)
    }

    /// Records the task that will process `run`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown run.
    pub async fn set_task_id(&self, run: RunId, task_id: Uuid) -> Result<(), StoreError> {
        let done = Entity::update_many()
            .col_expr(Column::TaskId, Expr::value(task_id))
            .col_expr(Column::UpdatedAt, Expr::value(now()))
            .filter(Column::Id.eq(run.0))
            .exec(&self.db)
            .await
            .map_err(StoreError::db("set the task id"))?;
        if done.rows_affected == 0 {
            return Err(StoreError::NotFound(run));
        }
        Ok(())
    }

    /// One run, if it exists.
    ///
    /// # Errors
    /// [`StoreError::Db`] when the database fails.
    pub async fn run(&self, id: RunId) -> Result<Option<Run>, StoreError> {
        let found = Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(StoreError::db("read a run"))?;
        found.map(Run::try_from).transpose()
    }

    /// The run that task `task_id` processes, if any (the reaper finds runs of envelopes that
    /// carry an object key rather than a run id this way).
    ///
    /// # Errors
    /// [`StoreError::Db`] when the database fails.
    pub async fn run_by_task(&self, task_id: Uuid) -> Result<Option<Run>, StoreError> {
        let found = Entity::find()
            .filter(Column::TaskId.eq(task_id))
            .one(&self.db)
            .await
            .map_err(StoreError::db("read a task's run"))?;
        found.map(Run::try_from).transpose()
    }

    /// Runs, newest first, keyset-paginated by id.
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`] for a cursor this store did not produce.
    pub async fn list_runs(
        &self,
        filter: RunFilter,
        page: Page,
    ) -> Result<PageOf<Run>, StoreError> {
        let size = page.size();
        let mut query = Entity::find().order_by_desc(Column::Id).limit(size + 1);
        if let Some(after) = page.after_id()? {
            query = query.filter(Column::Id.lt(after));
        }
        if let Some(status) = filter.status {
            query = query.filter(Column::Status.eq(status.as_str()));
        }
        let rows = query
            .all(&self.db)
            .await
            .map_err(StoreError::db("list runs"))?;
        let runs = rows
            .into_iter()
            .map(Run::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PageOf::from_rows(runs, size, |run| run.id.0))
    }

    /// Runs a sweep re-enqueues when their task is nowhere in the queue: still `stored` after
    /// `older_than` (their enqueue may have been lost), or `complete` with their settings not
    /// indexed after `older_than` (the delivery died between completion and indexing and was not
    /// redelivered, or the run predates the search index); a delivery of the latter indexes it.
    ///
    /// # Errors
    /// [`StoreError::Db`] when the database fails.
    pub async fn stale_unfinished_runs(
        &self,
        older_than: Duration,
        limit: u64,
    ) -> Result<Vec<Run>, StoreError> {
        let age = chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
        let cutoff = now()
            .checked_sub_signed(age)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        let rows = Entity::find()
            .filter(
                Condition::any()
                    .add(Column::Status.eq(RunStatus::Stored.as_str()))
                    .add(
                        Condition::all()
                            .add(Column::Status.eq(RunStatus::Complete.as_str()))
                            .add(Column::SettingsIndexedAt.is_null()),
                    ),
            )
            .filter(Column::UpdatedAt.lt(cutoff))
            .order_by_asc(Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(StoreError::db("find runs to sweep"))?;
        rows.into_iter().map(Run::try_from).collect()
    }
}

/// Locks the run row for the rest of `txn` and returns it.
///
/// The first statement is a write, so SQLite takes its write lock now (a deferred transaction
/// that reads first can fail to upgrade) and PostgreSQL holds the row lock.
pub(crate) async fn lock_run(txn: &DatabaseTransaction, id: RunId) -> Result<Model, StoreError> {
    let touched = Entity::update_many()
        .col_expr(Column::UpdatedAt, Expr::value(now()))
        .filter(Column::Id.eq(id.0))
        .exec(txn)
        .await
        .map_err(StoreError::db("lock a run"))?;
    if touched.rows_affected == 0 {
        return Err(StoreError::NotFound(id));
    }
    Entity::find_by_id(id.0)
        .one(txn)
        .await
        .map_err(StoreError::db("read a locked run"))?
        .ok_or(StoreError::NotFound(id))
}

/// The status column of a locked row, parsed.
pub(crate) fn status_of(model: &Model) -> Result<RunStatus, StoreError> {
    model
        .status
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("run {}: status", model.id)))
}
