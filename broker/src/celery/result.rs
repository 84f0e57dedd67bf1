//! Celery's Redis result-backend format: `celery-task-meta-<id>` set with a TTL and published on
//! the channel of the same name, in one script (`celery_result.lua`) that never overwrites a
//! stored SUCCESS.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use tracing::warn;

use crate::broker::Broker;
use crate::config::millis;
use crate::connection::RedisConnection;
use crate::error::Result;
use crate::keys;
use crate::scripts;

/// A Celery task state, as `AsyncResult.state` reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The task started (only when the message asked for it).
    Started,
    /// Done; the result is the task's result.
    Success,
    /// Failed for good; the result is the exception.
    Failure,
    /// Failed; confq retries it.
    Retry,
    /// Not run: expired before it started, or cancelled.
    Revoked,
}

impl Status {
    /// The state's word in the result document.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "STARTED",
            Self::Success => "SUCCESS",
            Self::Failure => "FAILURE",
            Self::Retry => "RETRY",
            Self::Revoked => "REVOKED",
        }
    }

    fn is_ready(self) -> bool {
        matches!(self, Self::Success | Self::Failure | Self::Revoked)
    }
}

/// Writes Celery results on one Redis (the broker's, or `CONFQ_CELERY_RESULT_URL`'s).
#[derive(Debug, Clone)]
pub struct CeleryResults {
    con: RedisConnection,
    ttl: Duration,
}

impl CeleryResults {
    /// Results on `broker`'s Redis, kept `ttl` (`CONFQ_RESULT_TTL_SECS`).
    pub fn new(broker: &Broker, ttl: Duration) -> Self {
        Self {
            con: broker.connection(),
            ttl,
        }
    }

    /// Records `status` with `result` for task `id` and publishes it; `false` when a SUCCESS
    /// was already stored (it stays).
    ///
    /// # Errors
    /// `Redis` when the script fails.
    pub async fn write(&self, id: &str, status: Status, result: &Value) -> Result<bool> {
        let doc = document(id, status, result);
        let key = keys::celery_result(id);
        let ttl = millis(self.ttl).max(1);
        scripts::celery_result(&mut self.con.clone(), &key, &doc, ttl).await
    }

    /// [`CeleryResults::write`] as best effort: the task's state in confq already changed, and
    /// a lost result only makes the caller wait for its own timeout; a failure is logged.
    pub(crate) async fn answer(&self, id: &str, status: Status, result: &Value) {
        if let Err(error) = self.write(id, status, result).await {
            warn!(task.id = %id, status = status.as_str(), error = %crate::report::Chain(&error), "could not write the Celery result");
        }
    }
}

/// The result of a revoked task: Celery's own `TaskRevokedError` (`why`: `expired`, `revoked`).
pub(crate) fn revoked(why: &str) -> Value {
    json!({"exc_type": "TaskRevokedError", "exc_message": [why], "exc_module": "celery.exceptions"})
}

/// The Python exception class a caller sees for the failure types the broker itself writes
/// (`CeleryOptions::exc_type` defaults to it; the worker adds its own types, `worker::celery`).
pub fn broker_exc_type(error_type: &str) -> &'static str {
    match error_type {
        crate::reaper::TIMEOUT => "TimeLimitExceeded",
        crate::consumer::TRANSIENT => "TransientError",
        crate::consumer::MALFORMED => "DecodeError",
        _ => "TaskError",
    }
}

/// The result document: `status`, `result`, `traceback`, `children`, `date_done` (ready states
/// only), `task_id` (without it the Python client keeps waiting).
pub fn document(id: &str, status: Status, result: &Value) -> String {
    let done = status
        .is_ready()
        .then(|| Utc::now().format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string());
    json!({
        "status": status.as_str(),
        "result": result,
        "traceback": null,
        "children": [],
        "date_done": done,
        "task_id": id,
    })
    .to_string()
}

/// A failure's result: Python raises an exception class of this name with this message
/// (`exc_module` null: a class generated on the client).
pub fn exception(exc_type: &str, message: &str) -> Value {
    json!({"exc_type": exc_type, "exc_message": [message], "exc_module": null})
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{Status, document, exception};

    #[test]
    fn documents_hold_what_the_python_client_reads() {
        let doc: Value =
            serde_json::from_str(&document("i", Status::Success, &json!({"a": 1}))).unwrap();
        assert_eq!(doc["status"], "SUCCESS");
        assert_eq!(doc["result"], json!({"a": 1}));
        assert_eq!(
            (doc["task_id"].as_str(), doc["children"].clone()),
            (Some("i"), json!([]))
        );
        assert!(doc["date_done"].as_str().unwrap().ends_with("+00:00"));
        let retry: Value =
            serde_json::from_str(&document("i", Status::Retry, &Value::Null)).unwrap();
        assert!(retry["date_done"].is_null());
        assert_eq!(
            exception("TypeError", "m"),
            json!({"exc_type": "TypeError", "exc_message": ["m"], "exc_module": null})
        );
    }
}
