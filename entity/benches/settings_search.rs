//! `GET /v1/settings` figures for docs/benchmarks.md: p50/p99 of representative searches over
//! 1,000,000 settings (20 runs of 50,000), on SQLite and on PostgreSQL, with the query plans.
//!
//! `cargo bench -p entity --bench settings_search --no-run`, then run the printed binary.
//! PostgreSQL is measured when `CONFQ_TEST_POSTGRES_URL` is set (a scratch database is created and
//! dropped). `BENCH_SETTINGS_RUNS` (20) runs of 50,000 settings; `CONFQ_BENCH_QUICK=1` (CI): one
//! run and 5 timings per query (100 otherwise).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use entity::Store;
use entity::store::{
    KeyPattern, NewConfFile, NewRun, NewStanza, Page, RunId, RunMetrics, RunSource, SettingFilter,
};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

const FILES: usize = 50;
const STANZAS: usize = 100;
/// Keys per stanza: FILES × STANZAS × KEYS = 50,000 settings per run.
const KEYS: usize = 10;

#[tokio::main]
async fn main() {
    let quick = std::env::var("CONFQ_BENCH_QUICK").is_ok();
    let runs: usize = if quick {
        1
    } else {
        std::env::var("BENCH_SETTINGS_RUNS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(20)
    };
    let timings = if quick { 5 } else { 100 };
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = Store::connect(&format!("sqlite://{}/bench.db", dir.path().display()))
        .await
        .expect("sqlite");
    bench("sqlite", &sqlite, runs, timings).await;
    if let Ok(admin) = std::env::var("CONFQ_TEST_POSTGRES_URL") {
        let name = format!("confq_bench_{}", uuid::Uuid::new_v4().simple());
        let conn = Database::connect(admin.as_str()).await.expect("admin");
        conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create db");
        let mut url = url::Url::parse(&admin).expect("url");
        url.set_path(&format!("/{name}"));
        let pg = Store::connect(url.as_str()).await.expect("postgres");
        bench("postgres", &pg, runs, timings).await;
        pg.connection().clone().close().await.ok();
        conn.execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await
            .expect("drop db");
    }
}

/// A Splunk-like key for key slot `k` of stanza `s`: fixed keys, and class keys whose field names
/// vary by stanza, so `EVAL-*` spans thousands of distinct keys.
fn key(s: usize, k: usize) -> String {
    match k {
        0 => "TRUNCATE".into(),
        1 => "SHOULD_LINEMERGE".into(),
        2 => "TIME_FORMAT".into(),
        3 => format!("EVAL-field_{}", s % 700),
        4 => format!("EVAL-status_{}", s % 300),
        5 => format!("REPORT-extract_{}", s % 400),
        6 => format!("EXTRACT-user_{}", s % 500),
        7 => format!("FIELDALIAS-src_{}", s % 200),
        8 => format!("TRANSFORMS-route_{}", s % 100),
        _ => format!("LOOKUP-asset_{}", s % 250),
    }
}

/// Values with some variety: a host name unique to each stanza (a rare substring), words that are
/// common (`server_error`), numbers and regexes.
fn value(run: usize, f: usize, s: usize, k: usize) -> String {
    let host = format!("host-{run:02}-{f:02}-{s:03}.example.net");
    match k {
        0 => format!("{}", 10_000 + (s % 7) * 1000),
        1 => "false".into(),
        2 => "%Y-%m-%dT%H:%M:%S.%3N%z".into(),
        3 => format!("if(status>=500,\"server_error\",\"ok_{s}\")"),
        4 => format!("case(code=={s},\"Known\",true(),\"other\")"),
        5 => format!("(?<user_{k}>\\w+)@{host}"),
        _ => format!("{host} field_{f}_{s}_{k} id={}", token(run, f, s, k)),
    }
}

/// A pseudo-random 8-hex-digit token unique to one setting (the kind of thing a regex, a hash or
/// a GUID in a real value is): a rare substring whose trigrams are rare too.
fn token(run: usize, f: usize, s: usize, k: usize) -> String {
    let n = ((run * FILES + f) * STANZAS + s) * KEYS + k;
    format!(
        "{:08x}",
        (n as u32).wrapping_mul(2_654_435_761).rotate_left(13)
    )
}

fn files(run: usize) -> Vec<NewConfFile> {
    (0..FILES)
        .map(|f| NewConfFile {
            path: format!("Splunk_TA_{f}/default/props.conf"),
            app: Some(format!("Splunk_TA_{f}")),
            layer: "default".into(),
            conf_type: if f % 5 == 0 { "transforms" } else { "props" }.into(),
            size_bytes: 40_000,
            sha256: "ab".repeat(32),
            parse_error: None,
            warnings: vec![],
            stanzas: (0..STANZAS)
                .map(|s| NewStanza {
                    name: format!("vendor:product:{s}"),
                    global: false,
                    line: (s * 12 + 1) as i64,
                    settings: (0..KEYS)
                        .map(|k| (key(f * STANZAS + s, k), value(run, f, s, k)))
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

async fn load(label: &str, store: &Store, runs: usize) -> Vec<RunId> {
    let started = Instant::now();
    let mut ids = Vec::new();
    let mut index_times = Vec::with_capacity(runs);
    for run in 0..runs {
        let created = store
            .create_run(NewRun {
                filename: format!("bench-{run}.spl"),
                object_key: format!("uploads/bench-{run}"),
                size_bytes: 1,
                sha256: "ab".repeat(32),
                source: RunSource::Api,
                task_id: None,
                queue: None,
            })
            .await
            .expect("run");
        let fence = store
            .begin_attempt(created.id, uuid::Uuid::now_v7(), 0)
            .await
            .expect("begin");
        store
            .write_results(created.id, fence, files(run))
            .await
            .expect("write");
        store
            .complete(created.id, fence, RunMetrics::default())
            .await
            .expect("complete");
        let indexing = Instant::now();
        store.index_settings(created.id).await.expect("index");
        index_times.push(indexing.elapsed());
        ids.push(created.id);
    }
    let settings = runs * FILES * STANZAS * KEYS;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{label}: loaded {settings} settings in {runs} runs in {secs:.1} s ({:.0} settings/s, stanzas, files and indexing included)",
        settings as f64 / secs
    );
    index_times.sort();
    let median = index_times[index_times.len() / 2];
    println!(
        "{label}: index_settings of one complete run ({} settings): median {:.1} ms = {:.0} settings/s",
        FILES * STANZAS * KEYS,
        median.as_secs_f64() * 1e3,
        (FILES * STANZAS * KEYS) as f64 / median.as_secs_f64()
    );
    ids
}

async fn bench(label: &str, store: &Store, runs: usize, timings: usize) {
    store.migrate().await.expect("migrate");
    let ids = load(label, store, runs).await;
    analyze(store).await;
    let last = *ids.last().expect("a run");
    let pattern = |k: &str| Some(KeyPattern::parse(k).expect("pattern"));
    let queries: Vec<(&str, SettingFilter)> = vec![
        (
            "key=TRUNCATE",
            SettingFilter {
                key: pattern("TRUNCATE"),
                ..Default::default()
            },
        ),
        (
            "key=EVAL-*",
            SettingFilter {
                key: pattern("EVAL-*"),
                ..Default::default()
            },
        ),
        (
            "key=EVAL-* value=server_error",
            SettingFilter {
                key: pattern("EVAL-*"),
                value: Some("server_error".into()),
                ..Default::default()
            },
        ),
        (
            "value=<8-hex token> (1 match)",
            SettingFilter {
                value: Some(token(7, 33, 42, 8).to_uppercase()),
                ..Default::default()
            },
        ),
        (
            "value=host-07-33-042 (5, common words)",
            SettingFilter {
                value: Some("HOST-07-33-042".into()),
                ..Default::default()
            },
        ),
        (
            "value=server_error (common)",
            SettingFilter {
                value: Some("server_error".into()),
                ..Default::default()
            },
        ),
        (
            "key=TRUNCATE run=last",
            SettingFilter {
                key: pattern("TRUNCATE"),
                run: Some(last),
                ..Default::default()
            },
        ),
        (
            "key=REPORT-* app=Splunk_TA_7 run=last",
            SettingFilter {
                key: pattern("REPORT-*"),
                app: Some("Splunk_TA_7".into()),
                run: Some(last),
                ..Default::default()
            },
        ),
        (
            "value=known run=last",
            SettingFilter {
                value: Some("known".into()),
                run: Some(last),
                ..Default::default()
            },
        ),
    ];
    // One untimed pass first: the tail measured is the steady state's, not the first touches of
    // freshly loaded pages (autovacuum and checkpoints after the load still land in it).
    for (_, filter) in &queries {
        let page = Page {
            limit: 50,
            after: None,
        };
        store.search_settings(filter, page).await.expect("warm-up");
    }
    for (name, filter) in &queries {
        let mut times = Vec::with_capacity(timings);
        let mut found = 0;
        for _ in 0..timings {
            let started = Instant::now();
            let page = store
                .search_settings(
                    filter,
                    Page {
                        limit: 50,
                        after: None,
                    },
                )
                .await
                .expect("search");
            times.push(started.elapsed());
            found = page.items.len();
        }
        times.sort();
        let pct = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
        println!(
            "{label}: {name:<40} p50 {:>7.2} ms  p99 {:>7.2} ms  ({found} items, page 1 of 50)",
            ms(pct(50)),
            ms(pct(99))
        );
    }
    if std::env::var("BENCH_EXPLAIN").is_ok() {
        for (name, filter) in &queries {
            println!("--- {label}: {name}");
            explain(store, filter).await;
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn analyze(store: &Store) {
    let db = store.connection();
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => "ANALYZE settings",
        _ => "ANALYZE",
    };
    db.execute_unprepared(sql).await.expect("analyze");
}

async fn explain(store: &Store, filter: &SettingFilter) {
    let db = store.connection();
    let backend = db.get_database_backend();
    let statement = entity::store::search_statement(backend, filter, None, 50);
    let prefix = match backend {
        DbBackend::Postgres => "EXPLAIN ",
        _ => "EXPLAIN QUERY PLAN ",
    };
    let explained = Statement::from_sql_and_values(
        backend,
        format!("{prefix}{}", statement.sql),
        statement.values.map(|v| v.0).unwrap_or_default(),
    );
    for row in db.query_all_raw(explained).await.expect("explain") {
        let line: String = match backend {
            DbBackend::Postgres => row.try_get_by_index(0).expect("plan"),
            _ => row.try_get_by_index(3).expect("detail"),
        };
        println!("  {line}");
    }
}
