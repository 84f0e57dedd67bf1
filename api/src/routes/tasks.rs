//! Tasks by id: their state (`GET /v1/tasks/{task_id}`) and cancellation
//! (`POST /v1/tasks/{task_id}/cancel`, token-guarded like every mutation).

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use broker::{CancelOutcome, TaskId, TaskInfo, TaskState};
use entity::cancel::CancelError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::schemas::ErrorBody;
use crate::state::AppState;

/// Where a task is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TaskStateName {
    /// Waiting in its queue.
    Pending,
    /// Waiting for a retry's backoff or a delayed start.
    Delayed,
    /// Leased by a worker.
    Running,
    /// Finished; `result` holds what it returned.
    Succeeded,
    /// Failed for good; its dead letter is gone.
    Failed,
    /// In the dead letters.
    Dead,
    /// Cancelled.
    Cancelled,
}

impl From<TaskState> for TaskStateName {
    fn from(state: TaskState) -> Self {
        match state {
            TaskState::Pending => Self::Pending,
            TaskState::Delayed => Self::Delayed,
            TaskState::Running => Self::Running,
            TaskState::Succeeded => Self::Succeeded,
            TaskState::Failed => Self::Failed,
            TaskState::Dead => Self::Dead,
            TaskState::Cancelled => Self::Cancelled,
        }
    }
}

/// `GET /v1/tasks/{task_id}`.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct TaskDocument {
    /// Task id.
    pub id: String,
    /// Registered task name.
    pub task: String,
    /// Its queue.
    pub queue: String,
    /// Where it is.
    pub state: TaskStateName,
    /// Failed attempts before the current (or last) delivery.
    pub attempt: u32,
    /// What a succeeded task returned (`null` when nothing).
    pub result: serde_json::Value,
    /// The last error: a retry's, a dead letter's reason, `cancelled`.
    pub error: Option<String>,
    /// When a finished state was recorded (RFC 3339); null for live states.
    pub updated_at: Option<String>,
}

impl From<TaskInfo> for TaskDocument {
    fn from(t: TaskInfo) -> Self {
        Self {
            id: t.id.to_string(),
            task: t.task,
            queue: t.queue.to_string(),
            state: t.state.into(),
            attempt: t.attempt,
            result: t.result,
            error: t.error,
            updated_at: t.updated_at.map(|at| at.to_rfc3339()),
        }
    }
}

/// `POST /v1/tasks/{task_id}/cancel`.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct CancelDocument {
    /// Task id.
    pub id: String,
    /// `cancelled` (removed from its queue; 200) or `cancelling` (running: its worker was told
    /// and ends it `cancelled`; 202).
    pub outcome: String,
    /// Where the task was: `pending`, `delayed`, `dead` or `running`.
    pub from: TaskStateName,
}

/// `{task_id}` → a task id, or 400.
fn task_id(p: Result<Path<String>, PathRejection>) -> Result<TaskId, ApiError> {
    p.ok()
        .and_then(|Path(s)| s.parse::<TaskId>().ok())
        .ok_or_else(|| ApiError::BadRequest("`task_id` must be a UUID".to_owned()))
}

/// A task's state, attempt, result or error.
#[utoipa::path(get, path = "/v1/tasks/{task_id}", tag = "tasks",
    params(("task_id" = String, Path, format = Uuid, description = "Task id")),
    responses(
        (status = 200, description = "The task", body = TaskDocument),
        (status = 400, description = "Malformed task id", body = ErrorBody),
        (status = 404, description = "No queue knows this task (never enqueued, or its state expired)", body = ErrorBody),
    ))]
pub async fn show(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<TaskDocument>, ApiError> {
    let id = task_id(id)?;
    let info = state.broker().task(&id).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "no task {id}: never enqueued here, or finished more than CONFQ_RESULT_TTL_SECS ago"
        ))
    })?;
    Ok(Json(info.into()))
}

/// Cancels a task: a pending, delayed or dead one is removed; a running one is told to stop and
/// is not retried. Its ingestion run, if any, ends `cancelled`.
#[utoipa::path(post, path = "/v1/tasks/{task_id}/cancel", tag = "tasks",
    params(("task_id" = String, Path, format = Uuid, description = "Task id")),
    responses(
        (status = 200, description = "Removed from its queue: cancelled", body = CancelDocument),
        (status = 202, description = "Running: its worker was told to stop", body = CancelDocument),
        (status = 400, description = "Malformed task id", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "No queue knows this task", body = ErrorBody),
        (status = 409, description = "The task already finished", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<(StatusCode, Json<CancelDocument>), ApiError> {
    let id = task_id(id)?;
    let outcome = entity::cancel::cancel_task(state.broker(), state.store(), &id)
        .await
        .map_err(|error| match error {
            CancelError::Broker(error) => ApiError::from(error),
            CancelError::Store(error) => ApiError::from(error),
            other => ApiError::Internal {
                action: "cancel a task",
                source: Box::new(other),
            },
        })?;
    let document = |outcome: &str, from: TaskState| CancelDocument {
        id: id.to_string(),
        outcome: outcome.to_owned(),
        from: from.into(),
    };
    match outcome {
        CancelOutcome::Cancelled { from, .. } => {
            Ok((StatusCode::OK, Json(document("cancelled", from))))
        }
        CancelOutcome::Signalled => Ok((
            StatusCode::ACCEPTED,
            Json(document("cancelling", TaskState::Running)),
        )),
        CancelOutcome::Finished(state) => Err(ApiError::Conflict(format!(
            "task {id} already finished ({}): there is nothing to cancel",
            state.as_str()
        ))),
        CancelOutcome::Unknown => Err(ApiError::NotFound(format!(
            "no task {id}: never enqueued here, or finished more than CONFQ_RESULT_TTL_SECS ago"
        ))),
    }
}
