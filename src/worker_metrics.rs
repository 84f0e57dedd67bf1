//! `confq worker --metrics-bind ADDR`: the worker's own HTTP endpoint. `/metrics` serves what this
//! process recorded (the `confq_task_duration_seconds` histogram and `confq_worker_tasks_total`)
//! in the Prometheus text format; `/healthz` answers 200 only while the worker's registration in
//! Redis is fresh, which is what `confq worker --check` (the compose health check) asks.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use broker::{Broker, WorkerId};
use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::exit::Failure;

/// How long `/healthz` waits for Redis before it answers 503.
const REDIS_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone)]
struct Endpoint {
    broker: Broker,
    id: WorkerId,
}

/// Binds `addr` now (a taken address fails the command before the worker starts) and serves
/// the endpoint of worker `id` until `stop`.
///
/// # Errors
/// A runtime failure when the address cannot be bound.
pub(crate) async fn serve(
    addr: SocketAddr,
    broker: Broker,
    id: WorkerId,
    stop: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, Failure> {
    api::prometheus::install();
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|error| {
        Failure::runtime(format!(
            "cannot serve the worker's metrics on {addr}: {error} — choose another --metrics-bind"
        ))
    })?;
    let local = listener.local_addr().unwrap_or(addr);
    tracing::info!(addr = %local, "worker metrics and health listening");
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .with_state(Endpoint { broker, id });
    Ok(tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
        if let Err(error) = served {
            tracing::warn!(%error, "the worker's metrics endpoint stopped");
        }
    }))
}

async fn metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        api::prometheus::render_own(),
    )
}

/// 200 while this worker's registry entry exists and was refreshed within its TTL; 503 with the
/// reason otherwise (Redis unreachable, entry expired or never written).
async fn healthz(State(endpoint): State<Endpoint>) -> (StatusCode, String) {
    let registry = endpoint.broker.workers();
    let live = match tokio::time::timeout(REDIS_TIMEOUT, registry.live()).await {
        Ok(Ok(live)) => live,
        Ok(Err(error)) => {
            let error = broker::report::one_line(&error);
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("cannot read the worker registry: {error}\n"),
            );
        }
        Err(_) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("Redis did not answer within {REDIS_TIMEOUT:?}\n"),
            );
        }
    };
    let ttl = chrono::Duration::from_std(worker::registration::ENTRY_TTL)
        .unwrap_or(chrono::Duration::MAX);
    match live.iter().find(|info| info.id == endpoint.id) {
        Some(info) if Utc::now() - info.last_seen <= ttl => (
            StatusCode::OK,
            format!("ok: worker {} registered at {}\n", info.id, info.last_seen),
        ),
        Some(info) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "worker {} last refreshed its registration at {}\n",
                info.id, info.last_seen
            ),
        ),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("worker {} is not registered in Redis\n", endpoint.id),
        ),
    }
}
