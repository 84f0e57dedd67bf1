//! Runs as the store hands them out: [`NewRun`] in, [`Run`] and [`RunMetrics`] out.

use broker::QueueName;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ids::{RunId, RunSource, RunStatus};
use crate::StoreError;
use crate::ingestion_run;

/// What a producer knows when it creates a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRun {
    /// The original file name (display only; never used as a storage key).
    pub filename: String,
    /// Where the archive lives in [`crate::Storage`].
    pub object_key: String,
    /// Archive size.
    pub size_bytes: i64,
    /// Hex SHA-256 of the archive.
    pub sha256: String,
    /// Who created the run.
    pub source: RunSource,
    /// The task that will process it, when already known.
    pub task_id: Option<Uuid>,
    /// The broker queue its task goes to (`None`: not recorded).
    pub queue: Option<String>,
}

/// The figures of a finished (or failed) run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunMetrics {
    /// Conf files parsed.
    pub files_parsed: i64,
    /// Stanzas written.
    pub stanzas_created: i64,
    /// Wall-clock seconds from the run's first start to its end, across all attempts and the
    /// waits between them (for every terminal status).
    pub duration_seconds: f64,
    /// Files with a parse error.
    pub parse_errors: i64,
    /// Retries used.
    pub retry_count: i64,
    /// `null`, `permanent`, `transient`, `transient_exhausted` or `timeout`.
    pub error_type: Option<String>,
    /// What the archive reader skipped or read with reservations (a package nested deeper than
    /// one level, links, debris…), the first [`RUN_WARNINGS`] of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Seconds the last attempt spent reading the archive (inflating, walking it, caps, SHA-256,
    /// copying members), when it got that far; absent in runs from before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_seconds: Option<f64>,
    /// Seconds the last attempt spent parsing the members' text into stanzas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse_seconds: Option<f64>,
    /// Seconds the last attempt's results transaction (files and stanzas) took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_seconds: Option<f64>,
}

/// How many archive warnings a run keeps in its metrics.
pub const RUN_WARNINGS: usize = 100;

/// One ingestion run with every tracking field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Run {
    /// Run id.
    pub id: RunId,
    /// Original file name.
    pub filename: String,
    /// Storage key of the archive.
    pub object_key: String,
    /// Archive size in bytes.
    pub size_bytes: i64,
    /// Hex SHA-256 of the archive.
    pub sha256: String,
    /// Who created it.
    pub source: RunSource,
    /// Lifecycle state.
    pub status: RunStatus,
    /// The task processing it.
    pub task_id: Option<Uuid>,
    /// The broker queue its task was sent to (`None` for runs made before this was recorded,
    /// and for runs made by a task enqueued directly).
    pub queue: Option<String>,
    /// The fence: bumped by every attempt and by every expiry.
    pub attempt: i64,
    /// Retries scheduled so far.
    pub retry_count: i32,
    /// The last error, if any.
    pub error_message: Option<String>,
    /// The last error's cause chain.
    pub error_traceback: Option<String>,
    /// When the running attempt last proved it was alive.
    pub last_heartbeat: Option<DateTime<Utc>>,
    /// When the first attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it became complete or failed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Figures of the finished run.
    pub metrics: Option<RunMetrics>,
    /// When the complete run's settings were indexed for search; `None` until then.
    pub settings_indexed_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Run {
    /// The queue its task goes to: the recorded one, else `default` (runs made before queues
    /// were recorded, or a recorded name that is no longer valid).
    pub fn queue_or(&self, default: &QueueName) -> QueueName {
        self.queue
            .as_deref()
            .and_then(|q| QueueName::parse(q).ok())
            .unwrap_or_else(|| default.clone())
    }
}

impl TryFrom<ingestion_run::Model> for Run {
    type Error = StoreError;

    fn try_from(m: ingestion_run::Model) -> Result<Self, Self::Error> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("run {}: {what}", m.id));
        let status = m.status.parse().map_err(|_| corrupt("status"))?;
        let source = m.source.parse().map_err(|_| corrupt("source"))?;
        let metrics = match m.metrics.clone() {
            Some(value) if !value.is_null() => {
                Some(serde_json::from_value(value).map_err(|_| corrupt("metrics"))?)
            }
            _ => None,
        };
        Ok(Run {
            id: RunId(m.id),
            filename: m.filename,
            object_key: m.object_key,
            size_bytes: m.size_bytes,
            sha256: m.sha256,
            source,
            status,
            task_id: m.task_id,
            queue: m.queue,
            attempt: i64::from(m.attempt),
            retry_count: m.retry_count,
            error_message: m.error_message,
            error_traceback: m.error_traceback,
            last_heartbeat: m.last_heartbeat,
            started_at: m.started_at,
            completed_at: m.completed_at,
            metrics,
            settings_indexed_at: m.settings_indexed_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// Now, at the microsecond precision both databases keep, so values round-trip exactly.
pub(crate) fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// Seconds from `start` to `end` (0 when `end` is earlier).
pub(crate) fn seconds_between(start: DateTime<Utc>, end: DateTime<Utc>) -> f64 {
    let micros = (end - start).num_microseconds().unwrap_or(i64::MAX).max(0);
    micros as f64 / 1e6
}
