//! Wake-up latency of an idle consumer (plain main, not a test): a consumer waits on empty queues,
//! one task is enqueued, and the time from the enqueue's start to `fetch` returning it is
//! measured, `BENCH_N` times (default 200; `CONFQ_BENCH_QUICK=1`: 10). Two cases: three queues
//! (weighted; woken by the wake channel, docs/broker.md "Several queues") and one queue (the
//! `BLMOVE` path) for reference. `block_timeout` is 5 s, so a missed wake shows as ~5 s.
//! Uses `CONFQ_REDIS_URL` (default local) under a random key prefix deleted afterwards.

use std::time::{Duration, Instant};

use broker::{Broker, BrokerConfig, Envelope, QueueName, Selection, WeightedQueue};

mod cleanup;

use cleanup::cleanup;

type Failure = Box<dyn std::error::Error + Send + Sync>;

async fn case(broker: &Broker, spec: &[&str], n: usize) -> Result<Vec<Duration>, Failure> {
    let queues: Vec<WeightedQueue> = spec.iter().map(|s| s.parse()).collect::<Result<_, _>>()?;
    let names: Vec<QueueName> = queues.iter().map(|w| w.queue.clone()).collect();
    let consumer = broker
        .consumer_with(
            Selection::new(queues, false)?,
            broker::WorkerId::new("bench"),
        )
        .await?;
    let mut waits = Vec::with_capacity(n);
    for i in 0..n {
        let waiting = tokio::spawn({
            let consumer = consumer.clone();
            async move { consumer.fetch(4).await }
        });
        // Long enough for the fetch to find every queue empty and start waiting.
        tokio::time::sleep(Duration::from_millis(30)).await;
        let sent = Instant::now();
        let task = Envelope::new("confq.noop", serde_json::Map::new());
        broker
            .producer()
            .enqueue(&names[i % names.len()], &task)
            .await?;
        let got = waiting.await??;
        waits.push(sent.elapsed());
        consumer.ack_many(&got).await?;
    }
    waits.sort_unstable();
    Ok(waits)
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let n = testenv::bench::size("BENCH_N", 200, 10).max(1);
    let config = BrokerConfig {
        redis_url: std::env::var("CONFQ_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
        key_prefix: format!("bench-{}", uuid::Uuid::new_v4().simple()),
        block_timeout: Duration::from_secs(5),
        ..BrokerConfig::default()
    };
    let broker = Broker::connect(config).await?;
    for spec in [&["critical=6", "default=3", "low=1"][..], &["ingest"][..]] {
        let waits = case(&broker, spec, n).await?;
        let at = |p: f64| waits[((waits.len() - 1) as f64 * p) as usize];
        println!(
            "wake-up {} queue(s) N={n}: p50={:.2?} p99={:.2?} max={:.2?}",
            spec.len(),
            at(0.5),
            at(0.99),
            waits[waits.len() - 1]
        );
    }
    cleanup(&broker).await
}
