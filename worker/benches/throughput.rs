//! Task throughput of the real worker path (plain main, not a test): `Runner` fetching, running
//! and acknowledging `confq.noop` tasks with its default settings, at several concurrencies.
//! Unlike `broker/benches/broker.rs` (the queue alone) this includes everything a worker does per
//! task: the task span, the heartbeat task, the per-task ack and the log line.
//!
//! `cargo bench -p worker --bench throughput`. `BENCH_TASKS` (default 100,000) tasks per case,
//! `BENCH_CONCURRENCY` (default `1,16,128`), `BENCH_REPEAT` (default 3; the median is printed).
//! Redis: `CONFQ_REDIS_URL` (default local), under a random key prefix deleted afterwards.
//! `CONFQ_BENCH_QUICK=1` (CI): 500 tasks, C = 1 and 16, once. `BENCH_EXTRA_QUEUES=K` (default 0)
//! lists K more, empty, queues after the busy one (weight 1 each): the cost of a worker of
//! several queues (one round of `LLEN`s before each round of claims) on the same work.

use std::time::{Duration, Instant};

use broker::{Broker, BrokerConfig, Envelope, QueueName};
use worker::tasks::diagnostic::Noop;
use worker::{Registry, Runner, Shutdown, WorkerConfig, registration};

/// Any failure: the bench stops and prints it.
type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Enqueues `n` noop tasks, runs one `Runner` at `concurrency` until all are acknowledged, and
/// returns the tasks per second from the runner's start.
async fn one_case(
    broker: &Broker,
    queue: &QueueName,
    n: u64,
    concurrency: usize,
    extra: &[QueueName],
) -> Result<f64, Failure> {
    let producer = broker.producer();
    let tasks: Vec<Envelope> = (0..n)
        .map(|_| Envelope::new("confq.noop", serde_json::Map::new()))
        .collect();
    for chunk in tasks.chunks(1_000) {
        producer.enqueue_many(queue, chunk).await?;
    }
    let before = broker.stats(queue).await?.processed;
    let mut registry = Registry::new();
    registry.register(Noop);
    let config = WorkerConfig {
        queues: std::iter::once(queue.clone())
            .chain(extra.iter().cloned())
            .collect(),
        concurrency,
        ..WorkerConfig::default()
    };
    let runner = Runner::new(broker, registry, config, registration::new_worker_id()).await?;
    let shutdown = Shutdown::new();
    let started = Instant::now();
    let handle = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { runner.run(shutdown).await }
    });
    loop {
        let done = broker.stats(queue).await?.processed - before;
        if done >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    shutdown.graceful.cancel();
    handle.await??;
    #[allow(clippy::cast_precision_loss)]
    Ok(n as f64 / seconds)
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let n: u64 = testenv::bench::size("BENCH_TASKS", 100_000, 500);
    let repeat: usize = testenv::bench::size("BENCH_REPEAT", 3, 1);
    let levels: Vec<usize> = testenv::bench::text("BENCH_CONCURRENCY", "1,16,128", "1,16")
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let broker = Broker::connect(BrokerConfig {
        redis_url: std::env::var("CONFQ_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
        key_prefix: format!("confq-bench-{}", uuid::Uuid::new_v4().simple()),
        ..BrokerConfig::default()
    })
    .await?;
    let prefix = broker.config().key_prefix.clone();
    let queue = QueueName::parse("bench")?;
    let extra = (0..testenv::bench::size("BENCH_EXTRA_QUEUES", 0_usize, 0))
        .map(|i| QueueName::parse(&format!("bench-idle-{i}")))
        .collect::<Result<Vec<_>, _>>()?;
    for concurrency in levels {
        let mut rates = Vec::new();
        for _ in 0..repeat {
            rates.push(one_case(&broker, &queue, n, concurrency, &extra).await?);
        }
        println!(
            "worker throughput: C={concurrency} N={n} queues={} tasks/s: {}",
            1 + extra.len(),
            testenv::bench::median_and_runs(rates)
        );
    }
    delete_keys(&prefix).await
}

/// Deletes the bench's keys (its own random prefix).
async fn delete_keys(prefix: &str) -> Result<(), Failure> {
    let url = std::env::var("CONFQ_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let mut connection = redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut connection)
        .await?;
    if !keys.is_empty() {
        let () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut connection)
            .await?;
    }
    Ok(())
}
