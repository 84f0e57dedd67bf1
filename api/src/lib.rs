#![doc = include_str!("../README.md")]
#![warn(unreachable_pub)] // what is `pub` is meant to be: the crate's API

pub mod auth;
pub mod documents;
mod error;
pub mod openapi;
pub mod params;
pub mod prometheus;
pub mod routes;
pub mod schemas;
mod state;
pub mod stream;
pub mod sweep;
pub mod ui;
pub mod views;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

pub use crate::error::{ApiError, log_server_errors};
pub use crate::state::{ApiConfig, AppState};
pub use crate::sweep::{Sweeper, sweep_unqueued};

/// How long shutdown waits for the live streams' close frames to go out.
const STREAM_CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP API as a router (tests call it with `oneshot`, no TCP needed).
pub fn app(state: AppState) -> Router {
    prometheus::install();
    let config = state.config().clone();
    let uploads = Router::new()
        .route("/v1/uploads", post(routes::uploads::upload))
        .layer(DefaultBodyLimit::max(
            usize::try_from(
                config
                    .max_upload_bytes
                    .saturating_add(routes::uploads::MULTIPART_SLACK),
            )
            .unwrap_or(usize::MAX),
        ))
        // A client that stops sending mid-body holds a connection only this long.
        .layer(RequestBodyTimeoutLayer::new(config.upload_idle_timeout));
    let rest = Router::new()
        .route(
            "/v1/worker/runs/{run_id}/status",
            get(routes::worker::status),
        )
        .route(
            "/v1/worker/runs/{run_id}/retry",
            post(routes::worker::retry),
        )
        .route("/v1/worker/metrics", get(routes::worker::metrics))
        .route("/v1/runs", get(routes::runs::list_runs))
        .route("/v1/runs/{run_id}/files", get(routes::runs::list_files))
        .route("/v1/runs/{run_id}/stanzas", get(routes::runs::list_stanzas))
        .route("/v1/settings", get(routes::settings::search))
        .route(
            "/v1/runs/{run_id}/effective/{conf}",
            get(routes::views::effective),
        )
        .route("/v1/runs/{run_id}/diff/{b}", get(routes::views::diff))
        .route(
            "/v1/worker/dead",
            get(routes::dead::list).delete(routes::dead::purge),
        )
        .route(
            "/v1/worker/dead/{task_id}/requeue",
            post(routes::dead::requeue),
        )
        .route("/ui", get(ui::redirect))
        .route("/ui/", get(ui::asset))
        .route("/ui/{*path}", get(ui::asset))
        .route("/v1/tasks/{task_id}", get(routes::tasks::show))
        .route("/v1/tasks/{task_id}/cancel", post(routes::tasks::cancel))
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(routes::health::prometheus))
        .route("/openapi.json", get(routes::health::openapi))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            config.request_timeout,
        ));
    // The stream lives for hours: no request timeout.
    let live = Router::new().route(auth::STREAM_PATH, get(stream::stream));
    uploads
        .merge(rest)
        .merge(live)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), auth::require_token))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|request: &Request<_>| {
                            let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request.id = %id)
                        })
                        // 5xx are logged once, with their cause, by `log_server_errors`.
                        .on_failure(()),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(middleware::from_fn(log_server_errors)),
        )
        .with_state(state)
}

async fn not_found() -> impl IntoResponse {
    ApiError::NotFound("no such route".to_owned())
}

async fn method_not_allowed() -> impl IntoResponse {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(serde_json::json!({ "error": "method not allowed on this route" })),
    )
}

/// Serves [`app`] on `bind` and runs the sweep of unqueued runs until `stop`; in-flight
/// requests finish before it returns.
///
/// # Errors
/// The listener's I/O error (e.g. the address is in use).
pub async fn serve(
    state: AppState,
    bind: SocketAddr,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    tracing::info!(addr = %listener.local_addr()?, "API listening");
    let config = state.config();
    let sweeper = Sweeper::new(
        state.store().clone(),
        state.broker().clone(),
        config.queue.clone(),
        config.sweep_interval,
        config.sweep_older_than,
    );
    let sweep = tokio::spawn(sweeper.run(stop.clone()));
    let shutdown = stop.clone();
    let streams = state.clone();
    let closed = tokio::spawn(async move {
        shutdown.cancelled().await;
        // Upgraded connections are not the server's to drain: close them (a close frame each).
        streams.close_streams(STREAM_CLOSE_GRACE).await;
    });
    let shutdown = stop.clone();
    let served = axum::serve(listener, app(state))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await;
    stop.cancel();
    let _ = sweep.await;
    let _ = closed.await;
    served
}
