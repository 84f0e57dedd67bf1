//! Probes (`/healthz`, `/readyz`), the Prometheus scrape (`/metrics`) and `/openapi.json`.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::error::ApiError;
use crate::openapi::ApiDoc;
use crate::schemas::ErrorBody;
use crate::state::AppState;

/// Liveness answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// Readiness answer: each dependency `ok` or `unavailable`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not ready`.
    pub status: String,
    /// Redis.
    pub redis: String,
    /// The database.
    pub database: String,
    /// Present when not ready: which dependency does not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
    })
}

/// Redis and the database both answer within the readiness timeout.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Redis or the database does not answer", body = Readiness),
    ))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let wait = state.config().readiness_timeout;
    let (redis, database) = tokio::join!(
        answers(wait, state.broker().ping()),
        answers(wait, state.store().ping())
    );
    let down: Vec<&str> = [("redis", redis), ("database", database)]
        .into_iter()
        .filter_map(|(name, ok)| (!ok).then_some(name))
        .collect();
    let word = |ok: bool| if ok { "ok" } else { "unavailable" }.to_owned();
    let mut body = Readiness {
        status: "ready".to_owned(),
        redis: word(redis),
        database: word(database),
        error: None,
    };
    if down.is_empty() {
        return (StatusCode::OK, Json(body));
    }
    body.status = "not ready".to_owned();
    body.error = Some(format!("not ready: {} does not answer", down.join(" and ")));
    (StatusCode::SERVICE_UNAVAILABLE, Json(body))
}

async fn answers<E>(wait: Duration, probe: impl Future<Output = Result<(), E>>) -> bool {
    matches!(tokio::time::timeout(wait, probe).await, Ok(Ok(())))
}

/// Prometheus text format: queue sizes, task counters, task durations, runs by status.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses(
        (status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain"),
        (status = 503, description = "Redis or the database does not answer", body = ErrorBody),
    ))]
pub async fn prometheus(State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = crate::prometheus::scrape(&state).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// The OpenAPI 3 document of this API.
#[utoipa::path(get, path = "/openapi.json", tag = "health",
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
