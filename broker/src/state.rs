//! Task state by id (`GET /v1/tasks/{id}`) and cancellation (`POST /v1/tasks/{id}/cancel`). A
//! finished task has a state hash with the result TTL (written by the script that finished it);
//! a pending, delayed or running one is found in its queue's structures, so a queued task costs
//! no extra key. Each known queue is asked at once (one script call per queue, concurrently: one
//! round trip on the shared connection). See docs/broker.md, "Task state".

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::Value;
use tracing::instrument;

use crate::broker::Broker;
use crate::envelope::{Envelope, LAST_ERROR, read_element};
use crate::error::Result;
use crate::names::{QueueName, TaskId};
use crate::scripts::{self, StateArgs};

/// Where a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskState {
    /// Waiting in its queue's pending list.
    Pending,
    /// Waiting for a retry's backoff or a delayed start.
    Delayed,
    /// Leased by a worker.
    Running,
    /// Finished; `result` holds what the handler returned.
    Succeeded,
    /// Failed for good, and its dead letter is gone (purged, or dropped by the caps).
    Failed,
    /// In the dead letters (can be requeued).
    Dead,
    /// Cancelled.
    Cancelled,
}

impl TaskState {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delayed => "delayed",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Dead => "dead",
            Self::Cancelled => "cancelled",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Delayed,
            Self::Running,
            Self::Succeeded,
            Self::Failed,
            Self::Dead,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One task as `GET /v1/tasks/{id}` and `confq task` show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskInfo {
    /// The task id.
    pub id: TaskId,
    /// The registered task name.
    pub task: String,
    /// Its queue.
    pub queue: QueueName,
    /// Where it is.
    pub state: TaskState,
    /// Failed attempts before the current (or last) delivery.
    pub attempt: u32,
    /// What the handler returned (succeeded tasks; `null` when it returned nothing).
    pub result: Value,
    /// The last error (a retry's, a dead letter's reason, `cancelled`), if any.
    pub error: Option<String>,
    /// When the state was recorded (finished states); `null` for live states.
    pub updated_at: Option<DateTime<Utc>>,
}

/// What [`Broker::cancel`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum CancelOutcome {
    /// Removed from `from` (pending, delayed or dead) and recorded `cancelled`; the envelope is
    /// given so that callers can update their own records (an ingestion run).
    Cancelled {
        /// Where it was.
        from: TaskState,
        /// Its envelope (for a dead letter, the dead task's), if it could be read.
        envelope: Option<Box<Envelope>>,
    },
    /// Running: the worker holding it was told (its queue's cancel channel) and ends it
    /// `cancelled`; it is not retried.
    Signalled,
    /// Already finished (`succeeded`, `failed` or `cancelled`): nothing to cancel.
    Finished(TaskState),
    /// No queue knows the id (never enqueued here, or its state expired).
    Unknown,
}

impl Broker {
    /// The task `id`: finished state from its state hash, else found in its queue's structures.
    /// `None` when no known queue has it (never enqueued, or its state expired). Two rounds: the
    /// recorded states of every queue first (one `HGET` each), and only when none has it a
    /// search of the queues' lists — a finished task's lookup never scans another queue's
    /// backlog.
    ///
    /// # Errors
    /// `Redis` when a script fails.
    #[instrument(name = "broker.lookup", skip_all, fields(task.id = %id), err)]
    pub async fn task(&self, id: &TaskId) -> Result<Option<TaskInfo>> {
        let queues = self.queues().await?;
        if let Some((_, info)) = self.recorded(id, &queues).await? {
            return Ok(Some(info));
        }
        Ok(self
            .lookup_in(id, &queues, false)
            .await?
            .into_iter()
            .find_map(|(q, found)| task_info(*id, q, &found)))
    }

    /// Cancels the task `id` in whichever queue holds it (see [`CancelOutcome`]). A queue with
    /// a recorded state for the id owns it; only when none has one are all queues asked.
    ///
    /// # Errors
    /// `Redis` when a script fails.
    #[instrument(name = "broker.cancel", skip_all, fields(task.id = %id), err)]
    pub async fn cancel(&self, id: &TaskId) -> Result<CancelOutcome> {
        let text = id.to_string();
        let ttl = self.config().cancel_ttl_ms();
        let mut queues = self.queues().await?;
        if let Some((owner, _)) = self.recorded(id, &queues).await? {
            queues = vec![owner];
        }
        let replies = self
            .each_queue(queues, |con, q| {
                let k = self.queue_keys(&q);
                let text = text.clone();
                async move {
                    let mut con = con;
                    let found = scripts::cancel(&mut con, &k, &text, ttl).await?;
                    Ok((q.clone(), found))
                }
            })
            .await?;
        let mut outcome = CancelOutcome::Unknown;
        for (_, found) in replies {
            match cancel_outcome(&found) {
                CancelOutcome::Unknown => {}
                done @ (CancelOutcome::Cancelled { .. } | CancelOutcome::Signalled) => {
                    return Ok(done);
                }
                finished @ CancelOutcome::Finished(_) => outcome = finished,
            }
        }
        Ok(outcome)
    }

    /// The queue with a recorded state for `id`, and that state, if any queue has one.
    async fn recorded(
        &self,
        id: &TaskId,
        queues: &[QueueName],
    ) -> Result<Option<(QueueName, TaskInfo)>> {
        Ok(self
            .lookup_in(id, queues, true)
            .await?
            .into_iter()
            .find_map(|(q, found)| task_info(*id, q.clone(), &found).map(|info| (q, info))))
    }

    /// `lookup.lua` on each of `queues` at once.
    async fn lookup_in(
        &self,
        id: &TaskId,
        queues: &[QueueName],
        states_only: bool,
    ) -> Result<Vec<(QueueName, scripts::Found)>> {
        let text = id.to_string();
        self.each_queue(queues.to_vec(), |con, q| {
            let k = self.queue_keys(&q);
            let text = text.clone();
            async move {
                let mut con = con;
                let found = scripts::lookup(&mut con, &k, &text, states_only).await?;
                Ok((q, found))
            }
        })
        .await
    }

    /// Runs `call` for each of `queues` at once, each on a clone of the shared connection.
    async fn each_queue<F, Fut, T>(&self, queues: Vec<QueueName>, call: F) -> Result<Vec<T>>
    where
        F: Fn(crate::connection::RedisConnection, QueueName) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let calls = queues.into_iter().map(|q| call(self.connection(), q));
        futures::future::join_all(calls).await.into_iter().collect()
    }

    /// The state arguments of a script finishing `envelope`'s task.
    pub(crate) fn state_args(&self, envelope: &Envelope) -> StateArgs {
        StateArgs {
            id: envelope.id.to_string(),
            ttl_ms: self.config().state_ttl_ms(),
            cancel_ttl_ms: self.config().cancel_ttl_ms(),
            task: Value::String(envelope.task.clone()).to_string(),
            attempt: envelope.attempt,
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Reads a `lookup.lua` reply.
fn task_info(id: TaskId, queue: QueueName, found: &[Vec<u8>]) -> Option<TaskInfo> {
    let (tag, rest) = found.split_first()?;
    let tag = text(tag);
    if tag == "doc" {
        return from_doc(id, queue, rest);
    }
    let state = TaskState::parse(&tag)?;
    let body = text(rest.first()?);
    let envelope = if state == TaskState::Dead {
        dead_envelope(&body)
    } else {
        read_element(&body)
    };
    let error = envelope
        .as_ref()
        .and_then(|e| e.extra.get(LAST_ERROR))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| dead_reason(&body).filter(|_| state == TaskState::Dead));
    Some(TaskInfo {
        id,
        task: envelope
            .as_ref()
            .map(|e| e.task.clone())
            .unwrap_or_default(),
        queue,
        state,
        attempt: envelope.as_ref().map_or(0, |e| e.attempt),
        result: Value::Null,
        error,
        updated_at: None,
    })
}

/// A recorded state: `{"state","task","attempt","result"|"error","updated_at"}`, and the state
/// that overrides it (`failed` for a dead letter that is gone) when not empty.
fn from_doc(id: TaskId, queue: QueueName, rest: &[Vec<u8>]) -> Option<TaskInfo> {
    let doc: Value = serde_json::from_slice(rest.first()?).ok()?;
    let overridden = rest.get(1).map(|b| text(b)).filter(|s| !s.is_empty());
    let state = overridden
        .as_deref()
        .or_else(|| doc.get("state")?.as_str())
        .and_then(TaskState::parse)?;
    Some(TaskInfo {
        id,
        task: doc.get("task")?.as_str()?.to_owned(),
        queue,
        state,
        attempt: doc
            .get("attempt")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0),
        result: doc.get("result").cloned().unwrap_or(Value::Null),
        error: doc.get("error").and_then(Value::as_str).map(str::to_owned),
        updated_at: doc
            .get("updated_at")
            .and_then(Value::as_i64)
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
    })
}

fn dead_envelope(record: &str) -> Option<Envelope> {
    let record: Value = serde_json::from_str(record).ok()?;
    read_element(record.get("raw")?.as_str()?)
}

fn dead_reason(record: &str) -> Option<String> {
    let record: Value = serde_json::from_str(record).ok()?;
    Some(record.get("reason")?.as_str()?.to_owned())
}

/// Reads a `cancel.lua` reply.
fn cancel_outcome(found: &[Vec<u8>]) -> CancelOutcome {
    let tags: Vec<String> = found.iter().map(|b| text(b)).collect();
    match tags.as_slice() {
        [tag, from, body] if tag == "cancelled" => {
            let from = TaskState::parse(from).unwrap_or(TaskState::Pending);
            let envelope = if from == TaskState::Dead {
                dead_envelope(body)
            } else {
                read_element(body)
            };
            let envelope = envelope.map(Box::new);
            CancelOutcome::Cancelled { from, envelope }
        }
        [tag, _] if tag == "running" => CancelOutcome::Signalled,
        [tag, state] if tag == "finished" => {
            CancelOutcome::Finished(TaskState::parse(state).unwrap_or(TaskState::Failed))
        }
        _ => CancelOutcome::Unknown,
    }
}
