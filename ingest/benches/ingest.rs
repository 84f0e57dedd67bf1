//! End-to-end ingestion benchmark (plain main, not a test): archives are generated on disk first,
//! then uploaded, enqueued and ingested by ONE in-process worker (default settings) on SQLite or
//! PostgreSQL. Prints one summary line per case; `docs/benchmarks.md` ("Worker") has the figures.
//!
//! `cargo bench -p worker --bench ingest --no-run`, then run the printed binary with:
//! - `BENCH_CASE=set` (default): `BENCH_APPS` (50) archives of one app each, `BENCH_STANZAS`
//!   (400) stanzas per app; runs/s, settings/s.
//! - `BENCH_CASE=big`: one app of ~3 MB of conf plus `BENCH_PAYLOAD_MIB` (1024) of lookup CSV and
//!   binary payload; MB/s and peak RSS.
//! - `BENCH_CASE=conf`: one archive holding `BENCH_CONF_MB` (100) MB of conf text; peak RSS.
//!
//! `BENCH_DB=sqlite|postgres` (PostgreSQL: `CONFQ_TEST_POSTGRES_URL` or the local `test`
//! database's server; a scratch `confq_bench_<random>` database is created and dropped). Redis:
//! `CONFQ_REDIS_URL` (default local), under a random key prefix deleted afterwards. Peak RSS is
//! `VmHWM`, reset (`/proc/self/clear_refs`) after generation and upload so it covers ingestion.
//!
//! `CONFQ_BENCH_QUICK=1` (CI) runs the three cases one after the other, small: 2 apps of 40
//! stanzas, 2 MiB of payload, 3 MB of conf.

#[path = "ingest/bed.rs"]
mod bed;
#[path = "ingest/conf.rs"]
mod conf;
#[path = "ingest/memory.rs"]
mod memory;
#[path = "ingest/tgz.rs"]
mod tgz;

use std::path::{Path, PathBuf};

use bed::{Bed, Db};
use conf::Rng;
use tgz::{Kind, Noise, Tgz};

/// Any failure: the bench stops and prints it.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

const MB: f64 = 1e6;

/// What went into the generated archives.
#[derive(Default)]
struct Generated {
    archives: Vec<PathBuf>,
    /// Bytes of `.conf`/`.meta` text.
    conf_bytes: u64,
    /// Uncompressed member bytes, conf and payload.
    member_bytes: u64,
    /// Compressed bytes on disk.
    gz_bytes: u64,
    /// Stanzas as the parser counts them (global pseudo-stanzas included).
    stanzas: u64,
    /// Key/value pairs as the parser counts them.
    settings: u64,
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let cases = testenv::bench::text("BENCH_CASE", "set", "set,big,conf");
    for case in cases.split(',') {
        let db = match std::env::var("BENCH_DB").as_deref() {
            Ok("postgres") => Db::Postgres,
            _ => Db::Sqlite,
        };
        one_case(case.trim(), db).await?;
    }
    Ok(())
}

/// Generates, uploads and ingests one case's archives; prints its summary line.
async fn one_case(case: &str, db: Db) -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    let generated = match case {
        "set" => generate_set(dir.path()).await?,
        "big" => generate_big(dir.path()).await?,
        "conf" | "conf100" => generate_conf(dir.path()).await?,
        other => return Err(format!("unknown BENCH_CASE {other}: set, big or conf").into()),
    };
    let mut bed = Bed::new(db).await?;
    for archive in &generated.archives {
        bed.submit(archive).await?;
        tokio::fs::remove_file(archive).await?;
    }
    let hwm_before = memory::peak_mib();
    let reset = memory::reset_peak();
    let rss_start = memory::rss_mib();
    let (elapsed, stats, runs) = bed.ingest().await?;
    let hwm_ingest = memory::peak_mib();
    bed.close().await?;

    let secs = elapsed.as_secs_f64();
    let complete = runs
        .iter()
        .filter(|run| run.status == entity::store::RunStatus::Complete)
        .count();
    let stored: i64 = runs
        .iter()
        .filter_map(|run| run.metrics.as_ref())
        .map(|metrics| metrics.stanzas_created)
        .sum();
    let g = &generated;
    println!(
        "case={case} db={db:?} archives={} complete={complete} conf_mb={:.1} tar_mb={:.1} gz_mb={:.1} \
         stanzas={} stanzas_stored={stored} settings={} secs={:.2} runs_per_s={:.2} \
         settings_per_s={:.0} stanzas_per_s={:.0} tar_mb_per_s={:.1} gz_mb_per_s={:.1} \
         hwm_before_mib={hwm_before:.1} rss_start_mib={rss_start:.1} hwm_ingest_mib={hwm_ingest:.1} \
         hwm_reset={reset} mib_per_conf_mb={:.2} retried={} failed={}",
        g.archives.len(),
        g.conf_bytes as f64 / MB,
        g.member_bytes as f64 / MB,
        g.gz_bytes as f64 / MB,
        g.stanzas,
        g.settings,
        secs,
        runs.len() as f64 / secs,
        g.settings as f64 / secs,
        g.stanzas as f64 / secs,
        g.member_bytes as f64 / MB / secs,
        g.gz_bytes as f64 / MB / secs,
        (hwm_ingest - rss_start) / (g.conf_bytes as f64 / MB),
        stats.retried,
        stats.failed,
    );
    if complete != runs.len() || stored != i64::try_from(g.stanzas)? {
        return Err("not every run completed with every stanza".into());
    }
    Ok(())
}

/// `BENCH_APPS` archives, one app of `BENCH_STANZAS` stanzas and a small lookup each.
async fn generate_set(dir: &Path) -> Result<Generated, Failure> {
    let apps: usize = testenv::bench::size("BENCH_APPS", 50, 2);
    let scale = testenv::bench::size("BENCH_STANZAS", 400.0, 40.0) / 400.0;
    let mut generated = Generated::default();
    for a in 0..apps {
        let path = dir.join(format!("TA-bench-{a:02}.tgz"));
        let mut tgz = Tgz::create(&path).await?;
        let mut rng = Rng::new(a as u64);
        add_app(
            &mut tgz,
            &format!("TA-bench-{a:02}"),
            scale,
            &mut rng,
            &mut generated,
        )
        .await?;
        let lookup = format!("TA-bench-{a:02}/lookups/geo.csv");
        tgz.add_stream(&lookup, 64 << 10, Noise::new(Kind::Csv, 64 << 10, a as u64))
            .await?;
        finish(tgz, path, &mut generated).await?;
    }
    Ok(generated)
}

/// One app of ~4,000 stanzas plus `BENCH_PAYLOAD_MIB` of payload: half CSV, half binary.
async fn generate_big(dir: &Path) -> Result<Generated, Failure> {
    let payload: u64 = testenv::bench::size("BENCH_PAYLOAD_MIB", 1024u64, 2) << 20;
    let path = dir.join("TA-big.tgz");
    let mut generated = Generated::default();
    let mut tgz = Tgz::create(&path).await?;
    add_app(&mut tgz, "TA-big", 10.0, &mut Rng::new(7), &mut generated).await?;
    let csv = payload / 2;
    tgz.add_stream(
        "TA-big/lookups/assets.csv",
        csv,
        Noise::new(Kind::Csv, csv, 1),
    )
    .await?;
    let bin = payload - csv;
    tgz.add_stream(
        "TA-big/bin/collector",
        bin,
        Noise::new(Kind::Binary, bin, 2),
    )
    .await?;
    finish(tgz, path, &mut generated).await?;
    Ok(generated)
}

/// One archive of apps (~2.5 MB of conf each) until `BENCH_CONF_MB` MB of conf text.
async fn generate_conf(dir: &Path) -> Result<Generated, Failure> {
    let target = testenv::bench::size("BENCH_CONF_MB", 100.0, 3.0) * MB;
    let path = dir.join("TA-conf.tgz");
    let mut generated = Generated::default();
    let mut tgz = Tgz::create(&path).await?;
    let mut a = 0u64;
    while (generated.conf_bytes as f64) < target {
        let app = format!("TA-conf-{a:03}");
        add_app(&mut tgz, &app, 10.0, &mut Rng::new(a), &mut generated).await?;
        a += 1;
    }
    finish(tgz, path, &mut generated).await?;
    Ok(generated)
}

/// Adds one generated app, counting its stanzas and settings with the real parser.
async fn add_app(
    tgz: &mut Tgz,
    app: &str,
    scale: f64,
    rng: &mut Rng,
    generated: &mut Generated,
) -> Result<(), Failure> {
    for file in conf::app(app, scale, rng) {
        let parsed = splunk::conf::parse(file.text.as_bytes())?;
        let stanzas = parsed.global.iter().chain(&parsed.stanzas);
        for stanza in stanzas {
            generated.stanzas += 1;
            generated.settings += stanza.settings.len() as u64;
        }
        generated.conf_bytes += file.text.len() as u64;
        tgz.add(&file.path, file.text.as_bytes()).await?;
    }
    Ok(())
}

async fn finish(tgz: Tgz, path: PathBuf, generated: &mut Generated) -> Result<(), Failure> {
    generated.member_bytes += tgz.member_bytes;
    tgz.finish().await?;
    generated.gz_bytes += tokio::fs::metadata(&path).await?.len();
    generated.archives.push(path);
    Ok(())
}
