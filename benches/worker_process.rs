//! Task throughput of the `confq worker` process beside the queue alone (plain main, not a test),
//! side by side in one run on the same Redis. Each round, for each case: N `confq.noop`
//! envelopes are enqueued (one `enqueue_many` per 1,000, the LPUSH every producer does), then
//! - `broker`: the broker bench's drain (`broker/benches/noop`: claim, a tokio task per job, one
//!   acker batching `ack_many`) runs them in this process with C in flight;
//! - `worker`: the `confq` binary cargo built runs `worker --concurrency C` on them (default
//!   settings, `RUST_LOG` as given, its logs written to a discarded stderr); the rate counts from
//!   the first task processed (process start-up excluded) to the last;
//! - `worker --no-results` (with `BENCH_NO_RESULTS=1`): the same without the task state store.
//!
//! Each figure comes with the Redis CPU per task (`INFO cpu`, user + system) and Redis commands
//! per task (`INFO commandstats`, scripts' inner calls included) over the drain: the Redis is
//! shared with whatever else runs, so both are upper bounds.
//!
//! `cargo bench -p confq --bench worker_process`. `BENCH_TASKS` (100,000), `BENCH_CONCURRENCY`
//! (`1,16,128`), `BENCH_RUST_LOG` (`info`: the worker's log level; a list runs one case each),
//! `BENCH_REPEAT` (3; medians are printed). Redis: `CONFQ_REDIS_URL` (default local), under a
//! random key prefix deleted afterwards; SQLite in a temp dir. `CONFQ_BENCH_QUICK=1` (CI): 300
//! tasks, C = 16, once.

mod common;
#[allow(dead_code, unreachable_pub)] // the broker bench's workload; only `drain` is used here
#[path = "../broker/benches/noop/mod.rs"]
mod noop;

use std::process::Child;
use std::time::{Duration, Instant};

use broker::{Broker, Envelope, QueueName};
use common::{Deployment, Failure, stop};

/// What one drain measured.
#[derive(Debug, Clone, Copy)]
struct Drain {
    /// Tasks per second.
    rate: f64,
    /// Redis CPU (user + system) per task, µs.
    cpu_us: f64,
    /// Redis commands per task.
    commands: f64,
}

/// Redis CPU seconds and commands served so far.
async fn redis_counters(broker: &Broker) -> Result<(f64, f64), Failure> {
    let info: String = redis::cmd("INFO")
        .arg("all")
        .query_async(&mut broker.connection())
        .await?;
    let mut cpu = 0.0;
    let mut calls = 0.0;
    for line in info.lines() {
        if let Some((key, value)) = line.split_once(':') {
            if key == "used_cpu_sys" || key == "used_cpu_user" {
                cpu += value.trim().parse::<f64>().unwrap_or(0.0);
            } else if key.starts_with("cmdstat_") {
                calls += value
                    .split(',')
                    .find_map(|kv| kv.strip_prefix("calls="))
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(0.0);
            }
        }
    }
    Ok((cpu, calls))
}

async fn enqueue(broker: &Broker, queue: &QueueName, n: u64) -> Result<(), Failure> {
    let producer = broker.producer();
    let tasks: Vec<Envelope> = (0..n)
        .map(|_| Envelope::new("confq.noop", serde_json::Map::new()))
        .collect();
    for chunk in tasks.chunks(1_000) {
        producer.enqueue_many(queue, chunk).await?;
    }
    Ok(())
}

/// The queue alone: the broker bench's drain with `c` in flight.
async fn broker_case(broker: &Broker, n: u64, c: usize) -> Result<Drain, Failure> {
    let queue = protocol::default_queue();
    enqueue(broker, &queue, n).await?;
    let (cpu0, calls0) = redis_counters(broker).await?;
    let started = Instant::now();
    noop::drain(broker, &queue, usize::try_from(n)?, c).await?;
    let seconds = started.elapsed().as_secs_f64();
    let (cpu1, calls1) = redis_counters(broker).await?;
    Ok(measured(n, seconds, cpu1 - cpu0, calls1 - calls0))
}

#[allow(clippy::cast_precision_loss)]
fn measured(n: u64, seconds: f64, cpu: f64, calls: f64) -> Drain {
    Drain {
        rate: n as f64 / seconds,
        cpu_us: cpu * 1e6 / n as f64,
        commands: calls / n as f64,
    }
}

/// One `confq worker` process on `n` queued noop tasks until all are processed; SIGTERM then.
async fn worker_case(
    deployment: &Deployment,
    broker: &Broker,
    n: u64,
    c: usize,
    rust_log: &str,
    no_results: bool,
) -> Result<Drain, Failure> {
    let queue = protocol::default_queue();
    enqueue(broker, &queue, n).await?;
    let before = broker.stats(&queue).await?.processed;
    let mut command = deployment.command(rust_log);
    command.args(["--no-migrate", "worker", "--concurrency", &c.to_string()]);
    if no_results {
        command.arg("--no-results");
    }
    let mut worker = command.spawn()?;
    let outcome = drain_timed(broker, &queue, before, n, &mut worker).await;
    stop(worker)?;
    outcome
}

/// Polls the broker every 2 ms: the clock starts at the first processed task (process start-up
/// is not the worker path) and stops when `processed` reaches `before + n`.
async fn drain_timed(
    broker: &Broker,
    queue: &QueueName,
    before: u64,
    n: u64,
    worker: &mut Child,
) -> Result<Drain, Failure> {
    let mut first: Option<(Instant, u64, f64, f64)> = None;
    loop {
        let processed = broker.stats(queue).await?.processed - before;
        if first.is_none() && processed > 0 {
            let (cpu, calls) = redis_counters(broker).await?;
            first = Some((Instant::now(), processed, cpu, calls));
        }
        if processed >= n {
            break;
        }
        if let Some(status) = worker.try_wait()? {
            return Err(format!("confq worker exited early: {status}").into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let (started, done_at_start, cpu0, calls0) = first.ok_or("no task processed")?;
    let seconds = started.elapsed().as_secs_f64();
    let (cpu1, calls1) = redis_counters(broker).await?;
    Ok(measured(
        n - done_at_start,
        seconds,
        cpu1 - cpu0,
        calls1 - calls0,
    ))
}

/// Medians of each field, printed with the runs' rates.
fn report(label: &str, runs: &[Drain]) -> f64 {
    let median = |f: fn(&Drain) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let rates = runs.iter().map(|d| d.rate).collect();
    println!(
        "  {label}: tasks/s {}; Redis CPU {:.1} µs/task; {:.1} Redis commands/task",
        testenv::bench::median_and_runs(rates),
        median(|d| d.cpu_us),
        median(|d| d.commands),
    );
    median(|d| d.rate)
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let n: u64 = testenv::bench::size("BENCH_TASKS", 100_000, 300);
    let repeat: usize = testenv::bench::size("BENCH_REPEAT", 3, 1);
    let levels = testenv::bench::text("BENCH_CONCURRENCY", "1,16,128", "16");
    let logs = testenv::bench::text("BENCH_RUST_LOG", "info", "info");
    let no_results = std::env::var("BENCH_NO_RESULTS").is_ok_and(|v| v == "1");
    let deployment = Deployment::new("bench")?;
    deployment.migrate()?;
    let broker = deployment.broker().await?;
    for c in levels.split(',').filter_map(|c| c.trim().parse().ok()) {
        for rust_log in logs.split(',').map(str::trim) {
            let (mut alone, mut worker, mut bare) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..repeat {
                alone.push(broker_case(&broker, n, c).await?);
                worker.push(worker_case(&deployment, &broker, n, c, rust_log, false).await?);
                if no_results {
                    bare.push(worker_case(&deployment, &broker, n, c, rust_log, true).await?);
                }
            }
            println!("C={c} N={n} RUST_LOG={rust_log}:");
            let queue_alone = report("broker alone (ack_many)", &alone);
            let process = report("confq worker", &worker);
            if no_results {
                let without = report("confq worker --no-results", &bare);
                println!(
                    "  state store cost in the worker: {:.1} %",
                    (1.0 - process / without) * 100.0
                );
            }
            println!(
                "  worker / broker alone: {:.0} %",
                process / queue_alone * 100.0
            );
        }
    }
    deployment.delete_keys()
}
