//! Ingestion at scale (plain main, not a test): N generated app archives (a seeded number of
//! stanzas each, between `BENCH_MIN_STANZAS` and `BENCH_MAX_STANZAS`) uploaded through the HTTP
//! API (`POST /v1/uploads`, raw body, `BENCH_UPLOADERS` at once) of one `confq api` process into
//! `BENCH_WORKERS` `confq worker` processes (default settings; one `confq reaper` beside them), on PostgreSQL and on SQLite.
//! Prints runs/s and settings/s to the last completion and to the last run searchable, the
//! upload→complete p50/p99 (upload: the moment the POST was sent; complete: the run's
//! `completed_at`), and where the workers' time went (the runs' `read_seconds`,
//! `parse_seconds`, `write_seconds` summed).
//!
//! `cargo bench -p confq --bench ingest_scale`. `BENCH_ARCHIVES` (1,000), `BENCH_MIN_STANZAS`
//! (2,000), `BENCH_MAX_STANZAS` (15,000), `BENCH_WORKERS` (3), `BENCH_UPLOADERS` (4),
//! `BENCH_DB` (`postgres,sqlite`; PostgreSQL through `CONFQ_TEST_POSTGRES_URL`, a scratch
//! database dropped afterwards). Redis: `CONFQ_REDIS_URL`, a random key prefix deleted
//! afterwards. `CONFQ_BENCH_QUICK=1` (CI): 6 archives of 200–600 stanzas.

mod common;
#[path = "../ingest/benches/ingest/conf.rs"]
#[allow(
    dead_code,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
mod conf;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::fleet::Fleet;
use common::{Deployment, Failure, percentile};
use entity::ingestion_run;
use sea_orm::{
    ColumnTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};

/// One generated archive.
struct Archive {
    name: String,
    tgz: Vec<u8>,
}

/// What the generator made: the archives and their settings, counted by the real parser.
struct Corpus {
    archives: Vec<Archive>,
    stanzas: usize,
    settings: usize,
    conf_bytes: usize,
}

/// `n` archives, one app each, of `min..=max` stanzas (seeded: the same every run).
fn generate(n: usize, min: u64, max: u64) -> Result<Corpus, Failure> {
    let mut corpus = Corpus {
        archives: Vec::with_capacity(n),
        stanzas: 0,
        settings: 0,
        conf_bytes: 0,
    };
    for i in 0..n {
        let mut rng = conf::Rng::new(u64::try_from(i)?);
        let stanzas = min + rng.below(max.saturating_sub(min) + 1);
        let app = format!("bench_app_{i:04}");
        #[allow(clippy::cast_precision_loss)]
        let files = conf::app(&app, stanzas as f64 / 400.0, &mut rng);
        let mut tar = testenv::archive::Tar::new();
        for file in &files {
            let parsed = splunk::conf::parse(file.text.as_bytes())?;
            corpus.stanzas += parsed.stanzas.len() + usize::from(parsed.global.is_some());
            corpus.settings += parsed
                .global
                .iter()
                .chain(&parsed.stanzas)
                .map(|stanza| stanza.settings.len())
                .sum::<usize>();
            corpus.conf_bytes += file.text.len();
            tar.file(&file.path, &file.text);
        }
        corpus.archives.push(Archive {
            name: format!("{app}.tgz"),
            tgz: testenv::archive::gzip(&tar.finish()),
        });
    }
    Ok(corpus)
}

/// Uploads every archive with `uploaders` requests at once, sending one again after a 503 (a
/// busy database); the run id and first send moment of each.
async fn upload(
    http: &reqwest::Client,
    base: &str,
    archives: Arc<Vec<Archive>>,
    uploaders: usize,
) -> Result<Vec<(i64, DateTime<Utc>)>, Failure> {
    let next = Arc::new(AtomicUsize::new(0));
    let busy = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..uploaders {
        let (http, base, archives, next, busy) = (
            http.clone(),
            base.to_owned(),
            archives.clone(),
            next.clone(),
            busy.clone(),
        );
        tasks.spawn(async move {
            let mut sent = Vec::new();
            loop {
                let Some(archive) = archives.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    return Ok::<_, Failure>(sent);
                };
                let at = Utc::now();
                let mut response;
                loop {
                    response = http
                        .post(format!("{base}/v1/uploads?filename={}", archive.name))
                        .body(archive.tgz.clone())
                        .send()
                        .await?;
                    // 503: the database is busy (SQLite's one writer); a client tries again.
                    if response.status() != reqwest::StatusCode::SERVICE_UNAVAILABLE {
                        break;
                    }
                    busy.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let status = response.status();
                let body: serde_json::Value = serde_json::from_slice(&response.bytes().await?)?;
                let run = body["run_id"]
                    .as_i64()
                    .ok_or_else(|| format!("upload answered {status}: {body}"))?;
                sent.push((run, at));
            }
        });
    }
    let mut sent = Vec::new();
    while let Some(done) = tasks.join_next().await {
        sent.extend(done??);
    }
    let busy = busy.load(Ordering::Relaxed);
    if busy > 0 {
        println!("  {busy} uploads answered 503 (database busy) and were sent again after 100 ms");
    }
    Ok(sent)
}

/// Waits until no run is left without `settings_indexed_at` (every run complete and searchable);
/// fails on a failed run or a process that exited.
async fn wait_searchable(db: &DatabaseConnection, fleet: &mut Fleet) -> Result<(), Failure> {
    loop {
        fleet.check()?;
        let failed = ingestion_run::Entity::find()
            .filter(ingestion_run::Column::Status.eq("failed"))
            .count(db)
            .await?;
        if failed > 0 {
            return Err(format!("{failed} runs failed").into());
        }
        let left = ingestion_run::Entity::find()
            .filter(ingestion_run::Column::SettingsIndexedAt.is_null())
            .count(db)
            .await?;
        if left == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The figures of one database, from its runs' rows.
fn report(
    label: &str,
    corpus: &Corpus,
    sent: &[(i64, DateTime<Utc>)],
    runs: &[ingestion_run::Model],
) -> Result<(), Failure> {
    let first = sent.iter().map(|(_, at)| *at).min().ok_or("no uploads")?;
    let seconds = |at: DateTime<Utc>| (at - first).num_microseconds().unwrap_or(0) as f64 / 1e6;
    let completed = runs
        .iter()
        .filter_map(|run| run.completed_at)
        .max()
        .ok_or("no runs")?;
    let searchable = runs
        .iter()
        .filter_map(|run| run.settings_indexed_at)
        .max()
        .ok_or("no runs")?;
    let mut latency: Vec<f64> = sent
        .iter()
        .filter_map(|(id, at)| {
            let run = runs.iter().find(|run| run.id == *id)?;
            Some((run.completed_at? - *at).num_microseconds()? as f64 / 1e6)
        })
        .collect();
    latency.sort_by(f64::total_cmp);
    let mut phases = [0.0f64; 4];
    for run in runs {
        let metrics: entity::store::RunMetrics =
            serde_json::from_value(run.metrics.clone().ok_or("a run without metrics")?)?;
        phases[0] += metrics.read_seconds.unwrap_or_default();
        phases[1] += metrics.parse_seconds.unwrap_or_default();
        phases[2] += metrics.write_seconds.unwrap_or_default();
        phases[3] += metrics.duration_seconds;
    }
    let (n, settings) = (runs.len() as f64, corpus.settings as f64);
    let (done, ready) = (seconds(completed), seconds(searchable));
    println!(
        "  {label}: {:.2} runs/s, {:.0} settings/s to the last completion ({done:.1} s); \
         {:.2} runs/s, {:.0} settings/s to the last run searchable ({ready:.1} s)",
        n / done,
        settings / done,
        n / ready,
        settings / ready
    );
    println!(
        "  {label}: upload→complete p50 {:.2} s, p99 {:.2} s, max {:.2} s",
        percentile(&latency, 50.0),
        percentile(&latency, 99.0),
        latency.last().copied().unwrap_or_default()
    );
    let share = |part: f64| 100.0 * part / phases[3].max(f64::MIN_POSITIVE);
    println!(
        "  {label}: of {:.1} worker-seconds in runs: read {:.1} s ({:.0} %), parse {:.1} s ({:.0} %), \
         write {:.1} s ({:.0} %), the rest (claim, begin, complete) {:.0} %; indexing follows",
        phases[3],
        phases[0],
        share(phases[0]),
        phases[1],
        share(phases[1]),
        phases[2],
        share(phases[2]),
        100.0 - share(phases[0] + phases[1] + phases[2])
    );
    Ok(())
}

/// One database: fresh processes, the uploads, the wait, the figures.
async fn one_database(
    label: &str,
    database_url: &str,
    corpus: &Corpus,
    archives: Arc<Vec<Archive>>,
) -> Result<(), Failure> {
    let deployment = Deployment::new("ingest-scale")?;
    let http = reqwest::Client::new();
    let workers = testenv::bench::size("BENCH_WORKERS", 3, 3);
    let mut fleet = Fleet::start(&deployment, database_url, workers, &http).await?;
    let began = Instant::now();
    let uploaders = testenv::bench::size("BENCH_UPLOADERS", 4, 2);
    let sent = upload(&http, &fleet.base, archives, uploaders).await;
    let uploaded = began.elapsed().as_secs_f64();
    let db = Database::connect(database_url).await?;
    let outcome = match sent {
        Ok(sent) => wait_searchable(&db, &mut fleet).await.map(|()| sent),
        Err(error) => Err(error),
    };
    fleet.stop()?;
    deployment.delete_keys()?;
    let sent = outcome?;
    #[allow(clippy::cast_precision_loss)]
    let rate = sent.len() as f64 / uploaded;
    println!(
        "  {label}: {} uploads in {uploaded:.1} s ({rate:.1}/s)",
        sent.len()
    );
    let runs = ingestion_run::Entity::find().all(&db).await?;
    report(label, corpus, &sent, &runs)
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    // reqwest comes with rustls but no crypto provider (entity's features): plain HTTP needs one too.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let n: usize = testenv::bench::size("BENCH_ARCHIVES", 1_000, 6);
    let min: u64 = testenv::bench::size("BENCH_MIN_STANZAS", 2_000, 200);
    let max: u64 = testenv::bench::size("BENCH_MAX_STANZAS", 15_000, 600);
    let databases = testenv::bench::text("BENCH_DB", "postgres,sqlite", "postgres,sqlite");
    let began = Instant::now();
    let mut corpus = tokio::task::spawn_blocking(move || generate(n, min, max)).await??;
    let gzipped: usize = corpus
        .archives
        .iter()
        .map(|archive| archive.tgz.len())
        .sum();
    println!(
        "ingestion at scale: {n} archives, {} stanzas, {} settings, {:.1} MB of conf ({:.1} MB \
         gzipped), generated in {:.1} s",
        corpus.stanzas,
        corpus.settings,
        corpus.conf_bytes as f64 / 1e6,
        gzipped as f64 / 1e6,
        began.elapsed().as_secs_f64()
    );
    let archives = Arc::new(std::mem::take(&mut corpus.archives));
    for database in databases.split(',').map(str::trim) {
        match database {
            "postgres" => {
                let Some(postgres) = testenv::db::Postgres::optional().await else {
                    continue;
                };
                one_database("PostgreSQL", postgres.url(), &corpus, archives.clone()).await?;
            }
            "sqlite" => {
                let dir = tempfile::tempdir()?;
                let url = testenv::db::sqlite_url(dir.path());
                one_database("SQLite", &url, &corpus, archives.clone()).await?;
            }
            other => return Err(format!("BENCH_DB: unknown database {other:?}").into()),
        }
    }
    Ok(())
}
