//! The reaper's state change: a lease expired, so the run is retried or failed with `timeout`,
//! and the attempt that lost its lease is fenced out.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, TransactionTrait,
};
use tracing::instrument;

use super::Store;
use super::ids::{RunId, RunStatus};
use super::lifecycle::{save, to_json};
use super::nul::visible;
use super::run::{RunMetrics, now, seconds_between};
use super::runs::{lock_run, status_of};
use super::stats::Delta;
use crate::StoreError;
use crate::{conf_file, stanza};

impl Store {
    /// For the reaper, when a lease expired: bumps `attempt` (so the lost attempt's later writes
    /// are fenced out) and sets `retrying`, or `failed` with `error_type` `timeout` when
    /// `exhausted`. `message` becomes both `error_message` and `error_traceback` (an expiry has no
    /// deeper cause), so the run never shows an older attempt's traceback beside it. An exhausted
    /// expiry records the run's metrics: `duration_seconds` from the first start to now, and the
    /// files and stanzas stored for the run (what the attempts reached; the reaper cannot see
    /// the lost attempt's memory).
    ///
    /// Returns false (and changes nothing) unless the run is stored/parsing/retrying, or when a
    /// later delivery than `expired_delivery` (the broker's attempt number of the delivery whose
    /// lease expired) has begun already: that attempt is live and must not be fenced out by a
    /// late record.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Db`].
    #[instrument(skip_all, err(Debug), fields(run.id = %id))]
    pub async fn expire_attempt(
        &self,
        id: RunId,
        expired_delivery: u32,
        retry_count: i32,
        exhausted: bool,
        message: &str,
    ) -> Result<bool, StoreError> {
        let txn = self.db.begin().await.map_err(StoreError::db("begin"))?;
        let model = lock_run(&txn, id).await?;
        let from = status_of(&model)?;
        if !matches!(
            from,
            RunStatus::Stored | RunStatus::Parsing | RunStatus::Retrying
        ) {
            return Ok(false);
        }
        if i64::from(model.delivery_attempt) > i64::from(expired_delivery) {
            return Ok(false);
        }
        let to = if exhausted {
            RunStatus::Failed
        } else {
            RunStatus::Retrying
        };
        let delta = Delta {
            from: Some(from),
            to: Some(to),
            retries: Some((model.retry_count, retry_count)),
            ..Delta::default()
        };
        let attempt = model.attempt + 1;
        let started_at = model.started_at;
        let mut am = model.into_active_model();
        am.attempt = Set(attempt);
        am.status = Set(to.as_str().to_owned());
        am.retry_count = Set(retry_count);
        am.error_message = Set(Some(visible(message)));
        am.error_traceback = Set(Some(visible(message)));
        if exhausted {
            let completed_at = now();
            let mut metrics = stored_counts(&txn, id).await?;
            metrics.duration_seconds =
                started_at.map_or(0.0, |start| seconds_between(start, completed_at));
            metrics.retry_count = i64::from(retry_count);
            metrics.error_type = Some(protocol::error_type::TIMEOUT.to_owned());
            am.metrics = Set(Some(to_json(&metrics)?));
            am.completed_at = Set(Some(completed_at));
        }
        let saved = save(&txn, am, delta).await?;
        txn.commit().await.map_err(StoreError::db("commit"))?;
        self.announce(&saved);
        Ok(true)
    }
}

/// The files, parse errors and stanzas stored for run `id`, as metrics.
async fn stored_counts(txn: &DatabaseTransaction, id: RunId) -> Result<RunMetrics, StoreError> {
    let files = conf_file::Entity::find().filter(conf_file::Column::RunId.eq(id.0));
    let files_parsed = files
        .clone()
        .count(txn)
        .await
        .map_err(StoreError::db("count a run's files"))?;
    let parse_errors = files
        .filter(conf_file::Column::ParseError.is_not_null())
        .count(txn)
        .await
        .map_err(StoreError::db("count a run's parse errors"))?;
    let stanzas_created = stanza::Entity::find()
        .filter(stanza::Column::RunId.eq(id.0))
        .count(txn)
        .await
        .map_err(StoreError::db("count a run's stanzas"))?;
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    Ok(RunMetrics {
        files_parsed: count(files_parsed),
        stanzas_created: count(stanzas_created),
        parse_errors: count(parse_errors),
        ..RunMetrics::default()
    })
}
