//! Latency under steady load (plain main, not a test): a producer offers `confq.noop` tasks at a
//! fixed rate, open loop (it never waits for the worker: every millisecond it pushes the tasks
//! due by then, each push its own tokio task), to one real `confq worker` process cargo built,
//! whose JSON log says when each task started (`confq.noop started`, debug level) and when its
//! ack returned (`task succeeded`). Latency counts from the moment the producer sent the task's
//! LPUSH; the producer's own lag (send − schedule) is printed apart.
//!
//! `cargo bench -p confq --bench latency`. `BENCH_RATES` (tasks/s, `50,1000,10000`; 50/s is the
//! wake-up path: the worker is idle in `BLMOVE` when each task arrives), `BENCH_SECONDS` (30 per
//! rate), `BENCH_CONCURRENCY` (the worker's default unless set). Redis: `CONFQ_REDIS_URL`
//! (default local), under a random key prefix deleted afterwards; SQLite in a temp dir.
//! `CONFQ_BENCH_QUICK=1` (CI): 200 tasks/s for 2 s.

mod common;

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use broker::{Broker, Envelope, QueueName};
use common::worker_log::{self, Moments};
use common::{Deployment, Failure, percentile, stop};
use tokio::task::JoinSet;

/// The worker's log level: info, plus the noop's start line and a built-in task's `task succeeded`.
const RUST_LOG: &str = "info,worker::tasks::diagnostic=debug,worker::acker=debug";

/// Microseconds since the Unix epoch, now.
fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX)
        })
}

/// One rate's figures, in milliseconds.
struct Figures {
    start: Vec<f64>,
    ack: Vec<f64>,
    missing: usize,
}

/// Offers `rate` tasks/s for `seconds` to one `confq worker`; the send moment of every task id.
async fn offer(
    broker: &Broker,
    queue: &QueueName,
    rate: u64,
    seconds: f64,
) -> Result<HashMap<String, i64>, Failure> {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let total = (rate as f64 * seconds) as u64;
    let mut sent: HashMap<String, i64> = HashMap::with_capacity(usize::try_from(total)?);
    let mut lags = Vec::new();
    let mut pushes = JoinSet::new();
    let mut ticks = tokio::time::interval(Duration::from_millis(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let began = Instant::now();
    let mut offered = 0u64;
    while offered < total {
        ticks.tick().await;
        let elapsed = began.elapsed().as_secs_f64();
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let due = ((elapsed * rate as f64) as u64).min(total);
        if due == offered {
            continue;
        }
        let at = now_micros();
        let batch: Vec<Envelope> = (offered..due)
            .map(|k| {
                #[allow(clippy::cast_precision_loss)]
                let scheduled = (k + 1) as f64 / rate as f64; // task k is due once k + 1 are
                lags.push((elapsed - scheduled) * 1e3);
                let envelope = Envelope::new("confq.noop", serde_json::Map::new());
                sent.insert(envelope.id.to_string(), at);
                envelope
            })
            .collect();
        offered = due;
        let producer = broker.producer();
        let queue = queue.clone();
        pushes.spawn(async move { producer.enqueue_many(&queue, &batch).await });
    }
    while let Some(pushed) = pushes.join_next().await {
        pushed??;
    }
    lags.sort_by(f64::total_cmp);
    println!(
        "  producer lag (send − schedule): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&lags, 50.0),
        percentile(&lags, 99.0),
        lags.last().copied().unwrap_or_default()
    );
    Ok(sent)
}

/// Waits until the queue's `processed` counter reaches `target` (or `limit` passes).
async fn wait_processed(
    broker: &Broker,
    queue: &QueueName,
    target: u64,
    limit: Duration,
) -> Result<(), Failure> {
    let began = Instant::now();
    while broker.stats(queue).await?.processed < target {
        if began.elapsed() > limit {
            return Err(format!("the worker did not process {target} tasks in {limit:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// One rate against a fresh worker process.
async fn one_rate(
    deployment: &Deployment,
    broker: &Broker,
    rate: u64,
    seconds: f64,
) -> Result<Figures, Failure> {
    let queue = protocol::default_queue();
    let mut command = deployment.command(RUST_LOG);
    command
        .env("CONFQ_LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .args(["--no-migrate", "worker"]);
    if let Ok(concurrency) = std::env::var("BENCH_CONCURRENCY") {
        command.args(["--concurrency", &concurrency]);
    }
    let mut worker = command.spawn()?;
    let log = worker_log::collect(worker.stderr.take().ok_or("no stderr")?);
    // Warm-up: one task, so the worker is up and idle in BLMOVE when the offer starts.
    let before = broker.stats(&queue).await?.processed;
    broker
        .producer()
        .enqueue(&queue, &Envelope::new("confq.noop", serde_json::Map::new()))
        .await?;
    wait_processed(broker, &queue, before + 1, Duration::from_secs(30)).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = offer(broker, &queue, rate, seconds).await?;
    let n = u64::try_from(sent.len())?;
    let outcome = wait_processed(broker, &queue, before + 1 + n, Duration::from_secs(120)).await;
    stop(worker)?;
    outcome?;
    let moments = log.join().map_err(|_| "the log reader panicked")?;
    Ok(figures(&sent, &moments))
}

/// Latencies of every sent task, from the log's moments.
fn figures(sent: &HashMap<String, i64>, moments: &HashMap<String, Moments>) -> Figures {
    let mut figures = Figures {
        start: Vec::with_capacity(sent.len()),
        ack: Vec::with_capacity(sent.len()),
        missing: 0,
    };
    for (id, at) in sent {
        match moments.get(id) {
            Some(Moments {
                started: Some(started),
                acked: Some(acked),
            }) => {
                #[allow(clippy::cast_precision_loss)]
                {
                    figures.start.push((started - at) as f64 / 1e3);
                    figures.ack.push((acked - at) as f64 / 1e3);
                }
            }
            _ => figures.missing += 1,
        }
    }
    figures.start.sort_by(f64::total_cmp);
    figures.ack.sort_by(f64::total_cmp);
    figures
}

/// `p50 … p99 … p99.9 … max …` of sorted milliseconds.
fn summary(sorted: &[f64]) -> String {
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        percentile(sorted, 50.0),
        percentile(sorted, 99.0),
        percentile(sorted, 99.9),
        sorted.last().copied().unwrap_or_default()
    )
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let rates = testenv::bench::text("BENCH_RATES", "50,1000,10000", "200");
    let seconds: f64 = testenv::bench::size("BENCH_SECONDS", 30.0, 2.0);
    let deployment = Deployment::new("latency")?;
    deployment.migrate()?;
    let broker = deployment.broker().await?;
    for rate in rates
        .split(',')
        .filter_map(|r| r.trim().parse::<u64>().ok())
    {
        println!("confq worker latency: {rate} tasks/s offered for {seconds} s, open loop");
        let figures = one_rate(&deployment, &broker, rate, seconds).await?;
        if figures.missing > 0 || figures.start.is_empty() {
            deployment.delete_keys()?;
            return Err(format!(
                "{} of {} tasks have no start or ack line in the worker's log",
                figures.missing,
                figures.start.len() + figures.missing
            )
            .into());
        }
        println!("  enqueue→start: {}", summary(&figures.start));
        println!("  enqueue→ack:   {}", summary(&figures.ack));
    }
    deployment.delete_keys()
}
