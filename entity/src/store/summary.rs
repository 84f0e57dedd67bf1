//! The metrics summary, read from `run_stats` (O(1)) plus the latest failures (an index scan).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use super::Store;
use super::ids::{RunId, RunStatus};
use super::run::RunMetrics;
use crate::StoreError;
use crate::{ingestion_run, run_stats};

/// How many failures [`MetricsSummary::recent_failures`] lists.
pub const RECENT_FAILURES: u64 = 10;

/// The aggregate of `GET /v1/worker/metrics` (without the queues, which the broker adds).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricsSummary {
    /// Runs per status (every status present, zeros included).
    pub status_counts: BTreeMap<String, i64>,
    /// Retries over all runs.
    pub retry_stats: RetryStats,
    /// Mean `duration_seconds` of complete runs; null when none.
    pub avg_duration_seconds: Option<f64>,
    /// The latest failed runs, newest first.
    pub recent_failures: Vec<RecentFailure>,
}

/// Retry figures over all runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RetryStats {
    /// Mean `retry_count` per run (0 when there are no runs).
    pub avg_retries: f64,
    /// Highest `retry_count` ever recorded.
    pub max_retries: i64,
}

/// One failed run in the summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecentFailure {
    /// Run id.
    pub id: RunId,
    /// Its error.
    pub error_message: Option<String>,
    /// When it failed.
    pub completed_at: Option<DateTime<Utc>>,
    /// `metrics.error_type`.
    pub error_type: Option<String>,
}

impl Store {
    /// The aggregate metrics; constant time in the number of runs.
    ///
    /// # Errors
    /// [`StoreError::Db`] when the database fails.
    pub async fn metrics_summary(&self) -> Result<MetricsSummary, StoreError> {
        let stats = self.stats_row().await?;
        let status_counts = counts(&stats);
        let total: i64 = status_counts.values().sum();
        let avg_retries = if total > 0 {
            stats.retries_sum as f64 / total as f64
        } else {
            0.0
        };
        let avg_duration_seconds =
            (stats.duration_count > 0).then(|| stats.duration_sum / stats.duration_count as f64);
        Ok(MetricsSummary {
            status_counts,
            retry_stats: RetryStats {
                avg_retries,
                max_retries: stats.retries_max,
            },
            avg_duration_seconds,
            recent_failures: self.recent_failures().await?,
        })
    }

    /// Runs per status (every status present, zeros included).
    ///
    /// # Errors
    /// [`StoreError::Db`] when the database fails.
    pub async fn runs_by_status(&self) -> Result<BTreeMap<String, i64>, StoreError> {
        Ok(counts(&self.stats_row().await?))
    }

    async fn stats_row(&self) -> Result<run_stats::Model, StoreError> {
        run_stats::Entity::find_by_id(1)
            .one(&self.db)
            .await
            .map_err(StoreError::db("read run stats"))?
            .ok_or_else(|| StoreError::Corrupt("run_stats row missing: run migrations".to_owned()))
    }

    async fn recent_failures(&self) -> Result<Vec<RecentFailure>, StoreError> {
        use ingestion_run::Column as C;
        let rows = ingestion_run::Entity::find()
            .filter(C::Status.eq(RunStatus::Failed.as_str()))
            .order_by_desc(C::CompletedAt)
            .limit(RECENT_FAILURES)
            .all(&self.db)
            .await
            .map_err(StoreError::db("read recent failures"))?;
        Ok(rows
            .into_iter()
            .map(|m| {
                let metrics: Option<RunMetrics> = m
                    .metrics
                    .and_then(|value| serde_json::from_value(value).ok());
                RecentFailure {
                    id: RunId(m.id),
                    error_message: m.error_message,
                    completed_at: m.completed_at,
                    error_type: metrics.and_then(|metrics| metrics.error_type),
                }
            })
            .collect())
    }
}

fn counts(stats: &run_stats::Model) -> BTreeMap<String, i64> {
    RunStatus::ALL
        .into_iter()
        .map(|status| {
            let n = match status {
                RunStatus::Stored => stats.stored,
                RunStatus::Parsing => stats.parsing,
                RunStatus::Retrying => stats.retrying,
                RunStatus::Complete => stats.complete,
                RunStatus::Failed => stats.failed,
                RunStatus::Cancelled => stats.cancelled,
            };
            (status.as_str().to_owned(), n)
        })
        .collect()
}
