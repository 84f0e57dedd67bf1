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

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use broker::{Broker, BrokerConfig, Envelope, QueueName};

/// Any failure: the bench stops and prints it.
type Failure = Box<dyn std::error::Error + Send + Sync>;

/// One deployment: its key prefix, data dir and the settings every `confq` process gets.
struct Deployment {
    redis_url: String,
    prefix: String,
    dir: tempfile::TempDir,
}

impl Deployment {
    fn command(&self, rust_log: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_confq"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CONFQ_DATA_DIR", self.dir.path())
            .env("CONFQ_KEY_PREFIX", &self.prefix)
            .env("CONFQ_REDIS_URL", &self.redis_url)
            .env("RUST_LOG", rust_log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }
}

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

/// SIGTERM (a graceful stop), then waits for the exit.
fn stop(mut worker: Child) -> Result<(), Failure> {
    Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()?;
    worker.wait()?;
    Ok(())
}

/// Deletes the deployment's keys (its own random prefix) with redis-cli.
fn delete_keys(deployment: &Deployment) -> Result<(), Failure> {
    let script =
        "for _, key in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', key) end return 0";
    let pattern = format!("{}:*", deployment.prefix);
    let status = Command::new("redis-cli")
        .args(["-u", &deployment.redis_url, "EVAL", script, "0", &pattern])
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(format!("redis-cli could not delete {pattern}").into());
    }
    Ok(())
}

/// `confq migrate` once, so that the worker starts with `--no-migrate`.
fn migrate(deployment: &Deployment) -> Result<(), Failure> {
    let status = deployment.command("warn").arg("migrate").status()?;
    if !status.success() {
        return Err(format!("confq migrate: {status}").into());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let n: u64 = testenv::bench::size("BENCH_TASKS", 100_000, 300);
    let repeat: usize = testenv::bench::size("BENCH_REPEAT", 3, 1);
    let levels = testenv::bench::text("BENCH_CONCURRENCY", "128", "16");
    let logs = testenv::bench::text("BENCH_RUST_LOG", "info,warn", "info");
    let deployment = Deployment {
        redis_url: std::env::var("CONFQ_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
        prefix: format!("confq-bench-{}", uuid::Uuid::new_v4().simple()),
        dir: tempfile::tempdir()?,
    };
    migrate(&deployment)?;
    let broker = Broker::connect(BrokerConfig {
        redis_url: deployment.redis_url.clone(),
        key_prefix: deployment.prefix.clone(),
        ..BrokerConfig::default()
    })
    .await?;
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
    delete_keys(&deployment)
}
