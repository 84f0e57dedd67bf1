//! The worker as an operating-system process: killed (SIGKILL), frozen past its lease
//! (SIGSTOP/SIGCONT) and asked to stop (SIGTERM) in the middle of a task. Each test runs its own
//! `confq worker` and `confq reaper` processes on a private key prefix and data dir, reads the
//! outcome from the database directly, and never asserts on speed.

mod support;

use std::time::Duration;

use support::archive::generated_tgz;
use support::{Env, wait_for};

/// Long enough for debug builds on a loaded two-core machine; no test needs it unless broken.
const PATIENCE: Duration = Duration::from_secs(55);

/// An archive big enough (~30 MB of props.conf) to still be parsing when a signal arrives.
fn big_archive(env: &Env, seed: u64) -> (String, i64, i64) {
    let generated = generated_tgz(seed, 8, 2_500, 1_500);
    let path = env.file(&format!("big-{seed}.tgz"), &generated.bytes);
    (path, generated.files, generated.stanzas)
}

/// Whether the run reaches `wanted` within `timeout` (`false` instead of a panic).
fn wait_for_status(env: &Env, run: i64, wanted: &str, timeout: Duration) -> bool {
    let db = env.db();
    testenv::wait::within_blocking(timeout, || {
        db.runs().get(&run).is_some_and(|row| row.status == wanted)
    })
    .is_some()
}

fn wait_status(env: &Env, run: i64, wanted: &str) {
    assert!(
        wait_for_status(env, run, wanted, PATIENCE),
        "timed out after {PATIENCE:?} waiting for run {run} to be {wanted}"
    );
}

/// Waits until nothing is pending, processing or delayed (an element orphaned by a kill between
/// `BLMOVE` and its lease claim is requeued after the 30 s orphan grace), then checks no dead letter.
fn assert_queue_drained(env: &Env) {
    let queue = wait_for(Duration::from_secs(45), "the queue to drain", || {
        let queue = env.queue();
        ["pending", "processing", "delayed"]
            .iter()
            .all(|state| queue[*state] == 0)
            .then_some(queue)
    });
    assert_eq!(queue["dead"], 0, "no dead letters: {queue}");
}

#[test]
fn a_worker_killed_mid_task_is_redelivered_by_the_reaper_and_the_run_has_one_copy_of_its_data() {
    let mut env = Env::new("proc-kill");
    env.migrate();
    let (archive, files, stanzas) = big_archive(&env, 1);
    let run = env.ingest(&[archive])[0];
    let _reaper = env.reaper();
    let mut doomed = env.worker(1, &[]);
    wait_status(&env, run, "parsing");
    doomed.signal("KILL");
    doomed.kill();

    let _replacement = env.worker(1, &[]);
    wait_status(&env, run, "complete");

    let db = env.db();
    let row = &db.runs()[&run];
    assert!(
        row.retry_count >= 1,
        "the kill must have cost an attempt: {row:?}"
    );
    assert_eq!(
        db.stanza_counts().get(&run),
        Some(&stanzas),
        "exactly one copy of the stanzas"
    );
    assert_eq!(
        db.file_counts().get(&run),
        Some(&files),
        "exactly one copy of the files"
    );
    assert_eq!(row.stanzas_created, Some(stanzas));
    let status = env.status(run);
    assert_eq!(status["metrics"]["stanzas_created"], stanzas, "{status}");
    assert_queue_drained(&env);
}

#[test]
fn a_worker_frozen_past_its_lease_cannot_write_over_the_attempt_that_replaced_it() {
    let mut env = Env::new("proc-stop");
    env.migrate();
    let (archive, files, stanzas) = big_archive(&env, 2);
    let run = env.ingest(&[archive])[0];
    let _reaper = env.reaper();
    let zombie = env.worker(1, &[]);
    wait_status(&env, run, "parsing");
    zombie.signal("STOP");
    let first_attempt = env.db().runs()[&run].attempt;

    // The reaper takes the task back once the lease expires; another worker completes it.
    let _replacement = env.worker(1, &[]);
    wait_for(PATIENCE, "the frozen worker's lease to expire", || {
        (env.counter("expired") >= 1).then_some(())
    });
    // A SQLite writer frozen inside its (heartbeat) transaction holds the database lock, which
    // would stall the replacement until the zombie runs again: after a while, let it run.
    let frozen_through = wait_for_status(&env, run, "complete", Duration::from_secs(20));
    if !frozen_through {
        zombie.signal("CONT");
        wait_status(&env, run, "complete");
    }
    let completed = env.db().runs()[&run].clone();
    assert!(
        completed.attempt > first_attempt,
        "the fence moved on: {completed:?}"
    );

    zombie.signal("CONT");
    wait_for(PATIENCE, "the zombie to notice it lost the task", || {
        let log = zombie.log_text();
        [
            "lease lost",
            "late settlement refused",
            "abandoned after losing the lease",
        ]
        .iter()
        .any(|needle| log.contains(needle))
        .then_some(())
    });
    // Give a late write every chance to land, then check that none did.
    std::thread::sleep(Duration::from_secs(2));
    let db = env.db();
    let after = &db.runs()[&run];
    assert_eq!(after.status, "complete", "{after:?}");
    assert_eq!(
        after.attempt, completed.attempt,
        "the zombie did not take the fence back"
    );
    assert_eq!(
        db.stanza_counts().get(&run),
        Some(&stanzas),
        "the data of one attempt"
    );
    assert_eq!(db.file_counts().get(&run), Some(&files));
    assert_eq!(after.stanzas_created, Some(stanzas));
    assert_queue_drained(&env);
    assert_eq!(
        env.counter("processed"),
        1,
        "one acknowledgement: the zombie's was refused"
    );
}

#[test]
fn sigterm_mid_task_gives_unfinished_tasks_back_to_pending_without_waiting_for_the_lease() {
    let mut env = Env::new("proc-term");
    // A lease far longer than the test: only the worker's own release can bring the tasks back.
    env.set("CONFQ_LEASE_SECS", "600")
        .set("CONFQ_HEARTBEAT_SECS", "1");
    env.migrate();
    let first = env.enqueue("confq.sleep", r#"{"ms": 120000}"#);
    let second = env.enqueue("confq.sleep", r#"{"ms": 120000}"#);
    let mut worker = env.worker(2, &["--shutdown-grace", "0.5"]);
    wait_for(PATIENCE, "both tasks to be in flight", || {
        (env.queue()["processing"] == 2).then_some(())
    });

    worker.signal("TERM");
    let exit = worker
        .wait_exit(PATIENCE)
        .expect("the worker exits after its grace period");
    assert!(
        exit.success(),
        "a graceful stop exits 0: {exit:?}\n{}",
        worker.log_text()
    );

    let queue = env.queue();
    assert_eq!(queue["pending"], 2, "both back in pending: {queue}");
    assert_eq!(queue["processing"], 0, "{queue}");
    assert_eq!(queue["delayed"], 0, "given back, not retried: {queue}");
    let pending = pending_elements(&env);
    for id in [&first, &second] {
        let element = pending
            .iter()
            .find(|element| element["id"] == id.as_str())
            .expect("the task is pending");
        assert_eq!(
            element["attempt"], 0,
            "a release is not a failed attempt: {element}"
        );
    }
    assert!(
        worker.log_text().contains("giving the task back"),
        "{}",
        worker.log_text()
    );
}

fn pending_elements(env: &Env) -> Vec<serde_json::Value> {
    let key = env.keys().pending;
    let output = std::process::Command::new("redis-cli")
        .args(["-u", &env.redis_url, "--raw", "LRANGE", &key, "0", "-1"])
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}
