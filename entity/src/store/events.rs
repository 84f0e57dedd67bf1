//! Announcing run status changes: a store made with [`Store::announcing`] publishes one JSON
//! message per committed change on the broker's run-events channel (`broker::EventPublisher`,
//! which never waits on Redis). The API's `/v1/stream` relays them as `{"type":"run",…}`.

use serde::Serialize;

use super::Store;
use crate::ingestion_run::Model;

/// What a run-events message says of the run after a change (the `/v1/stream` `run` message).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunChange<'a> {
    /// Always `"run"`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Run id.
    pub id: i64,
    /// The status after the change.
    pub status: &'a str,
    /// Retries scheduled so far.
    pub retry_count: i32,
    /// The last error.
    pub error_message: Option<&'a str>,
    /// The task processing the run.
    pub task_id: Option<String>,
    /// The queue of its task.
    pub queue: Option<&'a str>,
    /// The archive's file name.
    pub filename: &'a str,
    /// When the change was written (RFC 3339, UTC).
    pub updated_at: String,
}

impl<'a> From<&'a Model> for RunChange<'a> {
    fn from(model: &'a Model) -> Self {
        Self {
            kind: "run",
            id: model.id,
            status: &model.status,
            retry_count: model.retry_count,
            error_message: model.error_message.as_deref(),
            task_id: model.task_id.map(|id| id.to_string()),
            queue: model.queue.as_deref(),
            filename: &model.filename,
            updated_at: model
                .updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }
}

impl Store {
    /// This store, announcing every run status change it commits through `publisher`.
    #[must_use]
    pub fn announcing(mut self, publisher: broker::EventPublisher) -> Self {
        self.events = Some(publisher);
        self
    }

    /// Announces the committed state of a run (nothing without a publisher).
    pub(crate) fn announce(&self, model: &Model) {
        let Some(events) = &self.events else {
            return;
        };
        match serde_json::to_string(&RunChange::from(model)) {
            Ok(message) => events.publish(message),
            Err(error) => tracing::debug!(%error, "run change not serialisable"),
        }
    }
}
