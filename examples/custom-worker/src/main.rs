//! `custom-worker`: confq's worker loop (the one `confq worker` runs) with `example.word_count`
//! and `example.incr` (on a standalone Redis) registered next to the built-in `confq.*` tasks. Stops on SIGINT/SIGTERM (twice: at once).

use std::time::Duration;

use anyhow::Context as _;
use broker::{Broker, BrokerConfig, QueueName};
use clap::Parser;
use custom_worker::{Incr, WordCount};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;
use worker::retry::RetryPolicy;
use worker::{Shutdown, WorkerConfig};

/// Runs a worker with `example.word_count` and `example.incr` next to the built-ins.
#[derive(Parser)]
struct Args {
    /// Redis URL (as `confq`).
    #[arg(
        long,
        env = "CONFQ_REDIS_URL",
        hide_env_values = true,
        default_value = "redis://127.0.0.1:6379"
    )]
    redis_url: String,
    /// Prefix of every Redis key (as `confq`).
    #[arg(long, env = "CONFQ_KEY_PREFIX", default_value = "confq")]
    key_prefix: String,
    /// Queues to take tasks from, in priority order (default: `ingest`).
    #[arg(long = "queue")]
    queues: Vec<QueueName>,
    /// Tasks in flight at once (default: 2 × cores).
    #[arg(long)]
    concurrency: Option<usize>,
    /// Per-class overrides of the retry policy, as `confq`'s (JSON).
    #[arg(long, env = "CONFQ_RETRY_POLICY")]
    retry_policy: Option<String>,
    /// Also run the reaper in this process (due retries, expired leases), instead of a separate
    /// `confq reaper`.
    #[arg(long)]
    reaper: bool,
    /// The reaper's scan period in seconds (as `confq`).
    #[arg(long, env = "CONFQ_REAPER_INTERVAL_SECS", default_value_t = 5.0)]
    reaper_interval_secs: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let config = worker_config(&args)?;
    let reaper_interval = Duration::try_from_secs_f64(args.reaper_interval_secs)
        .ok()
        .filter(|interval| !interval.is_zero())
        .context("CONFQ_REAPER_INTERVAL_SECS must be a positive number of seconds")?;
    let broker = Broker::connect(BrokerConfig {
        redis_url: args.redis_url.clone(),
        key_prefix: args.key_prefix.clone(),
        reaper_interval,
        ..BrokerConfig::default()
    })
    .await
    .with_context(|| {
        format!(
            "Redis is not reachable at {} — start redis-server or set CONFQ_REDIS_URL",
            broker::redact::redact(&args.redis_url)
        )
    })?;

    let mut registry = worker::tasks::builtin();
    registry.register(WordCount);
    // `example.incr` needs a plain connection of its own: only on a standalone Redis URL.
    match redis::Client::open(args.redis_url.as_str()) {
        Ok(client) => {
            let connection = client.get_multiplexed_async_connection().await?;
            registry.register(Incr::new(connection));
        }
        Err(_) => {
            eprintln!("example.incr not registered: CONFQ_REDIS_URL is not one standalone Redis")
        }
    }

    let shutdown = Shutdown::new();
    tokio::spawn(shutdown.clone().listen_for_signals());
    let stop_reaper = CancellationToken::new();
    let reaper = args.reaper.then(|| {
        // `()`: an expired lease needs no bookkeeping beyond the broker's own.
        tokio::spawn(worker::reaping::run(
            broker.clone(),
            config.queues.clone(),
            config.retry.clone(),
            (),
            stop_reaper.clone(),
        ))
    });
    let id = worker::registration::new_worker_id();
    let stats = worker::serve(broker, registry, config, shutdown, id).await;
    stop_reaper.cancel();
    if let Some(reaper) = reaper {
        reaper.await?;
    }
    let stats = stats?;
    eprintln!(
        "custom-worker stopped: {} succeeded, {} retried, {} failed",
        stats.succeeded, stats.retried, stats.failed
    );
    Ok(())
}

/// The worker's settings: confq's defaults with the flags applied.
fn worker_config(args: &Args) -> anyhow::Result<WorkerConfig> {
    let mut config = WorkerConfig::default();
    if !args.queues.is_empty() {
        config.queues.clone_from(&args.queues);
    }
    if let Some(concurrency) = args.concurrency {
        anyhow::ensure!(concurrency > 0, "--concurrency must be at least 1");
        config.concurrency = concurrency;
    }
    if let Some(json) = &args.retry_policy {
        config.retry = RetryPolicy::default()
            .with_overrides(json)
            .map_err(|error| anyhow::anyhow!("CONFQ_RETRY_POLICY: {error}"))?;
    }
    Ok(config)
}
