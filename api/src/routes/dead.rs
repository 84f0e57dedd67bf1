//! Dead letters: list (newest first, a sequence cursor that inserts and removals do not shift),
//! requeue one, purge.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use broker::TaskId;

use crate::error::ApiError;
use crate::params::{self, DeadQuery, QueueQuery};
use crate::routes::query;
use crate::schemas::{DeadLetterPage, ErrorBody, Purged, Requeued};
use crate::state::AppState;

/// Dead letters of a queue with their reasons, newest first.
#[utoipa::path(get, path = "/v1/worker/dead", tag = "dead letters", params(DeadQuery),
    responses(
        (status = 200, description = "A page of dead letters", body = DeadLetterPage),
        (status = 400, description = "Bad `queue`, `limit` or `after` (an old offset cursor too)", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    q: Result<Query<DeadQuery>, QueryRejection>,
) -> Result<Json<DeadLetterPage>, ApiError> {
    let q = query(q)?;
    let queue = params::queue(q.queue.as_deref(), &state.config().queue)?;
    let limit = params::limit(q.limit.as_deref())?;
    let after = params::dead_cursor(q.after.as_deref())?;
    let size = usize::try_from(limit).unwrap_or(usize::MAX);
    let page = state
        .broker()
        .dead_letters()
        .list(&queue, after, size)
        .await?;
    Ok(Json(DeadLetterPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next: page.next.map(|cursor| cursor.to_string()),
    }))
}

/// Puts one dead task back on its queue with a fresh retry budget.
#[utoipa::path(post, path = "/v1/worker/dead/{task_id}/requeue", tag = "dead letters",
    params(("task_id" = String, Path, format = Uuid, description = "Task id"), QueueQuery),
    responses(
        (status = 200, description = "Requeued", body = Requeued),
        (status = 400, description = "Bad task id or queue", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "No dead letter with this task id", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn requeue(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Json<Requeued>, ApiError> {
    let q = query(q)?;
    let queue = params::queue(q.queue.as_deref(), &state.config().queue)?;
    let task_id = id
        .ok()
        .and_then(|Path(s)| s.parse::<TaskId>().ok())
        .ok_or_else(|| ApiError::BadRequest("`task_id` must be a UUID".to_owned()))?;
    if !state
        .broker()
        .dead_letters()
        .requeue(&queue, &task_id)
        .await?
    {
        return Err(ApiError::NotFound(format!(
            "no dead letter of task {task_id} in queue {queue}"
        )));
    }
    Ok(Json(Requeued {
        task_id: task_id.to_string(),
        queue: queue.to_string(),
    }))
}

/// Deletes every dead letter of a queue.
#[utoipa::path(delete, path = "/v1/worker/dead", tag = "dead letters", params(QueueQuery),
    responses(
        (status = 200, description = "Purged", body = Purged),
        (status = 400, description = "Bad queue", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn purge(
    State(state): State<AppState>,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Json<Purged>, ApiError> {
    let q = query(q)?;
    let queue = params::queue(q.queue.as_deref(), &state.config().queue)?;
    let purged = state.broker().dead_letters().purge(&queue).await?;
    Ok(Json(Purged {
        purged,
        queue: queue.to_string(),
    }))
}
