//! The cost of announcing run status changes (docs/benchmarks.md, "Live view"): the run
//! lifecycle (create → begin → complete, three committed changes) per second on SQLite, with the
//! store announcing on the run-events channel and without, interleaved in one process.
//!
//! `cargo bench -p entity --bench announce`. `BENCH_RUNS` (default 2,000) runs per case,
//! `BENCH_REPEAT` (default 5; medians printed). `CONFQ_BENCH_QUICK=1` (CI): 100 runs, once.
//! Redis: `CONFQ_REDIS_URL` (default local), under a random key prefix.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Instant;

use broker::{Broker, BrokerConfig};
use entity::Store;
use entity::store::{Delivered, NewRun, RunMetrics, RunSource};

async fn lifecycles(store: &Store, n: usize) -> f64 {
    let started = Instant::now();
    for i in 0..n {
        let run = store
            .create_run(NewRun {
                filename: format!("bench-{i}.tgz"),
                object_key: format!("bench/{i}"),
                size_bytes: 1,
                sha256: "ab".repeat(32),
                source: RunSource::Api,
                task_id: Some(uuid::Uuid::now_v7()),
                queue: Some("ingest".into()),
            })
            .await
            .unwrap();
        let delivered = Delivered {
            attempt: 0,
            retries: 0,
        };
        let begun = store
            .begin_delivery(run.id, uuid::Uuid::now_v7(), delivered)
            .await
            .unwrap();
        store
            .complete(run.id, begun.fence, RunMetrics::default())
            .await
            .unwrap();
    }
    #[allow(clippy::cast_precision_loss)]
    let rate = n as f64 / started.elapsed().as_secs_f64();
    rate
}

#[tokio::main]
async fn main() {
    let n: usize = testenv::bench::size("BENCH_RUNS", 2_000, 100);
    let repeat: usize = testenv::bench::size("BENCH_REPEAT", 5, 1);
    let dir = tempfile::tempdir().unwrap();
    let plain = Store::connect(&format!("sqlite://{}/bench.db", dir.path().display()))
        .await
        .unwrap();
    plain.migrate().await.unwrap();
    let broker = Broker::connect(BrokerConfig {
        redis_url: std::env::var("CONFQ_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
        key_prefix: format!("confq-bench-{}", uuid::Uuid::new_v4().simple()),
        ..BrokerConfig::default()
    })
    .await
    .unwrap();
    let publisher = broker.event_publisher();
    let announcing = plain.clone().announcing(publisher.clone());
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for _ in 0..repeat {
        without.push(lifecycles(&plain, n).await);
        with.push(lifecycles(&announcing, n).await);
    }
    publisher.flush().await;
    println!(
        "run lifecycles/s without announcing: {}",
        testenv::bench::median_and_runs(without)
    );
    println!(
        "run lifecycles/s with announcing:    {}",
        testenv::bench::median_and_runs(with)
    );
    println!("announcements dropped: {}", publisher.dropped());
}
