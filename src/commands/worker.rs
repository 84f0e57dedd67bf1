//! `confq worker`: a worker process that runs until SIGTERM/SIGINT (twice to stop at once), with
//! its own `/metrics` and `/healthz` on `--metrics-bind`; `confq worker --check` probes them.

use std::net::SocketAddr;

use broker::{Broker, WorkerId};
use entity::storage::Storage;
use entity::store::Store;
use splunk::archive::Limits;
use tokio_util::sync::CancellationToken;
use worker::{RunnerStats, Shutdown, WorkerConfig};

use crate::cli::{Settings, WorkerCommand};
use crate::exit::Failure;
use crate::output::out;
use crate::{probe, services, worker_metrics};

/// Runs a worker until a signal stops it, or, with `--check`, probes the running one.
pub(crate) async fn run(settings: &Settings, command: &WorkerCommand) -> Result<(), Failure> {
    if command.check {
        return check(command).await;
    }
    let config = settings.worker_config(&command.worker)?;
    let metrics_bind = metrics_bind(command)?;
    let services = services::broker(settings, false).await?;
    let store = services::store(settings)
        .await?
        .announcing(services.broker.event_publisher());
    let storage = services::storage(settings)?;
    let shutdown = Shutdown::new();
    tokio::spawn(shutdown.clone().listen_for_signals());
    let id = worker::registration::new_worker_id();
    let stop_endpoint = CancellationToken::new();
    let endpoint = match metrics_bind {
        Some(addr) => Some(
            worker_metrics::serve(
                addr,
                services.broker.clone(),
                id.clone(),
                stop_endpoint.clone(),
            )
            .await?,
        ),
        None => None,
    };
    let result = run_worker(services.broker, store, storage, config, shutdown, id).await;
    stop_endpoint.cancel();
    if let Some(endpoint) = endpoint {
        let _ = endpoint.await;
    }
    result.map(|_| ())
}

/// `confq worker --check`: exit 0 when the worker on `--metrics-bind` says it is healthy.
async fn check(command: &WorkerCommand) -> Result<(), Failure> {
    let addr = metrics_bind(command)?.ok_or_else(|| {
        Failure::usage(
            "confq worker --check asks the worker's /healthz: set --metrics-bind or CONFQ_WORKER_METRICS_BIND",
        )
    })?;
    probe::healthz(addr).await?;
    out!("worker on {addr} is healthy");
    Ok(())
}

/// `--metrics-bind` / `CONFQ_WORKER_METRICS_BIND`; empty counts as unset.
fn metrics_bind(command: &WorkerCommand) -> Result<Option<SocketAddr>, Failure> {
    crate::settings::non_empty(&command.metrics_bind)
        .map(|text| {
            text.parse().map_err(|error| {
                Failure::usage(format!(
                    "CONFQ_WORKER_METRICS_BIND (--metrics-bind) {text:?} is not an address like 0.0.0.0:9464: {error}"
                ))
            })
        })
        .transpose()
}

/// Runs a worker (registered in Redis while it lives) until `shutdown`; returns its stats.
///
/// # Errors
/// When the consumer cannot be opened.
pub(crate) async fn spawn_worker(
    broker: Broker,
    store: Store,
    storage: Storage,
    config: WorkerConfig,
    shutdown: Shutdown,
) -> Result<RunnerStats, Failure> {
    let id = worker::registration::new_worker_id();
    run_worker(broker, store, storage, config, shutdown, id).await
}

/// [`spawn_worker`] under a given worker id.
async fn run_worker(
    broker: Broker,
    store: Store,
    storage: Storage,
    config: WorkerConfig,
    shutdown: Shutdown,
    id: WorkerId,
) -> Result<RunnerStats, Failure> {
    let mut registry = ingest::builtin(store.clone(), storage, Limits::default());
    registry.register_recovery(ingest::recovery::RecoverRuns {
        store,
        broker: broker.clone(),
        default_queue: protocol::default_queue(),
    });
    let stats = worker::serve(broker, registry, config, shutdown, id).await;
    stats.map_err(|error| Failure::of(&error))
}
