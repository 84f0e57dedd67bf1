//! Splunk views for docs/benchmarks.md: the effective view of `props` and of `savedsearches`, and
//! the diff of two runs (every conf type), each through `app(state).oneshot(..)` with one page of
//! up to 1,000 items, on a generated run of the real corpus's shape (`views/corpus.rs`).
//! SQLite always; PostgreSQL when `CONFQ_TEST_POSTGRES_URL` is set (a scratch database).
//! `BENCH_N` (default 50) timings per figure, median and p99 printed; `CONFQ_BENCH_QUICK=1`: 3.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "views/corpus.rs"]
mod corpus;

use std::time::{Duration, Instant};

use api::{ApiConfig, AppState, app};
use axum::body::Body;
use axum::http::Request;
use broker::{Broker, BrokerConfig};
use entity::store::{NewRun, RunId, RunMetrics, RunSource};
use entity::{Storage, Store};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use tower::ServiceExt;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}/views.db?mode=rwc", dir.path().display());
    bench("sqlite", &sqlite, &dir).await;
    if let Ok(admin) = std::env::var("CONFQ_TEST_POSTGRES_URL") {
        let name = format!("confq_views_bench_{}", uuid::Uuid::new_v4().simple());
        let conn = Database::connect(admin.as_str()).await.unwrap();
        conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&format!("/{name}"));
        bench("postgres", url.as_str(), &dir).await;
        conn.execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await
            .unwrap();
    }
}

async fn bench(label: &str, url: &str, dir: &tempfile::TempDir) {
    let n = testenv::bench::size("BENCH_N", 50, 3);
    let store = Store::connect(url).await.unwrap();
    store.migrate().await.unwrap();
    let (before, shape) = seeded(&store, 1).await;
    let (after, _) = seeded(&store, 2).await;
    println!(
        "{label}: each run {} files, {} stanzas, {} keys",
        shape.files, shape.stanzas, shape.keys
    );
    plan(label, &store, before).await;
    let redis_url =
        std::env::var("CONFQ_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let broker = Broker::connect(BrokerConfig {
        redis_url,
        key_prefix: format!("confq-views-bench-{}", uuid::Uuid::new_v4().simple()),
        ..BrokerConfig::default()
    })
    .await
    .expect("Redis");
    let storage = Storage::from_url(&format!("file://{}/uploads", dir.path().display())).unwrap();
    let state = AppState::new(ApiConfig::default(), broker, store, storage);
    for (name, uri) in [
        (
            "effective props",
            format!("/v1/runs/{before}/effective/props?limit=1000"),
        ),
        (
            "effective savedsearches",
            format!("/v1/runs/{before}/effective/savedsearches?limit=1000"),
        ),
        (
            "diff of two runs",
            format!("/v1/runs/{before}/diff/{after}?limit=1000"),
        ),
    ] {
        let (items, times) = measure(&state, &uri, n).await;
        println!(
            "{label:<8} {name:<24} {items:>5} items   median {:>7.2} ms   p99 {:>7.2} ms   (n={n})",
            ms(times[n / 2]),
            ms(times[(n * 99 / 100).min(n - 1)])
        );
    }
}

/// Prints the plan of the query behind the views (`Store::view_stanzas`, written out by hand).
async fn plan(label: &str, store: &Store, run: RunId) {
    let db = store.connection();
    let query = format!(
        "SELECT * FROM stanzas WHERE run_id = {run} AND ((nul_escaped = false AND conf_type = 'props') \
         OR (nul_escaped = true AND conf_type = 'props')) ORDER BY id"
    );
    let explain = match db.get_database_backend() {
        DbBackend::Sqlite => {
            db.execute_unprepared("ANALYZE").await.unwrap();
            format!("EXPLAIN QUERY PLAN {query}")
        }
        _ => {
            db.execute_unprepared("ANALYZE stanzas").await.unwrap();
            format!("EXPLAIN {query}")
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), explain))
        .await
        .unwrap();
    for row in rows {
        let line: String = row
            .try_get_by_index(row_column(db.get_database_backend()))
            .unwrap_or_default();
        println!("{label:<8} plan: {line}");
    }
}

/// The column of an EXPLAIN row that holds the text: `detail` (4th) on SQLite, the only one on PostgreSQL.
fn row_column(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Sqlite => 3,
        _ => 0,
    }
}

/// A complete run holding the generated corpus.
async fn seeded(store: &Store, variant: usize) -> (RunId, corpus::Shape) {
    let run = store
        .create_run(NewRun {
            filename: format!("corpus-{variant}.tgz"),
            object_key: format!("uploads/bench/{}", uuid::Uuid::now_v7()),
            size_bytes: 1,
            sha256: "ab".repeat(32),
            source: RunSource::Cli,
            task_id: Some(uuid::Uuid::now_v7()),
            queue: None,
        })
        .await
        .unwrap();
    let fence = store
        .begin_attempt(run.id, run.task_id.unwrap(), 0)
        .await
        .unwrap();
    let (files, shape) = corpus::run(variant);
    store.write_results(run.id, fence, files).await.unwrap();
    store
        .complete(run.id, fence, RunMetrics::default())
        .await
        .unwrap();
    (run.id, shape)
}

/// Items on the page and the sorted latencies of `n` requests of `uri`.
async fn measure(state: &AppState, uri: &str, n: usize) -> (usize, Vec<Duration>) {
    let mut times = Vec::with_capacity(n);
    let mut items = 0;
    for _ in 0..n {
        let started = Instant::now();
        let response = app(state.clone())
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{uri}: {}",
            response.status()
        );
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        times.push(started.elapsed());
        let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
        items = page["items"].as_array().map_or(0, Vec::len);
    }
    times.sort();
    (items, times)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
