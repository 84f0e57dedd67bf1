//! `confq dev [--bind ADDR]`: API, worker and reaper in one process on the embedded defaults.

use tokio_util::sync::CancellationToken;
use tracing::info;
use worker::Shutdown;

use crate::cli::{ApiArgs, Settings, WorkerArgs};
use crate::commands::{api, reaper, worker as worker_cmd};
use crate::exit::Failure;
use crate::services;

/// Runs everything until SIGTERM/SIGINT, then stops the worker, the reaper and the API in turn.
pub(crate) async fn run(settings: &Settings, args: &ApiArgs) -> Result<(), Failure> {
    api::warn_if_open(settings, args);
    let services = services::broker(settings, true).await?;
    let store = services::store(settings)
        .await?
        .announcing(services.broker.event_publisher());
    let storage = services::storage(settings)?;
    let config = settings.worker_config(&WorkerArgs {
        concurrency: None,
        queues: Vec::new(),
        strict_priority: false,
        shutdown_grace: 10.0,
        breaker: crate::cli::BreakerArgs::default(),
        time_limits: crate::settings::env_time_limits(),
        celery: crate::celery_args::CeleryArgs::from_env()?,
    })?;
    let shutdown = Shutdown::new();
    tokio::spawn(shutdown.clone().listen_for_signals());
    let stop_background = CancellationToken::new();
    let reaper = reaper::spawn_reaper(
        &services.broker,
        store.clone(),
        settings,
        stop_background.clone(),
    )
    .await?;
    let worker = tokio::spawn(worker_cmd::spawn_worker(
        services.broker.clone(),
        store.clone(),
        storage.clone(),
        config,
        shutdown.clone(),
    ));
    let stop_api = CancellationToken::new();
    let mut api = tokio::spawn({
        let (settings, args, broker, stop_api) = (
            settings.clone(),
            args.clone(),
            services.broker.clone(),
            stop_api.clone(),
        );
        async move { api::serve(&settings, &args, broker, store, storage, stop_api).await }
    });
    eprintln!(
        "confq dev: API on http://{}, worker and reaper running; Ctrl-C to stop",
        args.bind
    );
    tokio::select! {
        () = shutdown.graceful.cancelled() => {}
        result = &mut api => {
            shutdown.graceful.cancel();
            stop_background.cancel();
            let _ = worker.await;
            return result.map_err(|error| Failure::of(&error))?;
        }
    }
    info!("stopping");
    stop_api.cancel();
    let _ = worker.await;
    // The server drains its in-flight requests (an upload, say) before the runtime goes.
    let _ = api.await;
    stop_background.cancel();
    let _ = reaper.await;
    if let Some(private) = services.private_redis {
        private.stop().await;
    }
    Ok(())
}
