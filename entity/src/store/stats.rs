//! Keeps `run_stats` in step with `ingestion_runs`, inside the caller's transaction.
//!
//! Always touched last in a transaction (after the run row), so lock order is the same
//! everywhere and PostgreSQL cannot deadlock on it.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use super::ids::RunStatus;
use crate::StoreError;
use crate::run_stats::{Column, Entity};

/// One change to the totals.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Delta {
    /// The status the run leaves (`None` for a new run).
    pub from: Option<RunStatus>,
    /// The status the run enters.
    pub to: Option<RunStatus>,
    /// The run's retry count before and after.
    pub retries: Option<(i32, i32)>,
    /// Duration of a run that became complete.
    pub completed_duration: Option<f64>,
}

fn column(status: RunStatus) -> Column {
    match status {
        RunStatus::Stored => Column::Stored,
        RunStatus::Parsing => Column::Parsing,
        RunStatus::Retrying => Column::Retrying,
        RunStatus::Complete => Column::Complete,
        RunStatus::Failed => Column::Failed,
        RunStatus::Cancelled => Column::Cancelled,
    }
}

pub(crate) async fn apply(txn: &DatabaseTransaction, delta: Delta) -> Result<(), StoreError> {
    let mut update = Query::update();
    update.table(Entity).and_where(Expr::col(Column::Id).eq(1));
    let mut changed = false;
    if delta.from != delta.to {
        if let Some(from) = delta.from {
            update.value(column(from), Expr::col(column(from)).sub(1));
            changed = true;
        }
        if let Some(to) = delta.to {
            update.value(column(to), Expr::col(column(to)).add(1));
            changed = true;
        }
    }
    if let Some((before, after)) = delta.retries.filter(|(b, a)| b != a) {
        let diff = i64::from(after) - i64::from(before);
        update.value(Column::RetriesSum, Expr::col(Column::RetriesSum).add(diff));
        let after = i64::from(after);
        update.value(
            Column::RetriesMax,
            Expr::case(Expr::col(Column::RetriesMax).lt(after), after)
                .finally(Expr::col(Column::RetriesMax)),
        );
        changed = true;
    }
    if let Some(seconds) = delta.completed_duration {
        update.value(
            Column::DurationCount,
            Expr::col(Column::DurationCount).add(1),
        );
        update.value(
            Column::DurationSum,
            Expr::col(Column::DurationSum).add(seconds),
        );
        changed = true;
    }
    if changed {
        txn.execute(&update)
            .await
            .map_err(StoreError::db("update run stats"))?;
    }
    Ok(())
}
