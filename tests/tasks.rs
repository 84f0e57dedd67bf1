//! Task control through the `confq` binary as real processes: `confq task` and `confq cancel`
//! in each state (a running task held by a real `confq worker`), a time limit stopping a slow
//! real parse of a large generated archive (the run records it), and a cancelled running
//! ingestion ending its run `cancelled`. On SQLite, and on PostgreSQL with
//! `CONFQ_TEST_POSTGRES_URL`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Env, wait_for};

/// Long enough for debug builds on a loaded two-core machine; no test needs it unless broken.
const PATIENCE: Duration = Duration::from_secs(55);

fn run(env: &Env, args: &[&str]) -> Output {
    env.command()
        .arg("--no-migrate")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_owned()
}

fn task(env: &Env, id: &str) -> Value {
    env.json(&["task", id, "--json"])
}

fn wait_state(env: &Env, id: &str, state: &str) -> Value {
    wait_for(PATIENCE, &format!("task {id} to be {state}"), || {
        let doc = task(env, id);
        (doc["state"] == state).then_some(doc)
    })
}

/// A deployment on PostgreSQL when `CONFQ_TEST_POSTGRES_URL` is set (kept alive by the handle).
fn postgres_env(name: &str) -> Option<(Env, testenv::db::Postgres)> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let postgres = runtime.block_on(testenv::db::Postgres::optional())?;
    let mut env = Env::new(name);
    env.database_url = Some(postgres.url().to_owned());
    Some((env, postgres))
}

#[test]
fn task_and_cancel_follow_a_task_through_its_states() {
    let mut env = Env::new("tasks-cli");
    env.migrate();
    // Pending, then cancelled before any worker runs.
    let pending = env.enqueue("confq.echo", r#"{"a": 1}"#);
    let doc = task(&env, &pending);
    assert_eq!(
        (&doc["state"], &doc["task"], &doc["queue"], &doc["attempt"]),
        (
            &json!("pending"),
            &json!("confq.echo"),
            &json!("ingest"),
            &json!(0)
        )
    );
    let cancelled = run(&env, &["cancel", &pending]);
    assert!(cancelled.status.success(), "{}", stderr(&cancelled));
    assert_eq!(
        stdout(&cancelled),
        format!("cancelled {pending} (it was pending)")
    );
    assert_eq!(task(&env, &pending)["state"], "cancelled");
    let again = run(&env, &["cancel", &pending]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already finished (cancelled)"),
        "{}",
        stderr(&again)
    );
    // Bad and unknown ids.
    let malformed = run(&env, &["task", "not-a-uuid"]);
    assert_eq!(malformed.status.code(), Some(2), "{}", stderr(&malformed));
    let unknown = run(&env, &["task", &uuid::Uuid::new_v4().to_string()]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("no task"), "{}", stderr(&unknown));

    // A real worker: echo's result, then a running sleep cancelled.
    let mut worker = env.worker(2, &[]);
    let echo = env.enqueue("confq.echo", r#"{"x": [1, 2], "s": "é"}"#);
    let doc = wait_state(&env, &echo, "succeeded");
    assert_eq!(doc["result"], json!({"x": [1, 2], "s": "é"}));
    assert!(doc["updated_at"].is_string());
    let table = run(&env, &["task", &echo]);
    assert!(stdout(&table).contains("succeeded"), "{}", stdout(&table));

    let sleep = env.enqueue("confq.sleep", r#"{"ms": 600000}"#);
    wait_state(&env, &sleep, "running");
    let asked = Instant::now();
    let cancelling = run(&env, &["cancel", &sleep]);
    assert!(cancelling.status.success(), "{}", stderr(&cancelling));
    assert!(stdout(&cancelling).starts_with(&format!("cancelling {sleep}")));
    let doc = wait_state(&env, &sleep, "cancelled");
    println!(
        "a running confq.sleep was cancelled {:?} after the request",
        asked.elapsed()
    );
    assert_eq!(doc["error"], "cancelled");
    assert!(worker.exited().is_none(), "the worker goes on");
    assert_eq!(env.counter("cancelled"), 2);
    assert_eq!(env.counter("retried"), 0, "a cancelled task is not retried");
    let done = run(&env, &["cancel", &echo]);
    assert!(
        stderr(&done).contains("already finished (succeeded)"),
        "{}",
        stderr(&done)
    );
    worker.signal("TERM");
    worker.wait_exit(PATIENCE);
}

fn slow_archive(env: &Env) -> String {
    // 60 members of ~1 MB each: seconds of parsing in a debug build, checked between members.
    let generated = support::archive::generated_tgz(7, 60, 4000, 200);
    env.file("slow.tgz", &generated.bytes)
}

fn a_time_limit_stops_a_slow_real_parse(mut env: Env) {
    // One retry, 2 s apart so that the `retrying` state can be seen.
    env.set("CONFQ_MAX_RETRIES", "1")
        .set("CONFQ_RETRY_BACKOFF", "2");
    env.migrate();
    let archive = slow_archive(&env);
    let run_id = env.ingest(&[archive])[0];
    let _reaper = env.reaper();
    let mut worker = env.worker(1, &["--time-limit", "ingest.parse_upload=0.5"]);
    let retrying = wait_for(PATIENCE, "the run to retry after its time limit", || {
        let status = env.status(run_id);
        (status["status"] == "retrying").then_some(status)
    });
    assert_eq!(
        retrying["error_message"],
        "Transient error (retry 0): time limit of 0.5 s exceeded"
    );
    let failed = wait_for(PATIENCE, "the run to fail after its retry", || {
        let status = env.status(run_id);
        (status["status"] == "failed").then_some(status)
    });
    assert_eq!(failed["metrics"]["error_type"], "timeout");
    assert_eq!(
        failed["error_message"],
        "Failed after 1 retries: time limit of 0.5 s exceeded"
    );
    assert_eq!(
        env.counter("expired"),
        0,
        "stopped by the limit, not by the lease"
    );
    worker.signal("TERM");
    worker.wait_exit(PATIENCE);
}

#[test]
fn a_time_limit_stops_a_slow_real_parse_on_sqlite() {
    a_time_limit_stops_a_slow_real_parse(Env::new("tasks-limit"));
}

#[test]
fn a_time_limit_stops_a_slow_real_parse_on_postgres() {
    let Some((env, _postgres)) = postgres_env("tasks-limit-pg") else {
        return;
    };
    a_time_limit_stops_a_slow_real_parse(env);
}

fn a_cancelled_running_ingestion_ends_its_run_cancelled(mut env: Env) {
    env.migrate();
    let archive = slow_archive(&env);
    let run_id = env.ingest(&[archive])[0];
    let mut worker = env.worker(1, &[]);
    let parsing = wait_for(PATIENCE, "the run to be parsing", || {
        let status = env.status(run_id);
        (status["status"] == "parsing").then_some(status)
    });
    let task_id = parsing["task_id"].as_str().unwrap().to_owned();
    let cancelling = run(&env, &["cancel", &task_id]);
    assert!(cancelling.status.success(), "{}", stderr(&cancelling));
    let status = wait_for(PATIENCE, "the run to end cancelled", || {
        let status = env.status(run_id);
        (status["status"] == "cancelled").then_some(status)
    });
    assert!(status["completed_at"].is_string());
    assert_eq!(task(&env, &task_id)["state"], "cancelled");
    let metrics = env.json(&["metrics", "--json"]);
    assert_eq!(metrics["status_counts"]["cancelled"], 1);
    assert_eq!(metrics["status_counts"]["parsing"], 0);
    worker.signal("TERM");
    worker.wait_exit(PATIENCE);
}

#[test]
fn a_cancelled_running_ingestion_ends_its_run_cancelled_on_sqlite() {
    a_cancelled_running_ingestion_ends_its_run_cancelled(Env::new("tasks-cancel-run"));
}

#[test]
fn a_cancelled_running_ingestion_ends_its_run_cancelled_on_postgres() {
    let Some((env, _postgres)) = postgres_env("tasks-cancel-run-pg") else {
        return;
    };
    a_cancelled_running_ingestion_ends_its_run_cancelled(env);
}
