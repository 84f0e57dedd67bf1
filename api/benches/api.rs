//! API latency and throughput through `app(state).oneshot(..)` (no TCP): uploads of the example
//! archive, run status, the metrics document and the Prometheus scrape, against the local Redis
//! (random key prefix, deleted afterwards) and SQLite in a temp dir.
//! `BENCH_N` (default 2000) requests per read route, `BENCH_UPLOADS` (default 200) uploads,
//! `BENCH_C` (default 16) requests in flight. `CONFQ_BENCH_QUICK=1` (CI): 40 and 10 requests.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use api::{ApiConfig, AppState, app};
use axum::body::Body;
use axum::http::Request;
use broker::{Broker, BrokerConfig};
use entity::{Storage, Store};
use futures::StreamExt;
use tower::ServiceExt;

const EXAMPLE: &[u8] = include_bytes!("../../examples/splunk-apps.tgz");

async fn measure(
    state: &AppState,
    n: usize,
    c: usize,
    make: impl Fn(usize) -> Request<Body>,
) -> (f64, Duration, Duration) {
    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures::stream::iter(0..n)
        .map(|i| {
            let (router, request) = (app(state.clone()), make(i));
            async move {
                let t = Instant::now();
                let response = router.oneshot(request).await.unwrap();
                assert!(response.status().is_success(), "{}", response.status());
                let _ = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .unwrap();
                t.elapsed()
            }
        })
        .buffer_unordered(c)
        .collect()
        .await;
    let rate = n as f64 / started.elapsed().as_secs_f64();
    latencies.sort();
    (rate, latencies[n / 2], latencies[(n * 99 / 100).min(n - 1)])
}

fn print(name: &str, c: usize, (rate, p50, p99): (f64, Duration, Duration)) {
    println!(
        "{name:<28} C={c:<3} {rate:>9.0} req/s   p50 {:>8.2} ms   p99 {:>8.2} ms",
        ms(p50),
        ms(p99)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let (n, uploads, c) = (
        testenv::bench::size("BENCH_N", 2000, 40),
        testenv::bench::size("BENCH_UPLOADS", 200, 10),
        testenv::bench::size("BENCH_C", 16, 4),
    );
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("confq-api-bench-{}", uuid::Uuid::new_v4().simple());
    let redis_url =
        std::env::var("CONFQ_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let broker = Broker::connect(BrokerConfig {
        redis_url: redis_url.clone(),
        key_prefix: prefix.clone(),
        ..BrokerConfig::default()
    })
    .await
    .expect("Redis");
    let store = Store::connect(&format!(
        "sqlite://{}/confq.db?mode=rwc",
        dir.path().display()
    ))
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let storage = Storage::from_url(&format!("file://{}/uploads", dir.path().display())).unwrap();
    let state = AppState::new(ApiConfig::default(), broker, store, storage);

    for c in [1, c] {
        print(
            "POST /v1/uploads (2.2 KiB)",
            c,
            measure(&state, uploads, c, |_| {
                Request::post("/v1/uploads?filename=a.tgz")
                    .body(Body::from(EXAMPLE))
                    .unwrap()
            })
            .await,
        );
        print(
            "GET status",
            c,
            measure(&state, n, c, |i| {
                Request::get(format!("/v1/worker/runs/{}/status", i % uploads + 1))
                    .body(Body::empty())
                    .unwrap()
            })
            .await,
        );
        print(
            "GET /v1/runs?limit=50",
            c,
            measure(&state, n, c, |_| {
                Request::get("/v1/runs").body(Body::empty()).unwrap()
            })
            .await,
        );
        print(
            "GET /v1/worker/metrics",
            c,
            measure(&state, n / 4, c, |_| {
                Request::get("/v1/worker/metrics")
                    .body(Body::empty())
                    .unwrap()
            })
            .await,
        );
        print(
            "GET /metrics",
            c,
            measure(&state, n / 4, c, |_| {
                Request::get("/metrics").body(Body::empty()).unwrap()
            })
            .await,
        );
    }

    let client = redis::Client::open(redis_url.as_str()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut con)
        .await
        .unwrap();
    if !keys.is_empty() {
        redis::cmd("DEL")
            .arg(keys)
            .query_async::<()>(&mut con)
            .await
            .unwrap();
    }
}
