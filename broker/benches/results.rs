//! The cost of the task state store (plain main, not a test), side by side in one run:
//! - throughput: the no-op drain with results on and off, in alternating rounds on fresh key
//!   prefixes, once with batched acks (`ack_many`) and once with one `ack` per task (the worker
//!   runtime's path); prints each mode's median jobs/s and the cost of the store;
//! - memory, on a private `redis-server`: bytes of Redis memory per queued no-op task (no state is
//!   kept for a queued task) and per finished task's recorded state; with `BENCH_BULLMQ_DIR` set
//!   to a directory where `npm install bullmq` was run, BullMQ's bytes per queued job on the same
//!   server (never in CI).
//!
//! Uses `CONFQ_REDIS_URL` (default local) for throughput. `CONFQ_BENCH_QUICK=1` (CI): small sizes.

use std::time::{Duration, Instant};

use broker::{Broker, BrokerConfig, QueueName};

mod cleanup;
#[allow(dead_code)] // the shared workload; this bench reads no Redis CPU
mod noop;

use cleanup::cleanup;
use noop::{Failure, drain, enqueue};

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let n = testenv::bench::size("BENCH_N", 20_000, 500);
    let rounds = testenv::bench::size("BENCH_ROUNDS", 3, 1);
    let url = std::env::var("CONFQ_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    for per_task in [false, true] {
        let (mut on, mut off) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            on.push(rate(&url, n, true, per_task).await?);
            off.push(rate(&url, n, false, per_task).await?);
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (m_on, m_off) = (median(on.clone()), median(off.clone()));
        println!(
            "throughput ack={} N={n}: results on {}; off {}; cost {:.1} %",
            if per_task { "one per task" } else { "batched" },
            testenv::bench::median_and_runs(on),
            testenv::bench::median_and_runs(off),
            (1.0 - m_on / m_off) * 100.0
        );
    }
    memory(testenv::bench::size("BENCH_MEMORY_N", 100_000, 1_000)).await
}

async fn broker(url: &str, results: bool) -> Result<Broker, Failure> {
    Ok(Broker::connect(BrokerConfig {
        redis_url: url.to_owned(),
        key_prefix: format!("bench-{}", uuid::Uuid::new_v4().simple()),
        lease: Duration::from_secs(300),
        block_timeout: Duration::from_millis(200),
        results,
        ..BrokerConfig::default()
    })
    .await?)
}

/// Jobs/s of one drain of `n` no-ops, results on or off.
async fn rate(url: &str, n: usize, results: bool, per_task: bool) -> Result<f64, Failure> {
    let broker = broker(url, results).await?;
    let queue = QueueName::parse("ingest")?;
    enqueue(&broker, &queue, n).await?;
    let started = Instant::now();
    if per_task {
        drain_one_by_one(&broker, &queue, n).await?;
    } else {
        drain(&broker, &queue, n, 16).await?;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    cleanup(&broker).await?;
    Ok(rate)
}

/// Fetches in batches and acks each task with its own `ack` call, all of a batch at once: the
/// runtime's per-task settlement.
async fn drain_one_by_one(broker: &Broker, queue: &QueueName, n: usize) -> Result<(), Failure> {
    let consumer = broker
        .consumer(vec![queue.clone()], broker::WorkerId::generate("bench"))
        .await?;
    let mut acked = 0;
    while acked < n {
        let batch = consumer.fetch(64).await?;
        let acks = batch.iter().map(|d| consumer.ack(d));
        for result in futures::future::join_all(acks).await {
            result?;
            acked += 1;
        }
    }
    Ok(())
}

async fn used_memory(broker: &Broker) -> Result<i64, Failure> {
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut broker.connection())
        .await?;
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| "no used_memory in INFO".into())
}

/// Bytes per queued task and per recorded state, on a private server; BullMQ's beside it.
async fn memory(n: usize) -> Result<(), Failure> {
    let server = testenv::redis::Server::start();
    let broker = broker(&server.url(), true).await?;
    let queue = QueueName::parse("ingest")?;
    // The queue's keys exist before the baseline (a first element creates them).
    enqueue(&broker, &queue, 1).await?;
    drain(&broker, &queue, 1, 1).await?;
    let before = used_memory(&broker).await?;
    enqueue(&broker, &queue, n).await?;
    let queued = used_memory(&broker).await?;
    drain(&broker, &queue, n, 16).await?;
    let finished = used_memory(&broker).await?;
    println!(
        "memory N={n}: {:.0} B per queued no-op task (no state kept while queued); {:.0} B per finished task's recorded state (kept CONFQ_RESULT_TTL_SECS)",
        (queued - before) as f64 / n as f64,
        (finished - before) as f64 / n as f64
    );
    if let Ok(dir) = std::env::var("BENCH_BULLMQ_DIR") {
        bullmq(&dir, server.port(), n)?;
    }
    Ok(())
}

/// BullMQ's bytes per queued job (`Queue.addBulk` of `n` jobs with `{}` data) on the same server.
fn bullmq(dir: &str, port: u16, n: usize) -> Result<(), Failure> {
    let script = format!(
        r#"
const {{ Queue }} = require('bullmq');
const IORedis = require('ioredis');
(async () => {{
  const connection = new IORedis({{ port: {port}, maxRetriesPerRequest: null }});
  const mem = async () => Number((await connection.info('memory')).match(/used_memory:(\d+)/)[1]);
  const queue = new Queue('bench', {{ connection }});
  await queue.add('noop', {{}}); await queue.drain();
  const before = await mem();
  for (let done = 0; done < {n}; done += 1000) {{
    await queue.addBulk(Array.from({{ length: Math.min(1000, {n} - done) }}, () => ({{ name: 'noop', data: {{}} }})));
  }}
  console.log(((await mem()) - before) / {n});
  await queue.close(); connection.disconnect();
}})();
"#
    );
    let output = std::process::Command::new("node")
        .current_dir(dir)
        .args(["-e", &script])
        .output()?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned().into());
    }
    println!(
        "memory N={n}: BullMQ {:.0} B per queued job (same server)",
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse::<f64>()?
    );
    Ok(())
}
