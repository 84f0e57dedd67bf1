//! Store figures for docs/benchmarks.md: stanza write rate, and metrics_summary at 1,000,000 runs.
//!
//! `cargo bench -p entity --no-run`, then run the printed binary. PostgreSQL is measured when
//! `CONFQ_TEST_POSTGRES_URL` is set (a scratch database is created and dropped).
//! `BENCH_RUNS` (1,000,000) runs for the summary; `CONFQ_BENCH_QUICK=1` (CI): 1,000 runs and one
//! timing of each figure.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use entity::Store;
use entity::store::{NewConfFile, NewRun, NewStanza, RunSource};
use sea_orm::{ConnectionTrait, Database, DbBackend};

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = Store::connect(&format!("sqlite://{}/bench.db", dir.path().display()))
        .await
        .expect("sqlite");
    bench("sqlite", &sqlite).await;
    if let Ok(admin) = std::env::var("CONFQ_TEST_POSTGRES_URL") {
        let name = format!("confq_bench_{}", uuid::Uuid::new_v4().simple());
        let conn = Database::connect(admin.as_str()).await.expect("admin");
        conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create db");
        let mut url = url::Url::parse(&admin).expect("url");
        url.set_path(&format!("/{name}"));
        let pg = Store::connect(url.as_str()).await.expect("postgres");
        bench("postgres", &pg).await;
        pg.connection().clone().close().await.ok();
        conn.execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await
            .expect("drop db");
    }
}

async fn bench(label: &str, store: &Store) {
    store.migrate().await.expect("migrate");
    write_rate(label, store).await;
    summary_time(label, store).await;
}

fn files() -> Vec<NewConfFile> {
    // 50 files × 40 stanzas × 10 keys = 20,000 settings in 2,000 stanzas
    (0..50)
        .map(|f| NewConfFile {
            path: format!("apps/app{f}/default/props.conf"),
            app: Some(format!("app{f}")),
            layer: "default".into(),
            conf_type: "props".into(),
            size_bytes: 40_000,
            sha256: "ab".repeat(32),
            parse_error: None,
            warnings: vec![],
            stanzas: (0..40)
                .map(|s| NewStanza {
                    name: format!("vendor:product:{s}"),
                    global: false,
                    line: s * 12 + 1,
                    settings: (0..10)
                        .map(|k| {
                            (
                                format!("EXTRACT-field{k}"),
                                format!("(?<f{k}>\\d+) value {s}"),
                            )
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

async fn write_rate(label: &str, store: &Store) {
    let run = store
        .create_run(NewRun {
            filename: "bench.spl".into(),
            object_key: "uploads/bench".into(),
            size_bytes: 1,
            sha256: "00".repeat(32),
            source: RunSource::Cli,
            task_id: None,
            queue: None,
        })
        .await
        .expect("run");
    let mut times = Vec::new();
    let mut settings = 0;
    for _ in 0..testenv::bench::size("BENCH_WRITES", 7, 1) {
        let fence = store
            .begin_attempt(run.id, uuid::Uuid::now_v7(), 0)
            .await
            .expect("begin");
        let batch = files();
        let start = Instant::now();
        let summary = store
            .write_results(run.id, fence, batch)
            .await
            .expect("write");
        times.push(start.elapsed());
        settings = summary.settings;
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "{label}: write_results {settings} settings / 2,000 stanzas / 50 files: median {:.1} ms = {:.0} settings/s (best {:.1} ms)",
        ms(median),
        settings as f64 / median.as_secs_f64(),
        ms(times[0])
    );
}

async fn summary_time(label: &str, store: &Store) {
    let runs: u64 = testenv::bench::size("BENCH_RUNS", 1_000_000, 1_000);
    let conn = store.connection();
    let start = Instant::now();
    conn.execute_unprepared(&generate_sql(conn.get_database_backend(), runs))
        .await
        .expect("generate runs");
    conn.execute_unprepared(RECOUNT)
        .await
        .expect("recount stats");
    println!(
        "{label}: generated {runs} runs in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared("ANALYZE ingestion_runs")
            .await
            .expect("analyze");
    }
    let mut times = Vec::new();
    for _ in 0..testenv::bench::size("BENCH_SUMMARIES", 20, 1) {
        let start = Instant::now();
        let summary = store.metrics_summary().await.expect("summary");
        times.push(start.elapsed());
        assert_eq!(summary.status_counts.values().sum::<i64>() as u64, runs + 1);
    }
    times.sort();
    let start = Instant::now();
    conn.execute_unprepared("SELECT status, COUNT(*), AVG(retry_count), MAX(retry_count) FROM ingestion_runs GROUP BY status")
        .await
        .expect("scan");
    println!(
        "{label}: metrics_summary at {runs} runs: median {:.2} ms, max {:.2} ms (a full GROUP BY scan instead: {:.0} ms)",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        ms(start.elapsed())
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `runs` runs: a status mix with retries, durations in metrics, failures with completion times.
fn generate_sql(backend: DbBackend, runs: u64) -> String {
    let (series, now, json) = match backend {
        DbBackend::Postgres => (
            format!("SELECT g AS n FROM generate_series(1, {runs}) AS g"),
            "now()",
            "jsonb_build_object('files_parsed', 1, 'stanzas_created', 2, 'duration_seconds', (n % 10) * 0.5, 'parse_errors', 0, 'retry_count', n % 4, 'error_type', CASE WHEN n % 7 = 0 THEN 'permanent' END)",
        ),
        _ => (
            format!(
                "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {runs}) SELECT n FROM s"
            ),
            "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')",
            "json_object('files_parsed', 1, 'stanzas_created', 2, 'duration_seconds', (n % 10) * 0.5, 'parse_errors', 0, 'retry_count', n % 4, 'error_type', CASE WHEN n % 7 = 0 THEN 'permanent' END)",
        ),
    };
    format!(
        "INSERT INTO ingestion_runs (filename, object_key, size_bytes, sha256, source, status, attempt, retry_count, \
         error_message, completed_at, metrics, created_at, updated_at) \
         SELECT 'bench.spl', 'uploads/bench', 1000, 'ab', 'api', \
         CASE WHEN n % 7 = 0 THEN 'failed' WHEN n % 13 = 0 THEN 'retrying' WHEN n % 101 = 0 THEN 'stored' ELSE 'complete' END, \
         1, n % 4, CASE WHEN n % 7 = 0 THEN 'boom' END, {now}, {json}, {now}, {now} FROM ({series}) AS series"
    )
}

/// Recomputes the stats row after the bulk insert (the store keeps it incrementally otherwise).
const RECOUNT: &str = "UPDATE run_stats SET \
    stored = (SELECT COUNT(*) FROM ingestion_runs WHERE status = 'stored'), \
    parsing = (SELECT COUNT(*) FROM ingestion_runs WHERE status = 'parsing'), \
    retrying = (SELECT COUNT(*) FROM ingestion_runs WHERE status = 'retrying'), \
    complete = (SELECT COUNT(*) FROM ingestion_runs WHERE status = 'complete'), \
    failed = (SELECT COUNT(*) FROM ingestion_runs WHERE status = 'failed'), \
    retries_sum = (SELECT COALESCE(SUM(retry_count), 0) FROM ingestion_runs), \
    retries_max = (SELECT COALESCE(MAX(retry_count), 0) FROM ingestion_runs) \
    WHERE id = 1";
