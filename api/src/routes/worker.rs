//! The worker-facing views: one run's status, the aggregate metrics, and retrying a failed run.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use broker::TaskId;

use crate::documents::{self, MetricsDocument, StatusDocument};
use crate::error::ApiError;
use crate::routes::run_id;
use crate::routes::runs::exists;
use crate::schemas::{Accepted, ErrorBody};
use crate::state::AppState;

/// One run's status and tracking fields.
#[utoipa::path(get, path = "/v1/worker/runs/{run_id}/status", tag = "worker",
    params(("run_id" = i64, Path, description = "Run id")),
    responses(
        (status = 200, description = "The run's status", body = StatusDocument),
        (status = 400, description = "Bad `run_id` or query parameter", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
    ))]
pub async fn status(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<StatusDocument>, ApiError> {
    let run = exists(&state, run_id(id)?).await?;
    Ok(Json(run.into()))
}

/// Runs per status, retry figures, recent failures, queue depths, stuck runs and the reaper's
/// last tick.
#[utoipa::path(get, path = "/v1/worker/metrics", tag = "worker",
    responses(
        (status = 200, description = "The aggregate metrics", body = MetricsDocument),
        (status = 503, description = "Redis or the database does not answer", body = ErrorBody),
    ))]
pub async fn metrics(State(state): State<AppState>) -> Result<Json<MetricsDocument>, ApiError> {
    let config = state.config();
    let document = documents::metrics_with(
        state.broker(),
        state.store(),
        &config.queue,
        config.stuck_after,
    )
    .await?;
    Ok(Json(document))
}

/// Re-enqueues a failed run under a new task id (`retry_count` is kept).
#[utoipa::path(post, path = "/v1/worker/runs/{run_id}/retry", tag = "worker",
    params(("run_id" = i64, Path, description = "Run id")),
    responses(
        (status = 202, description = "Queued again", body = Accepted),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 400, description = "Bad `run_id` or query parameter", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
        (status = 409, description = "The run is not failed", body = ErrorBody),
        (status = 503, description = "Redis does not answer; the sweep will enqueue the run", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn retry(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let id = run_id(id)?;
    let task_id = TaskId::new();
    let run = state.store().reset_for_retry(id, task_id.0).await?;
    let producer = state.broker().producer();
    let queue = run.queue_or(&state.config().queue);
    entity::submit::enqueue(&producer, &queue, run.id, task_id).await?;
    let accepted = Accepted {
        run_id: run.id.0,
        task_id: task_id.to_string(),
        status: "stored".to_owned(),
    };
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}
