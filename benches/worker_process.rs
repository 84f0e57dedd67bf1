//! Task throughput of the `confq worker` process itself (plain main, not a test): N `confq.noop`
//! envelopes are enqueued first (one `enqueue_many` per 1,000, the LPUSH every producer does),
//! then the `confq` binary cargo built runs `worker --concurrency C` on them, its logs discarded;
//! the rate counts from the process's spawn to the broker's `processed` counter reaching N.
//!
//! `cargo bench -p confq --bench worker_process`. `BENCH_TASKS` (100,000), `BENCH_CONCURRENCY`
//! (`128`), `BENCH_RUST_LOG` (`info,warn`: the worker's log level, one case each),
//! `BENCH_REPEAT` (3; the median is printed). Redis: `CONFQ_REDIS_URL` (default local), under a
//! random key prefix deleted afterwards; SQLite in a temp dir. `CONFQ_BENCH_QUICK=1` (CI): 300
//! tasks, C = 16, `info`, once.

mod common;

use std::process::Child;
use std::time::{Duration, Instant};

use broker::{Broker, Envelope, QueueName};
use common::{Deployment, Failure, stop};

/// Enqueues `n` noop tasks, runs one `confq worker` process until all are processed, stops it
/// with SIGTERM; returns the tasks per second from its spawn.
async fn one_case(
    deployment: &Deployment,
    broker: &Broker,
    n: u64,
    concurrency: usize,
    rust_log: &str,
) -> Result<f64, Failure> {
    let queue = protocol::default_queue();
    let producer = broker.producer();
    let tasks: Vec<Envelope> = (0..n)
        .map(|_| Envelope::new("confq.noop", serde_json::Map::new()))
        .collect();
    for chunk in tasks.chunks(1_000) {
        producer.enqueue_many(&queue, chunk).await?;
    }
    let before = broker.stats(&queue).await?.processed;
    let started = Instant::now();
    let mut worker = deployment
        .command(rust_log)
        .args(["--no-migrate", "worker", "--concurrency"])
        .arg(concurrency.to_string())
        .spawn()?;
    let outcome = wait_processed(broker, &queue, before + n, &mut worker).await;
    let seconds = started.elapsed().as_secs_f64();
    stop(worker)?;
    outcome?;
    #[allow(clippy::cast_precision_loss)]
    Ok(n as f64 / seconds)
}

/// Polls the broker every 5 ms until `processed` reaches `target`; fails if the worker exits.
async fn wait_processed(
    broker: &Broker,
    queue: &QueueName,
    target: u64,
    worker: &mut Child,
) -> Result<(), Failure> {
    while broker.stats(queue).await?.processed < target {
        if let Some(status) = worker.try_wait()? {
            return Err(format!("confq worker exited early: {status}").into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let n: u64 = testenv::bench::size("BENCH_TASKS", 100_000, 300);
    let repeat: usize = testenv::bench::size("BENCH_REPEAT", 3, 1);
    let levels = testenv::bench::text("BENCH_CONCURRENCY", "128", "16");
    let logs = testenv::bench::text("BENCH_RUST_LOG", "info,warn", "info");
    let deployment = Deployment::new("bench")?;
    deployment.migrate()?;
    let broker = deployment.broker().await?;
    for concurrency in levels.split(',').filter_map(|c| c.trim().parse().ok()) {
        for rust_log in logs.split(',').map(str::trim) {
            let mut rates = Vec::new();
            for _ in 0..repeat {
                rates.push(one_case(&deployment, &broker, n, concurrency, rust_log).await?);
            }
            println!(
                "confq worker process: C={concurrency} RUST_LOG={rust_log} N={n} tasks/s: {}",
                testenv::bench::median_and_runs(rates)
            );
        }
    }
    deployment.delete_keys()
}
