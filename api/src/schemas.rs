//! Response bodies of the list, upload and dead-letter routes (the status and metrics
//! documents live in `documents`).

use broker::DeadLetter;
use entity::store::{ConfFileRow, FileWarning, Run, StanzaRow};
use serde::Serialize;
use utoipa::ToSchema;

use crate::documents::{RunMetricsDocument, timestamp};

/// `{"error": "<message>"}`, the body of every failed request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: String,
}

/// 202 answer of an accepted upload or retry.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// The run.
    pub run_id: i64,
    /// The task enqueued for it.
    pub task_id: String,
    /// Always `stored`.
    pub status: String,
}

/// One run in `GET /v1/runs`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunDocument {
    /// Run id.
    pub id: i64,
    /// Original file name.
    pub filename: String,
    /// Archive size.
    pub size_bytes: i64,
    /// Hex SHA-256 of the archive.
    pub sha256: String,
    /// `api`, `cli` or `external`.
    pub source: String,
    /// Lifecycle state.
    pub status: String,
    /// The task processing it.
    pub task_id: Option<String>,
    /// Retries scheduled so far.
    pub retry_count: i32,
    /// The last error.
    pub error_message: Option<String>,
    /// Creation time.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// First attempt's start.
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    /// Completion or failure time.
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
    /// When the complete run's settings were indexed: it is searchable (`GET /v1/settings`) from
    /// then on; null before.
    #[schema(format = DateTime)]
    pub settings_indexed_at: Option<String>,
    /// Figures of a finished run.
    pub metrics: Option<RunMetricsDocument>,
}

impl From<Run> for RunDocument {
    fn from(r: Run) -> Self {
        Self {
            id: r.id.0,
            filename: r.filename,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            source: r.source.as_str().to_owned(),
            status: r.status.as_str().to_owned(),
            task_id: r.task_id.map(|id| id.to_string()),
            retry_count: r.retry_count,
            error_message: r.error_message,
            created_at: timestamp(r.created_at),
            started_at: r.started_at.map(timestamp),
            completed_at: r.completed_at.map(timestamp),
            settings_indexed_at: r.settings_indexed_at.map(timestamp),
            metrics: r.metrics.map(Into::into),
        }
    }
}

/// One parsed file in `GET /v1/runs/{run_id}/files`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileDocument {
    /// File id.
    pub id: i64,
    /// Path inside the archive.
    pub path: String,
    /// App folder, when inside one.
    pub app: Option<String>,
    /// `default`, `local`, `metadata` or `other`.
    pub layer: String,
    /// `props` for `props.conf`, `meta` for `.meta` files.
    pub conf_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Hex SHA-256.
    pub sha256: String,
    /// Stanzas written for it.
    pub stanza_count: i64,
    /// Why it could not be parsed; null when fine.
    pub parse_error: Option<String>,
    /// Non-fatal problems.
    pub warnings: Vec<WarningDocument>,
}

/// A non-fatal parse problem.
#[derive(Debug, Serialize, ToSchema)]
pub struct WarningDocument {
    /// 1-based line, when about one.
    pub line: Option<u32>,
    /// What is odd.
    pub message: String,
}

impl From<FileWarning> for WarningDocument {
    fn from(w: FileWarning) -> Self {
        Self {
            line: w.line,
            message: w.message,
        }
    }
}

impl From<ConfFileRow> for FileDocument {
    fn from(f: ConfFileRow) -> Self {
        Self {
            id: f.id,
            path: f.path,
            app: f.app,
            layer: f.layer,
            conf_type: f.conf_type,
            size_bytes: f.size_bytes,
            sha256: f.sha256,
            stanza_count: f.stanza_count,
            parse_error: f.parse_error,
            warnings: f.warnings.into_iter().map(Into::into).collect(),
        }
    }
}

/// One parsed stanza in `GET /v1/runs/{run_id}/stanzas`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StanzaDocument {
    /// Stanza id.
    pub id: i64,
    /// The file it came from.
    pub file_id: i64,
    /// App folder.
    pub app: Option<String>,
    /// Layer.
    pub layer: String,
    /// Conf type.
    pub conf_type: String,
    /// Raw name (`""` for `[]`).
    pub name: String,
    /// True for the settings before the file's first header.
    pub global: bool,
    /// Path of the file inside the archive.
    pub source_path: String,
    /// Line of the header.
    pub line: i64,
    /// Settings, file order kept.
    #[schema(value_type = Object)]
    pub settings: serde_json::Map<String, serde_json::Value>,
}

impl From<StanzaRow> for StanzaDocument {
    fn from(s: StanzaRow) -> Self {
        Self {
            id: s.id,
            file_id: s.file_id,
            app: s.app,
            layer: s.layer,
            conf_type: s.conf_type,
            name: s.name,
            global: s.global,
            source_path: s.source_path,
            line: s.line,
            settings: s.settings,
        }
    }
}

/// One dead letter in `GET /v1/worker/dead`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterDocument {
    /// The task id, when the element had one.
    pub task_id: Option<String>,
    /// The queue it died in.
    pub queue: String,
    /// Why it was dead-lettered.
    pub reason: String,
    /// The last failure recorded in the envelope.
    pub last_error: Option<String>,
    /// When it was dead-lettered.
    #[schema(format = DateTime)]
    pub dead_at: String,
    /// The element as it was.
    pub raw: String,
    /// The parsed envelope, when the element is a valid one.
    #[schema(value_type = Option<Object>)]
    pub envelope: Option<serde_json::Value>,
}

impl From<DeadLetter> for DeadLetterDocument {
    fn from(d: DeadLetter) -> Self {
        Self {
            task_id: d.task_id.map(|id| id.to_string()),
            queue: d.queue.as_str().to_owned(),
            reason: d.reason,
            last_error: d.last_error,
            dead_at: timestamp(d.dead_at),
            raw: d.raw,
            envelope: d.envelope.and_then(|e| serde_json::to_value(e).ok()),
        }
    }
}

/// Answer of `POST /v1/worker/dead/{task_id}/requeue`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Requeued {
    /// The task put back on its queue.
    pub task_id: String,
    /// The queue.
    pub queue: String,
}

/// Answer of `DELETE /v1/worker/dead`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Purged {
    /// Dead letters deleted.
    pub purged: usize,
    /// The queue.
    pub queue: String,
}

/// Declares a `{"items", "next"}` page of `$item`.
macro_rules! page {
    ($name:ident, $item:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            /// This page's items.
            pub items: Vec<$item>,
            /// Pass as `after` for the next page; null on the last page.
            pub next: Option<String>,
        }
    };
}
pub(crate) use page;

page!(RunPage, RunDocument, "A page of runs.");
page!(FilePage, FileDocument, "A page of parsed files.");
page!(StanzaPage, StanzaDocument, "A page of stanzas.");
page!(
    DeadLetterPage,
    DeadLetterDocument,
    "A page of dead letters."
);
