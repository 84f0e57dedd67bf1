//! Broker throughput benchmark (plain main, not a test): enqueue `BENCH_N` `confq.noop` envelopes,
//! drain them with `BENCH_C` tasks in flight through fetch + claim + batched ack, and print jobs/s,
//! enqueue→start latency (p50/p99) and Redis CPU per job. Uses `CONFQ_REDIS_URL` (default local).
//! `CONFQ_BENCH_QUICK=1` (CI): N = 1,000.

use std::sync::Arc;
use std::time::{Duration, Instant};

use broker::{Broker, BrokerConfig, Delivery, Envelope, QueueName, WorkerId};
use chrono::Utc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

type Failure = Box<dyn std::error::Error + Send + Sync>;

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
    let cpu_before = redis_cpu(&broker).await?;

    let started = Instant::now();
    enqueue(&broker, &queue, n).await?;
    let enqueue_secs = started.elapsed().as_secs_f64();

    let drain_started = Instant::now();
    let mut latencies = drain(&broker, &queue, n, c).await?;
    let drain_secs = drain_started.elapsed().as_secs_f64();
    let cpu_after = redis_cpu(&broker).await?;

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

async fn enqueue(broker: &Broker, queue: &QueueName, n: usize) -> Result<(), Failure> {
    let producer = broker.producer();
    let mut done = 0;
    while done < n {
        let batch: Vec<Envelope> = (done..n.min(done + 1000))
            .map(|_| Envelope::new("confq.noop", serde_json::Map::new()))
            .collect();
        producer.enqueue_many(queue, &batch).await?;
        done += batch.len();
    }
    Ok(())
}

/// Fetches with up to `c` tasks in flight; a task runs (noop) on its own tokio task and its
/// delivery goes to one acker that acks in batches. Returns enqueue→start latencies in µs.
async fn drain(
    broker: &Broker,
    queue: &QueueName,
    n: usize,
    c: usize,
) -> Result<Vec<u64>, Failure> {
    let consumer = broker
        .consumer(vec![queue.clone()], WorkerId::generate("bench"))
        .await?;
    let permits = Arc::new(Semaphore::new(c));
    let (tx, mut rx) = mpsc::unbounded_channel::<(Delivery, OwnedSemaphorePermit)>();
    let acker_consumer = consumer.clone();
    let acker = tokio::spawn(async move {
        let mut buf = Vec::new();
        let mut acked = 0usize;
        while rx.recv_many(&mut buf, 1024).await > 0 {
            let ds: Vec<Delivery> = buf.iter().map(|(d, _)| d.clone()).collect();
            acked += acker_consumer
                .ack_many(&ds)
                .await?
                .into_iter()
                .filter(|ok| *ok)
                .count();
            buf.clear();
        }
        Ok::<usize, broker::BrokerError>(acked)
    });
    let mut latencies = Vec::with_capacity(n);
    while latencies.len() < n {
        let mut held = vec![permits.clone().acquire_owned().await?];
        while held.len() < 512 {
            match permits.clone().try_acquire_owned() {
                Ok(p) => held.push(p),
                Err(_) => break,
            }
        }
        for d in consumer.fetch(held.len()).await? {
            let created = d.envelope.created_at.unwrap_or_else(Utc::now);
            latencies.push(
                (Utc::now() - created)
                    .num_microseconds()
                    .unwrap_or(0)
                    .max(0) as u64,
            );
            let permit = held.pop().ok_or("more deliveries than permits")?;
            let tx = tx.clone();
            tokio::spawn(async move {
                // confq.noop: nothing to do
                let _ = tx.send((d, permit));
            });
        }
    }
    drop(tx);
    let acked = acker.await??;
    if acked != n {
        return Err(format!("acked {acked} of {n}").into());
    }
    Ok(latencies)
}

async fn redis_cpu(broker: &Broker) -> Result<f64, Failure> {
    let mut con = raw(broker).await?;
    let info: String = redis::cmd("INFO").arg("cpu").query_async(&mut con).await?;
    Ok(info
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| *k == "used_cpu_sys" || *k == "used_cpu_user")
        .filter_map(|(_, v)| v.trim().parse::<f64>().ok())
        .sum())
}

async fn raw(broker: &Broker) -> Result<redis::aio::MultiplexedConnection, Failure> {
    let client = redis::Client::open(broker.config().redis_url.as_str())?;
    Ok(client.get_multiplexed_async_connection().await?)
}

async fn cleanup(broker: &Broker) -> Result<(), Failure> {
    let mut con = raw(broker).await?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:*", broker.config().key_prefix))
        .query_async(&mut con)
        .await?;
    if !keys.is_empty() {
        redis::cmd("DEL")
            .arg(keys)
            .query_async::<()>(&mut con)
            .await?;
    }
    Ok(())
}
