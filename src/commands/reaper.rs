//! `confq reaper`: the sidecar that re-queues expired leases, promotes due retries and
//! dead-letters exhausted tasks, and records expired ingestions on their runs.

use broker::Broker;
use entity::store::Store;
use tokio_util::sync::CancellationToken;

use crate::cli::Settings;
use crate::exit::Failure;
use crate::services;

/// Runs the reaper until SIGTERM/SIGINT.
pub async fn run(settings: &Settings) -> Result<(), Failure> {
    let services = services::broker(settings, false).await?;
    let store = services::store(settings).await?;
    let stop = CancellationToken::new();
    let shutdown = worker::Shutdown::new();
    tokio::spawn(shutdown.clone().listen_for_signals());
    let reaper = spawn_reaper(&services.broker, store, settings, stop.clone()).await?;
    shutdown.graceful.cancelled().await;
    stop.cancel();
    let _ = reaper.await;
    Ok(())
}

/// Starts the reaper loop over every known queue (and `ingest`) in the background.
///
/// # Errors
/// When the settings are invalid.
pub async fn spawn_reaper(
    broker: &Broker,
    store: Store,
    settings: &Settings,
    stop: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, Failure> {
    let interval = settings.broker_config()?.reaper_interval;
    let queues = vec![worker::config::default_queue()];
    Ok(tokio::spawn(worker::reaping::run(
        broker.clone(),
        queues,
        store,
        interval,
        stop,
    )))
}
