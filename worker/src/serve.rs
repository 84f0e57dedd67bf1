//! A worker process's main loop: the runner over a registry, announced in Redis while it runs.
//! `confq worker` runs it with the built-ins and ingestion; a custom worker binary runs it with
//! its own tasks next to the built-ins (`examples/custom-worker`).

use broker::{Broker, WorkerId};
use tokio_util::sync::CancellationToken;

use crate::config::WorkerConfig;
use crate::error::WorkerError;
use crate::runner::{Runner, RunnerStats};
use crate::shutdown::Shutdown;
use crate::task::Registry;

/// Runs the tasks of `registry` from `config.queues` as worker `id` until `shutdown`, registered
/// in Redis (so `confq metrics` and `confq ingest` see it) while it runs; returns what it did.
///
/// # Errors
/// When the consumer cannot be opened (Redis unreachable) or the setup is broken; Redis outages
/// while it runs are waited out.
///
/// # Examples
/// A worker with the built-in tasks that stops on SIGINT/SIGTERM (twice: at once):
/// ```no_run
/// use broker::{Broker, BrokerConfig};
/// use worker::{Shutdown, WorkerConfig};
///
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// let broker = Broker::connect(BrokerConfig::default()).await?;
/// let shutdown = Shutdown::new();
/// tokio::spawn(shutdown.clone().listen_for_signals());
/// let id = worker::registration::new_worker_id();
/// let stats = worker::serve(broker, worker::tasks::builtin(), WorkerConfig::default(), shutdown, id).await?;
/// println!("{} tasks succeeded", stats.succeeded);
/// # Ok(())
/// # }
/// ```
pub async fn serve(
    broker: Broker,
    registry: Registry,
    config: WorkerConfig,
    shutdown: Shutdown,
    id: WorkerId,
) -> Result<RunnerStats, WorkerError> {
    let runner = Runner::new(&broker, registry, config.clone(), id.clone()).await?;
    let announced = CancellationToken::new();
    let announcer = tokio::spawn(crate::registration::announce(
        broker,
        id,
        config.queues,
        config.concurrency,
        runner.live(),
        announced.clone(),
    ));
    let stats = runner.run(shutdown).await;
    announced.cancel();
    let _ = announcer.await;
    stats
}
