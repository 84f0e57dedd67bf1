//! Issue 14, after the outage: the recovery requeue (runs that exhausted a retry schedule
//! shorter than the breaker's threshold come back exactly once across three workers and
//! complete) and a flapping storage (neither wedges nor spins a worker).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::breakers::{StorageOutage, lines_with};
use crate::common::{Expected, Fleet, Report, exclusive, submit_archives, tally, wait_settled};
use crate::support::{Env, Proc};

/// Waits until every worker of `fleet` logged `needle`.
fn all_logged(fleet: &Fleet, needle: &str) -> bool {
    testenv::wait::within_blocking(Duration::from_secs(60), || {
        fleet.workers.iter().all(|w| lines_with(&w.log, needle) > 0)
    })
    .is_some()
}

/// Starts the fleet, pauses it while `count` archives are submitted and the storage goes away,
/// then lets it run into the outage.
fn submit_during_outage(
    env: &mut Env,
    fleet: &Fleet,
    count: usize,
    seed: u64,
) -> (Expected, StorageOutage) {
    assert!(all_logged(fleet, "worker started"), "workers did not start");
    fleet.workers.iter().for_each(|w| w.signal("STOP"));
    let runs = submit_archives(env, count, seed, 2, 30);
    let storage = StorageOutage::new(env);
    storage.begin();
    fleet.workers.iter().for_each(|w| w.signal("CONT"));
    (runs, storage)
}

/// The sum of `requeued=N` over the lines of `log` that report a recovery requeue.
fn requeued(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|line| line.contains("re-enqueued work that exhausted"))
        .filter_map(|line| line.split("requeued=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<usize>().ok())
        .sum()
}

#[test]
fn runs_that_exhausted_their_retries_come_back_once_across_three_workers() {
    let _turn = exclusive();
    let mut env = Env::new("chaos-breaker-recovery");
    // No retry at all: a run exhausts its schedule at its first failure, long before a worker
    // sees the eight failures that open its breaker.
    env.set("CONFQ_RETRY_BACKOFF", "0.02")
        .set("CONFQ_MAX_RETRIES", "0")
        .set("CONFQ_BREAKER_THRESHOLD", "8");
    env.migrate();
    let _reaper = env.reaper();
    let fleet = Fleet::start(&mut env, 3, 2, &[]);
    let (runs, storage) = submit_during_outage(&mut env, &fleet, 30, 63_000);
    assert!(all_logged(&fleet, "breaker opened"), "every breaker opens");
    // A run whose failure helped open a breaker may still be writing its `failed` status when
    // the breaker's line is logged: count once the number has held still for a second.
    let failed = || {
        env.db()
            .runs()
            .values()
            .filter(|r| r.status == "failed")
            .count()
    };
    let mut exhausted = failed();
    for _ in 0..10 {
        std::thread::sleep(Duration::from_secs(1));
        let now = failed();
        if now == exhausted {
            break;
        }
        exhausted = now;
    }
    assert!(
        exhausted > 0,
        "some runs exhausted their retries before the breakers opened"
    );
    storage.end();
    let mut report = Report {
        scenario: "breaker-recovery-requeue".into(),
        tasks: runs.len(),
        faults: 1,
        ..Report::default()
    };
    let started = Instant::now();
    if !wait_settled(&env, &runs, Duration::from_secs(120)) {
        report.problems.push("did not settle in time".into());
    }
    report.seconds = started.elapsed().as_secs_f64();
    tally(&env, &runs, &mut report);
    // A worker logs its count once its whole pass is done, which may be a moment after the last
    // run it re-enqueued completed elsewhere: wait for the lines, not for a duration.
    let total = || -> usize { fleet.workers.iter().map(|w| requeued(&w.log)).sum() };
    let _ = testenv::wait::within_blocking(Duration::from_secs(10), || total() >= exhausted);
    let requeued = total();
    println!(
        "recovery: {exhausted} runs exhausted their retries; the fleet re-enqueued {requeued}"
    );
    if requeued != exhausted {
        report.problems.push(format!(
            "{exhausted} runs exhausted their retries but the fleet re-enqueued {requeued}"
        ));
    }
    if env.queue()["dead"] != 0 {
        report
            .problems
            .push(format!("dead letters left: {:?}", env.dead()));
    }
    report.finish();
}

/// CPU seconds (user + system) the process has used so far.
fn cpu_seconds(process: &Proc) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", process.pid())).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat(5): 12 and 13 after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

#[test]
fn a_flapping_storage_neither_wedges_nor_spins_a_worker() {
    let _turn = exclusive();
    let mut env = Env::new("chaos-breaker-flap");
    // A retry budget (1.35 s, no gap over 0.2 s plus the reaper's 0.2 s tick) that outlasts one
    // down second: a run cannot spend it all inside one outage, so it only ends `failed` if a
    // breaker failed to bring it back. (With 0.17 s of budget a run could exhaust it in an
    // outage too short to open the breaker, once most runs had completed; nothing would bring
    // it back then, by design.)
    env.set("CONFQ_RETRY_BACKOFF", "0.05,0.1,0.2")
        .set("CONFQ_MAX_RETRIES", "8");
    env.migrate();
    let _reaper = env.reaper();
    let fleet = Fleet::start(&mut env, 1, 2, &[]);
    let (runs, storage) = submit_during_outage(&mut env, &fleet, 30, 64_000);
    let worker = &fleet.workers[0];
    let (cpu_before, wall) = (cpu_seconds(worker), Instant::now());
    // Down and up every other second, for ten seconds, ending up. (Ending on a down blip of a
    // few milliseconds would let a run spend its last quick retries there without its breaker
    // opening, and only an outage that opened a breaker brings exhausted runs back.)
    for flap in 0..5 {
        std::thread::sleep(Duration::from_secs(1));
        storage.end();
        std::thread::sleep(Duration::from_secs(1));
        if flap < 4 {
            storage.begin();
        }
    }
    let cpu = cpu_seconds(worker) - cpu_before;
    let wall = wall.elapsed().as_secs_f64();
    let mut report = Report {
        scenario: "breaker-flapping-storage".into(),
        tasks: runs.len(),
        faults: 5,
        ..Report::default()
    };
    if !wait_settled(&env, &runs, Duration::from_secs(120)) {
        report.problems.push("did not settle in time".into());
    }
    report.seconds = wall;
    tally(&env, &runs, &mut report);
    let lines = lines_with(&worker.log, "");
    println!("flapping: the worker used {cpu:.2} s of CPU in {wall:.1} s and logged {lines} lines");
    // A spinning worker burns a core; a wedged one never settles (above).
    if cpu > wall / 2.0 {
        report
            .problems
            .push(format!("{cpu:.2} s of CPU in {wall:.1} s: spinning"));
    }
    if lines > 400 {
        report.problems.push(format!(
            "{lines} log lines: one per failure, not per transition"
        ));
    }
    report.finish();
}
