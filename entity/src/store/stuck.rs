//! Stuck runs: `parsing` whose attempt has not proved it is alive (`last_heartbeat`) for longer
//! than a threshold. The seed's monitoring advice ("heartbeat older than 5 minutes") as a query.
//!
//! The filter starts from the `(status, id)` index, so it reads only the runs being parsed (at
//! most workers × concurrency of them), however many runs the table holds.

use std::time::Duration;

use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use super::Store;
use super::ids::{RunId, RunStatus};
use super::run::now;
use crate::StoreError;
use crate::ingestion_run::{Column, Entity};

/// How many ids [`StuckRuns::ids`] lists at most.
pub const STUCK_IDS: u64 = 10;

/// Runs in `parsing` whose heartbeat is older than the threshold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StuckRuns {
    /// How many there are.
    pub count: u64,
    /// The oldest-heartbeat ones first, at most [`STUCK_IDS`].
    pub ids: Vec<RunId>,
}

impl Store {
    /// Runs `parsing` whose `last_heartbeat` (or, without one, `started_at`) is older than
    /// `older_than`.
    ///
    /// # Errors
    /// [`StoreError::Db`] when the database fails.
    pub async fn stuck_runs(&self, older_than: Duration) -> Result<StuckRuns, StoreError> {
        let age = chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
        let cutoff = now()
            .checked_sub_signed(age)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        let stale = Condition::any().add(Column::LastHeartbeat.lt(cutoff)).add(
            Condition::all()
                .add(Column::LastHeartbeat.is_null())
                .add(Column::StartedAt.lt(cutoff)),
        );
        let query = Entity::find()
            .filter(Column::Status.eq(RunStatus::Parsing.as_str()))
            .filter(stale);
        let count = query
            .clone()
            .count(&self.db)
            .await
            .map_err(StoreError::db("count stuck runs"))?;
        let ids: Vec<i64> = query
            .select_only()
            .column(Column::Id)
            .order_by_asc(Expr::col(Column::LastHeartbeat))
            .order_by_asc(Column::Id)
            .limit(STUCK_IDS)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(StoreError::db("list stuck runs"))?;
        Ok(StuckRuns {
            count,
            ids: ids.into_iter().map(RunId).collect(),
        })
    }
}
