//! The two JSON documents other tools share with the API: a run's status and the aggregate
//! metrics (CONTRACT §4). `confq status` and `confq metrics --json` print exactly these.

use std::collections::BTreeMap;
use std::time::Duration;

use broker::{Broker, QueueName};
use chrono::{DateTime, SecondsFormat, Utc};
use entity::Store;
use entity::store::{RecentFailure, Run, RunMetrics};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;

/// `GET /v1/worker/runs/{run_id}/status`.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct StatusDocument {
    /// Run id.
    pub id: i64,
    /// `stored`, `parsing`, `retrying`, `complete`, `failed` or `cancelled`.
    pub status: String,
    /// The task processing the run.
    pub task_id: Option<String>,
    /// The broker queue its task was sent to (null for runs made before queues were recorded,
    /// or by a task enqueued directly).
    pub queue: Option<String>,
    /// Retries scheduled so far.
    pub retry_count: i32,
    /// The last error.
    pub error_message: Option<String>,
    /// The last error's cause chain.
    pub error_traceback: Option<String>,
    /// When the first attempt started (RFC 3339).
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    /// When the running attempt last proved it was alive.
    #[schema(format = DateTime)]
    pub last_heartbeat: Option<String>,
    /// When the run became complete or failed.
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
    /// Figures of a finished run; null before.
    pub metrics: Option<RunMetricsDocument>,
}

/// The `metrics` of a finished run.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct RunMetricsDocument {
    /// Conf files parsed.
    pub files_parsed: i64,
    /// Stanzas written.
    pub stanzas_created: i64,
    /// Wall time of the last attempt.
    pub duration_seconds: f64,
    /// Files with a parse error.
    pub parse_errors: i64,
    /// Retries used.
    pub retry_count: i64,
    /// `null`, `permanent`, `transient`, `transient_exhausted` or `timeout`.
    pub error_type: Option<String>,
    /// Archive members skipped or read with reservations (an app package nested deeper than one
    /// level, links, macOS debris, duplicates…); the first 100. Absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Seconds the last attempt spent reading the archive (inflating, walking it, caps,
    /// SHA-256, copying members). Absent when the attempt did not get that far, and in runs
    /// recorded before this field existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub read_seconds: Option<f64>,
    /// Seconds the last attempt spent parsing the members' text into stanzas. Absent as
    /// `read_seconds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub parse_seconds: Option<f64>,
    /// Seconds the last attempt's results transaction (files and stanzas) took. Absent when the
    /// attempt did not reach it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub write_seconds: Option<f64>,
}

impl From<RunMetrics> for RunMetricsDocument {
    fn from(m: RunMetrics) -> Self {
        Self {
            files_parsed: m.files_parsed,
            stanzas_created: m.stanzas_created,
            duration_seconds: m.duration_seconds,
            parse_errors: m.parse_errors,
            retry_count: m.retry_count,
            error_type: m.error_type,
            warnings: m.warnings,
            read_seconds: m.read_seconds,
            parse_seconds: m.parse_seconds,
            write_seconds: m.write_seconds,
        }
    }
}

impl From<Run> for StatusDocument {
    fn from(run: Run) -> Self {
        Self {
            id: run.id.0,
            status: run.status.as_str().to_owned(),
            task_id: run.task_id.map(|id| id.to_string()),
            queue: run.queue,
            retry_count: run.retry_count,
            error_message: run.error_message,
            error_traceback: run.error_traceback,
            started_at: run.started_at.map(timestamp),
            last_heartbeat: run.last_heartbeat.map(timestamp),
            completed_at: run.completed_at.map(timestamp),
            metrics: run.metrics.map(RunMetricsDocument::from),
        }
    }
}

/// Timestamps as the API shows them: RFC 3339, UTC, whole seconds (`2024-01-15T10:00:00Z`).
pub(crate) fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `GET /v1/worker/metrics`.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct MetricsDocument {
    /// Runs per status (every status, zeros included).
    pub status_counts: BTreeMap<String, i64>,
    /// Retries over all runs.
    pub retry_stats: RetryStatsDocument,
    /// Mean duration of complete runs; null when there are none.
    pub avg_duration_seconds: Option<f64>,
    /// The latest failed runs, newest first.
    pub recent_failures: Vec<RecentFailureDocument>,
    /// Depths and live workers per queue.
    pub queues: BTreeMap<String, QueueDepths>,
    /// Runs `parsing` whose heartbeat is older than `CONFQ_STUCK_SECS` (default 300).
    pub stuck_runs: u64,
    /// Up to 10 of those runs' ids, the longest silent first.
    pub stuck_run_ids: Vec<i64>,
    /// The reaper's liveness.
    pub reaper: ReaperDocument,
    /// Live workers, with their circuit breakers.
    pub workers: Vec<WorkerDocument>,
}

/// One live worker of [`MetricsDocument::workers`], from its registry entry.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct WorkerDocument {
    /// Its id (`host:pid:random`).
    pub id: String,
    /// Host name.
    pub host: String,
    /// Queues it consumes.
    pub queues: Vec<String>,
    /// Tasks it runs at once.
    pub concurrency: u64,
    /// Tasks it was running at its last refresh.
    pub in_flight: u64,
    /// Its last refresh (RFC 3339).
    #[schema(format = DateTime)]
    pub last_seen: String,
    /// Its circuit breaker per dependency (`database`, `storage`, …).
    pub breakers: BTreeMap<String, BreakerStateDocument>,
}

/// A circuit breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreakerStateDocument {
    /// Tasks that need the dependency run.
    Closed,
    /// They stay queued: the dependency failed repeatedly.
    Open,
    /// A probe is checking whether the dependency is back.
    HalfOpen,
}

impl BreakerStateDocument {
    /// The state a registry entry spells `text` (an unknown word counts as open: not healthy).
    fn parse(text: &str) -> Self {
        match text {
            "closed" => Self::Closed,
            "half_open" => Self::HalfOpen,
            _ => Self::Open,
        }
    }
}

impl From<&broker::WorkerInfo> for WorkerDocument {
    fn from(w: &broker::WorkerInfo) -> Self {
        Self {
            id: w.id.as_str().to_owned(),
            host: w.host.clone(),
            queues: w.queues.iter().map(|q| q.as_str().to_owned()).collect(),
            concurrency: w.concurrency as u64,
            in_flight: w.in_flight as u64,
            last_seen: timestamp(w.last_seen),
            breakers: w
                .breakers
                .iter()
                .map(|(d, state)| (d.clone(), BreakerStateDocument::parse(state)))
                .collect(),
        }
    }
}

/// What the metrics show of the reaper.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ReaperDocument {
    /// When a reaper last finished a tick (RFC 3339); null when none ever did.
    #[schema(format = DateTime)]
    pub last_tick: Option<String>,
}

/// The default of `CONFQ_STUCK_SECS`: the seed's "heartbeat older than 5 minutes".
pub const DEFAULT_STUCK_AFTER: Duration = Duration::from_secs(300);

/// Retry figures over all runs.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct RetryStatsDocument {
    /// Mean retries per run.
    pub avg_retries: f64,
    /// Most retries of one run.
    pub max_retries: i64,
}

/// One failed run of [`MetricsDocument::recent_failures`].
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct RecentFailureDocument {
    /// Run id.
    pub id: i64,
    /// Its error.
    pub error_message: Option<String>,
    /// When it failed.
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
    /// `metrics.error_type`.
    pub error_type: Option<String>,
}

impl From<RecentFailure> for RecentFailureDocument {
    fn from(f: RecentFailure) -> Self {
        Self {
            id: f.id.0,
            error_message: f.error_message,
            completed_at: f.completed_at.map(timestamp),
            error_type: f.error_type,
        }
    }
}

/// One queue's depths and its live workers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct QueueDepths {
    /// Tasks waiting.
    pub pending: u64,
    /// Tasks taken by workers.
    pub processing: u64,
    /// Tasks waiting for a retry backoff.
    pub delayed: u64,
    /// Dead letters kept.
    pub dead: u64,
    /// Live workers consuming the queue.
    pub workers: u64,
}

/// The aggregate metrics of every known queue (and the default queue `ingest`), with runs
/// silent for [`DEFAULT_STUCK_AFTER`] counted as stuck.
///
/// # Errors
/// [`ApiError::Unavailable`] when Redis or the database does not answer.
pub async fn metrics(broker: &Broker, store: &Store) -> Result<MetricsDocument, ApiError> {
    metrics_with(
        broker,
        store,
        &protocol::default_queue(),
        DEFAULT_STUCK_AFTER,
    )
    .await
}

/// [`metrics`], making sure `queue` is listed even before anything was enqueued on it, with runs
/// whose heartbeat is older than `stuck_after` counted as stuck.
///
/// # Errors
/// [`ApiError::Unavailable`] when Redis or the database does not answer.
pub async fn metrics_with(
    broker: &Broker,
    store: &Store,
    queue: &QueueName,
    stuck_after: Duration,
) -> Result<MetricsDocument, ApiError> {
    let summary = store.metrics_summary().await?;
    let stuck = store.stuck_runs(stuck_after).await?;
    let last_tick = broker.last_reaper_tick().await?;
    let mut names = broker.queues().await?;
    if !names.contains(queue) {
        names.push(queue.clone());
    }
    let live = broker.workers().live().await?;
    let mut queues = BTreeMap::new();
    for name in names {
        let stats = broker.stats(&name).await?;
        let workers = live.iter().filter(|w| w.queues.contains(&name)).count() as u64;
        let depths = QueueDepths {
            pending: stats.pending,
            processing: stats.processing,
            delayed: stats.delayed,
            dead: stats.dead,
            workers,
        };
        queues.insert(name.as_str().to_owned(), depths);
    }
    Ok(MetricsDocument {
        status_counts: summary.status_counts,
        retry_stats: RetryStatsDocument {
            avg_retries: summary.retry_stats.avg_retries,
            max_retries: summary.retry_stats.max_retries,
        },
        avg_duration_seconds: summary.avg_duration_seconds,
        recent_failures: summary
            .recent_failures
            .into_iter()
            .map(Into::into)
            .collect(),
        queues,
        stuck_runs: stuck.count,
        stuck_run_ids: stuck.ids.into_iter().map(|id| id.0).collect(),
        reaper: ReaperDocument {
            last_tick: last_tick.map(timestamp),
        },
        workers: live.iter().map(WorkerDocument::from).collect(),
    })
}
