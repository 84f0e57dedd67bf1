//! `confq worker`: a worker process that runs until SIGTERM/SIGINT (twice to stop at once).

use broker::Broker;
use entity::storage::Storage;
use entity::store::Store;
use tokio_util::sync::CancellationToken;
use worker::{Runner, RunnerStats, Shutdown, WorkerConfig};

use crate::cli::{Settings, WorkerArgs};
use crate::exit::Failure;
use crate::services;

/// Runs a worker until a signal stops it.
pub async fn run(settings: &Settings, args: &WorkerArgs) -> Result<(), Failure> {
    let config = settings.worker_config(args)?;
    let services = services::broker(settings, false).await?;
    let store = services::store(settings).await?;
    let storage = services::storage(settings)?;
    let shutdown = Shutdown::new();
    tokio::spawn(shutdown.clone().listen_for_signals());
    spawn_worker(services.broker, store, storage, config, shutdown).await?;
    Ok(())
}

/// Runs a worker (registered in Redis while it lives) until `shutdown`; returns its stats.
///
/// # Errors
/// When the consumer cannot be opened.
pub async fn spawn_worker(
    broker: Broker,
    store: Store,
    storage: Storage,
    config: WorkerConfig,
    shutdown: Shutdown,
) -> Result<RunnerStats, Failure> {
    let registry = worker::tasks::builtin(store, storage, config.archive_limits);
    let id = worker::registration::new_worker_id();
    let runner = Runner::new(&broker, registry, config.clone(), id.clone())
        .await
        .map_err(|error| Failure::of(&error))?;
    let announced = CancellationToken::new();
    let announcer = tokio::spawn(worker::registration::announce(
        broker,
        id,
        config.queues.clone(),
        config.concurrency,
        announced.clone(),
    ));
    let stats = runner.run(shutdown).await;
    announced.cancel();
    let _ = announcer.await;
    stats.map_err(|error| Failure::of(&error))
}
