//! Broker throughput benchmark (plain main, not a test): enqueue `BENCH_N` `confq.noop` envelopes,
//! drain them with `BENCH_C` tasks in flight through fetch + claim + batched ack, and print jobs/s,
//! enqueue→start latency (p50/p99) and Redis CPU per job. Uses `CONFQ_REDIS_URL` (default local).
//! `CONFQ_BENCH_QUICK=1` (CI): N = 1,000.

use std::time::{Duration, Instant};

use broker::{Broker, BrokerConfig, QueueName};

mod cleanup;
mod noop;

use cleanup::cleanup;
use noop::{Failure, drain, enqueue, redis_cpu};

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let n = testenv::bench::size("BENCH_N", 100_000, 1_000);
    let c = testenv::bench::size("BENCH_C", 16, 16).max(1);
    let config = BrokerConfig {
        redis_url: std::env::var("CONFQ_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
        key_prefix: format!("bench-{}", uuid::Uuid::new_v4().simple()),
        lease: Duration::from_secs(300),
        block_timeout: Duration::from_millis(200),
        ..BrokerConfig::default()
    };
    let broker = Broker::connect(config).await?;
    let queue = QueueName::parse("ingest")?;
    let cpu_before = redis_cpu(&broker.config().redis_url).await?;

    let started = Instant::now();
    enqueue(&broker, &queue, n).await?;
    let enqueue_secs = started.elapsed().as_secs_f64();

    let drain_started = Instant::now();
    let mut latencies = drain(&broker, &queue, n, c).await?;
    let drain_secs = drain_started.elapsed().as_secs_f64();
    let cpu_after = redis_cpu(&broker.config().redis_url).await?;

    latencies.sort_unstable();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize] as f64 / 1000.0;
    let stats = broker.stats(&queue).await?;
    println!(
        "N={n} C={c} enqueue={:.0} jobs/s drain={:.0} jobs/s enqueue_to_start_p50={:.1}ms p99={:.1}ms redis_cpu_per_job={:.1}us processed={}",
        n as f64 / enqueue_secs,
        n as f64 / drain_secs,
        pct(0.50),
        pct(0.99),
        (cpu_after - cpu_before) * 1e6 / n as f64,
        stats.processed
    );
    cleanup(&broker).await?;
    Ok(())
}
