//! `confq api [--bind ADDR]`: the HTTP API server.

use tokio_util::sync::CancellationToken;

use crate::cli::{ApiArgs, Settings};
use crate::exit::Failure;
use crate::services;

/// Serves the API until SIGTERM/SIGINT.
pub(crate) async fn run(settings: &Settings, args: &ApiArgs) -> Result<(), Failure> {
    warn_if_open(settings, args);
    let services = services::broker(settings, false).await?;
    let store = services::store(settings)
        .await?
        .announcing(services.broker.event_publisher());
    let storage = services::storage(settings)?;
    let stop = CancellationToken::new();
    let shutdown = worker::Shutdown::new();
    tokio::spawn(shutdown.clone().listen_for_signals());
    tokio::spawn({
        let stop = stop.clone();
        async move {
            shutdown.graceful.cancelled().await;
            stop.cancel();
        }
    });
    serve(settings, args, services.broker, store, storage, stop).await
}

/// Warns, at start, when the API listens beyond loopback with no `CONFQ_API_TOKEN`: anyone who
/// can reach the address may then upload, retry, requeue and purge.
pub(crate) fn warn_if_open(settings: &Settings, args: &ApiArgs) {
    if !args.bind.ip().is_loopback() && crate::settings::non_empty(&settings.api_token).is_none() {
        tracing::warn!(
            bind = %args.bind,
            "the API listens on a non-loopback address without CONFQ_API_TOKEN: anyone who can reach it may upload, retry, requeue and purge; set CONFQ_API_TOKEN (or bind 127.0.0.1)"
        );
    }
}

/// Serves the API on `args.bind` until `stop`.
///
/// # Errors
/// When the address cannot be bound.
pub(crate) async fn serve(
    settings: &Settings,
    args: &ApiArgs,
    broker: broker::Broker,
    store: entity::store::Store,
    storage: entity::storage::Storage,
    stop: CancellationToken,
) -> Result<(), Failure> {
    let upload_idle_timeout =
        crate::settings::seconds("CONFQ_UPLOAD_IDLE_SECS", args.upload_idle_secs)?;
    let config = api::ApiConfig {
        max_upload_bytes: settings.max_upload_bytes,
        api_token: crate::settings::non_empty(&settings.api_token),
        protect_reads: args.protect_reads,
        upload_idle_timeout,
        stuck_after: settings.stuck_after()?,
        ..api::ApiConfig::default()
    };
    let state = api::AppState::new(config, broker, store, storage);
    api::serve(state, args.bind, stop).await.map_err(|error| {
        Failure::caused(
            format_args!("cannot serve the API on {}", args.bind),
            &error,
        )
    })
}
