//! Issue 14, riding out outages with circuit breakers: a database stopped (and storage made
//! unreachable) for longer than the whole retry schedule, a worker that keeps serving a queue
//! that does not need the database, and the recovery requeue across three workers. Each checks
//! that nothing was lost or dead-lettered and that the retries spent stay under the bound the
//! breakers promise: `workers × (threshold − 1)`, not `runs × max_retries`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use broker::QueueName;
use broker::keys::QueueKeys;

use crate::common::{
    Expected, Fleet, Report, Size, envelope, exclusive, submit_archives, tally, wait_settled,
};
use crate::services::PrivatePostgres;
use crate::support::{Env, Proc};
use crate::uploads::Api;

/// The breaker threshold of these scenarios (the default).
const THRESHOLD: usize = 5;
const WORKERS: usize = 3;

/// A retry schedule in milliseconds: an outage of seconds outlasts it many times over.
fn short_schedule(env: &mut Env) {
    env.set("CONFQ_RETRY_BACKOFF", "0.02,0.05,0.1")
        .set("CONFQ_MAX_RETRIES", "3")
        .set("CONFQ_BREAKER_THRESHOLD", &THRESHOLD.to_string());
}

/// Waits until `count` runs of `runs` are complete.
fn wait_complete(env: &Env, runs: &Expected, count: usize) {
    let reached = testenv::wait::within_blocking(Duration::from_secs(60), || {
        let rows = env.db().runs();
        runs.keys()
            .filter(|id| rows.get(id).is_some_and(|r| r.status == "complete"))
            .count()
            >= count
    });
    assert!(reached.is_some(), "runs did not start completing");
}

/// A broker counter of `queue`.
fn counter(env: &Env, queue: &str, name: &str) -> i64 {
    let key = QueueKeys::new(&env.prefix, &QueueName::parse(queue).expect("queue")).stats;
    let output = std::process::Command::new("redis-cli")
        .args(["-u", &env.redis_url, "--raw", "HGET", &key, name])
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// Seconds from now until the broker acknowledges one more task of `ingest` than `before`.
fn resumed_after(env: &Env, before: i64) -> f64 {
    let back = Instant::now();
    let resumed = testenv::wait::within_blocking(Duration::from_secs(30), || {
        counter(env, "ingest", "processed") > before
    });
    assert!(resumed.is_some(), "work did not resume after the outage");
    back.elapsed().as_secs_f64()
}

/// The HTTP status and body of a GET of `url`.
fn http_status(url: &str) -> (u16, String) {
    let output = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "30", "-w", "\n%{http_code}", url])
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

/// How many lines of `log` contain `needle`.
pub fn lines_with(log: &Path, needle: &str) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|line| line.contains(needle))
        .count()
}

/// Each worker's breaker of `dependency` opened and closed exactly once.
fn opened_and_closed_once(fleet: &Fleet, dependency: &str, report: &mut Report) {
    // The work may be done by the other workers before a worker's next probe closes its breaker
    // (a probe still waiting on the restarting dependency, then the 1 s probe backoff): wait for
    // every close first, within a bound far past the schedule.
    let needle = format!("breaker closed: {dependency}");
    testenv::wait::within_blocking(Duration::from_secs(30), || {
        fleet
            .workers
            .iter()
            .all(|worker| lines_with(&worker.log, &needle) > 0)
    });
    for worker in &fleet.workers {
        let opened = lines_with(&worker.log, "breaker opened");
        let closed = lines_with(&worker.log, &needle);
        if opened != 1 || closed != 1 {
            report.problems.push(format!(
                "{}: the {dependency} breaker opened {opened} and closed {closed} times, want 1 and 1",
                worker.name
            ));
        }
    }
}

/// After the outage: everything completes, nothing is dead-lettered, and the broker retried at
/// most `WORKERS × (THRESHOLD − 1)` deliveries.
fn conclude(env: &Env, runs: &Expected, report: &mut Report, started: Instant) {
    if !wait_settled(env, runs, Duration::from_secs(180)) {
        report.problems.push("did not settle in time".into());
    }
    report.seconds = started.elapsed().as_secs_f64();
    tally(env, runs, report);
    let retried = counter(env, "ingest", "retried");
    let bound = (WORKERS * (THRESHOLD - 1)) as i64;
    println!(
        "{}: {} runs, {retried} retries spent (bound {bound}, without breakers up to {})",
        report.scenario,
        runs.len(),
        runs.len() * 3
    );
    if retried > bound {
        report.problems.push(format!(
            "{retried} retries spent, more than the bound {bound}"
        ));
    }
    if env.queue()["dead"] != 0 {
        report
            .problems
            .push(format!("dead letters: {:?}", env.dead()));
    }
    let failed = env
        .db()
        .runs()
        .values()
        .filter(|r| r.status == "failed")
        .count();
    if failed > 0 {
        report.problems.push(format!("{failed} runs failed"));
    }
}

fn long_database_outage(size: Size) {
    let _turn = exclusive();
    let mut env = Env::new("chaos-breaker-db");
    let postgres = PrivatePostgres::start(&env.dir.path().join("pg"));
    env.database_url = Some(postgres.url());
    short_schedule(&mut env);
    // A call fails after half a second without a connection, well inside the 2 s test lease.
    env.set("CONFQ_DATABASE_ACQUIRE_SECS", "0.5");
    env.migrate();
    let (archives, outage) =
        size.pick((50, Duration::from_secs(4)), (500, Duration::from_secs(60)));
    let runs = submit_archives(&env, archives, 60_000, 2, 30);
    let started = Instant::now();
    let _reaper = env.reaper();
    let fleet = Fleet::start(&mut env, WORKERS, 2, &[]);
    let mut api = Api::start(&mut env);
    let mut report = Report {
        scenario: format!("long-database-outage-{size:?}").to_lowercase(),
        tasks: archives,
        faults: 1,
        ..Report::default()
    };
    wait_complete(&env, &runs, archives / 10);
    postgres.stop_server();
    std::thread::sleep(outage);
    // While the database is down the API answers 503 (the body is generic by design, the log
    // line with the request id names the database), and it answers again by itself once the
    // database is back.
    let (code, body) = http_status(&format!("{}/v1/worker/metrics", api.base));
    if code != 503 || !body.contains("temporarily unavailable") {
        report.problems.push(format!(
            "the metrics during the outage answered {code}: {body}"
        ));
    }
    // `confq metrics` cannot read the database, but still shows the workers and their breakers.
    let output = env
        .command()
        .arg("metrics")
        .output()
        .expect("confq metrics");
    let table = String::from_utf8_lossy(&output.stdout).into_owned();
    let open = table.matches("database=open").count() + table.matches("database=half_open").count();
    if output.status.success() || open != WORKERS {
        report.problems.push(format!(
            "confq metrics during the outage ({}): {table}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let before = counter(&env, "ingest", "processed");
    assert!(postgres.start_server(), "PostgreSQL restarts");
    let resumed = resumed_after(&env, before);
    println!(
        "{}: work resumed {resumed:.2} s after the database answered",
        report.scenario
    );
    if resumed > 2.0 {
        report.problems.push(format!(
            "work resumed {resumed:.2} s after the database answered, want ≤ 2 s"
        ));
    }
    conclude(&env, &runs, &mut report, started);
    opened_and_closed_once(&fleet, "database", &mut report);
    // The registry shows a close on the worker's next announcement: look until it does.
    let metrics = || {
        let (code, body) = http_status(&format!("{}/v1/worker/metrics", api.base));
        let document: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let workers = document["workers"].as_array().cloned().unwrap_or_default();
        (code, body, workers)
    };
    let mut seen = metrics();
    testenv::wait::within_blocking(Duration::from_secs(30), || {
        seen = metrics();
        seen.2.len() == WORKERS && seen.2.iter().all(|w| w["breakers"]["database"] == "closed")
    });
    let (code, body, workers) = seen;
    if code != 200 || workers.len() != WORKERS {
        report.problems.push(format!(
            "the metrics after the outage answered {code}: {body}"
        ));
    }
    for worker in &workers {
        if worker["breakers"]["database"] != "closed" {
            report
                .problems
                .push(format!("a breaker is not closed: {worker}"));
        }
    }
    report.problems.extend(api.exited());
    report.finish();
}

#[test]
#[ignore = "needs initdb and pg_ctl (apt-get install postgresql); .ci/run runs it (-- --ignored)"]
fn long_database_outage_small_spends_no_retries_while_the_breaker_is_open() {
    long_database_outage(Size::Small);
}

#[test]
#[ignore = "full size: cargo test --test chaos -- --ignored"]
fn long_database_outage_full_spends_no_retries_while_the_breaker_is_open() {
    long_database_outage(Size::Full);
}

/// The file storage made unreachable: its directory replaced by a file, so every read fails
/// with "not a directory" (a transient error, as an unreachable S3 is) and nothing is lost.
/// Each switch is one atomic exchange of the two paths (`renameat2(RENAME_EXCHANGE)`): a
/// rename away and back in two steps left a moment with no path at all, in which a read failed
/// as "object not found", a permanent error no real outage gives.
pub struct StorageOutage {
    dir: PathBuf,
    blocker: PathBuf,
}

impl StorageOutage {
    pub fn new(env: &Env) -> Self {
        let dir = env.data_dir().join("uploads");
        let blocker = dir.with_extension("blocker");
        std::fs::write(&blocker, b"not a directory").expect("write the blocking file");
        Self { dir, blocker }
    }

    /// The file takes the directory's place.
    pub fn begin(&self) {
        self.exchange();
    }

    /// The directory is back.
    pub fn end(&self) {
        self.exchange();
    }

    fn exchange(&self) {
        use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};
        renameat2(
            AT_FDCWD,
            &self.dir,
            AT_FDCWD,
            &self.blocker,
            RenameFlags::RENAME_EXCHANGE,
        )
        .expect("exchange the storage directory and the blocking file");
    }
}

fn long_storage_outage(size: Size) {
    let _turn = exclusive();
    let mut env = Env::new("chaos-breaker-storage");
    short_schedule(&mut env);
    env.migrate();
    let (archives, outage) =
        size.pick((50, Duration::from_secs(4)), (500, Duration::from_secs(60)));
    let runs = submit_archives(&env, archives, 61_000, 2, 30);
    let started = Instant::now();
    let _reaper = env.reaper();
    let fleet = Fleet::start(&mut env, WORKERS, 2, &[]);
    let mut report = Report {
        scenario: format!("long-storage-outage-{size:?}").to_lowercase(),
        tasks: archives,
        faults: 1,
        ..Report::default()
    };
    let storage = StorageOutage::new(&env);
    wait_complete(&env, &runs, archives / 10);
    storage.begin();
    std::thread::sleep(outage);
    let before = counter(&env, "ingest", "processed");
    storage.end();
    let resumed = resumed_after(&env, before);
    println!(
        "{}: work resumed {resumed:.2} s after the storage answered",
        report.scenario
    );
    if resumed > 2.0 {
        report.problems.push(format!(
            "work resumed {resumed:.2} s after the storage answered, want ≤ 2 s"
        ));
    }
    conclude(&env, &runs, &mut report, started);
    opened_and_closed_once(&fleet, "storage", &mut report);
    report.finish();
}

#[test]
fn long_storage_outage_small_spends_no_retries_while_the_breaker_is_open() {
    long_storage_outage(Size::Small);
}

#[test]
#[ignore = "full size: cargo test --test chaos -- --ignored"]
fn long_storage_outage_full_spends_no_retries_while_the_breaker_is_open() {
    long_storage_outage(Size::Full);
}

/// Pushes `count` `confq.noop` envelopes onto queue `queue`.
fn push_noops(env: &Env, queue: &str, count: usize) {
    let keys = QueueKeys::new(&env.prefix, &QueueName::parse(queue).expect("queue"));
    let mut command = std::process::Command::new("redis-cli");
    command.args(["-u", &env.redis_url, "LPUSH", &keys.pending]);
    for _ in 0..count {
        command.arg(String::from_utf8(envelope("confq.noop", "{}")).expect("UTF-8"));
    }
    let output = command.output().expect("redis-cli");
    assert!(output.status.success(), "LPUSH: {output:?}");
}

#[test]
fn a_worker_keeps_serving_a_queue_that_does_not_need_the_open_dependency() {
    let _turn = exclusive();
    let mut env = Env::new("chaos-breaker-side");
    short_schedule(&mut env);
    env.migrate();
    let _reaper = env.reaper();
    // The worker opens the storage when it starts: it starts first and is paused while the
    // archives are submitted and the storage goes away.
    let worker: Proc = env.worker(2, &["--queue", "ingest", "--queue", "side"]);
    let started = testenv::wait::within_blocking(Duration::from_secs(30), || {
        lines_with(&worker.log, "worker started") > 0
    });
    assert!(started.is_some(), "{}", worker.log_text());
    worker.signal("STOP");
    let runs = submit_archives(&env, 20, 62_000, 2, 30);
    let storage = StorageOutage::new(&env);
    storage.begin();
    worker.signal("CONT");
    let opened = testenv::wait::within_blocking(Duration::from_secs(60), || {
        lines_with(&worker.log, "breaker opened") > 0
    });
    assert!(
        opened.is_some(),
        "the storage breaker never opened:\n{}",
        worker.log_text()
    );
    push_noops(&env, "side", 30);
    let served = testenv::wait::within_blocking(Duration::from_secs(60), || {
        counter(&env, "side", "processed") >= 30
    });
    assert!(
        served.is_some(),
        "the side queue was not served while the breaker was open"
    );
    let waiting = env.queue()["pending"].as_u64().unwrap_or(0);
    assert!(
        waiting > 0,
        "the ingestions should still wait for the storage"
    );
    assert_eq!(lines_with(&worker.log, "breaker closed"), 0, "still open");
    storage.end();
    let mut report = Report {
        scenario: "breaker-side-queue".into(),
        tasks: runs.len() + 30,
        faults: 1,
        ..Report::default()
    };
    let started = Instant::now();
    if !wait_settled(&env, &runs, Duration::from_secs(120)) {
        report.problems.push("did not settle in time".into());
    }
    report.seconds = started.elapsed().as_secs_f64();
    tally(&env, &runs, &mut report);
    report.finish();
}
