//! Celery interoperability end to end: Python's own Celery client (`send_task`,
//! `AsyncResult.get`, tests/celery/client.py) against a real `confq worker --celery-queue Q`
//! and `confq reaper`, and the same client against a real Python Celery worker
//! (tests/celery/celery_app.py) to show the fixtures match Celery's own behaviour. Each test
//! uses its own Celery queue name (Celery's keys carry no prefix) and confq key prefix.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use support::{Env, Proc, wait_for};
use testenv::need;

const CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/celery/client.py");
const APP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/celery");
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/splunk-apps.tgz");
const PATIENCE: Duration = Duration::from_secs(55);

/// Python with the `celery` module, or the test fails naming how to install it.
fn python() -> &'static str {
    need(testenv::celery::python())
}

/// A Celery queue name of its own for one test.
fn queue_name(test: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("cq-{test}-{}", &id[..8])
}

/// Runs a client scenario on `queue` and parses its JSON line.
fn client(redis_url: &str, queue: &str, scenario: &str, args: &[&str]) -> Value {
    let output = Command::new(python())
        .arg(CLIENT)
        .args([redis_url, queue, scenario])
        .args(args)
        .output()
        .expect("python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "client {scenario} failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// A confq deployment with a worker of `queue` (and of nothing else) and a reaper.
fn confq(test: &str, queue: &str, concurrency: usize) -> (Env, Proc, Proc) {
    let mut env = Env::new(test);
    env.migrate();
    let reaper = env.reaper();
    let worker = celery_worker(&mut env, queue, concurrency);
    (env, worker, reaper)
}

fn celery_worker(env: &mut Env, queue: &str, concurrency: usize) -> Proc {
    env.worker(
        concurrency,
        &[
            "--queue",
            &format!("{queue}-native"),
            "--celery-queue",
            queue,
        ],
    )
}

/// A real Python Celery worker (prefork, acks_late) on `queue`.
fn python_worker(env: &Env, queue: &str) -> Proc {
    python();
    let command = testenv::celery::worker(std::path::Path::new(APP_DIR), &env.redis_url, queue, 1);
    Proc::spawn(command, "celery", env.dir.path().join("celery-worker.log"))
}

/// The scenarios whose outcome must be the same whoever consumes the queue.
fn shared_scenarios(redis_url: &str, queue: &str) -> Vec<(&'static str, Value)> {
    let echo = client(redis_url, queue, "echo", &[]);
    assert_eq!(echo["state"], "SUCCESS", "{echo}");
    assert_eq!(
        echo["same"], true,
        "echo returns its kwargs, kombu's typed values untouched: {echo}"
    );
    assert_eq!(echo["result"]["nested"], json!({"b": [1, 2, null]}));
    let fail = client(redis_url, queue, "fail", &[]);
    assert_eq!(
        (fail["state"].as_str(), fail["exc_type"].as_str()),
        (Some("FAILURE"), Some("PermanentError")),
        "{fail}"
    );
    assert_eq!(fail["message"], "confq.fail asked for a permanent failure");
    let expired = client(redis_url, queue, "expired", &[]);
    assert_eq!(
        (expired["state"].as_str(), expired["exc_type"].as_str()),
        (Some("REVOKED"), Some("TaskRevokedError")),
        "{expired}"
    );
    let countdown = client(redis_url, queue, "countdown", &[]);
    assert_eq!(countdown["result"], json!({"late": true}), "{countdown}");
    assert!(
        countdown["elapsed"].as_f64().unwrap() >= 2.0,
        "a countdown=2 task ran before 2 s: {countdown}"
    );
    vec![
        ("echo", echo),
        ("fail", fail),
        ("expired", expired),
        ("countdown", countdown),
    ]
}

#[test]
#[ignore = "needs python3 with celery[redis] (python3 -m pip install 'celery[redis]')"]
fn python_send_task_runs_on_confq_and_the_caller_gets_celery_results() {
    let queue = queue_name("core");
    let (env, _worker, _reaper) = confq("celery-core", &queue, 4);
    shared_scenarios(&env.redis_url, &queue);

    let one = client(&env.redis_url, &queue, "positional-object", &[]);
    assert_eq!(one["result"], json!({"x": 1}), "{one}");
    let positional = client(&env.redis_url, &queue, "positional", &[]);
    assert_eq!(positional["exc_type"], "TypeError", "{positional}");
    assert!(positional["message"].as_str().unwrap().contains("kwargs"));
    let unknown = client(&env.redis_url, &queue, "unknown", &[]);
    assert_eq!(unknown["exc_type"], "NotRegistered", "{unknown}");

    // pickle: dead-lettered with the reason, and the caller is told.
    let pickle = client(&env.redis_url, &queue, "pickle", &[]);
    assert_eq!(
        (pickle["state"].as_str(), pickle["exc_type"].as_str()),
        (Some("FAILURE"), Some("ContentDisallowed")),
        "{pickle}"
    );
    let dead = wait_for(PATIENCE, "the pickle message in the dead letters", || {
        let items = env.json(&["dead", "--queue", &queue, "list", "--json"])["items"].clone();
        items.as_array().filter(|items| !items.is_empty()).cloned()
    });
    let reasons: Vec<&str> = dead.iter().filter_map(|d| d["reason"].as_str()).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("application/x-python-serialize")),
        "{dead:?}"
    );

    // The confq task id is the Celery id: `confq task` finds it.
    let echo = client(&env.redis_url, &queue, "send-sleeps", &["1", "1"]);
    let id = echo["ids"][0].as_str().unwrap().to_owned();
    let done = client(
        &env.redis_url,
        &queue,
        "collect",
        &[&echo["ids"].to_string()],
    );
    assert_eq!(done[0]["state"], "SUCCESS", "{done}");
    let task = env.json(&["task", &id, "--json"]);
    assert_eq!(
        (task["state"].as_str(), task["task"].as_str()),
        (Some("succeeded"), Some("confq.sleep")),
        "{task}"
    );

    let many = client(&env.redis_url, &queue, "many", &["1000"]);
    assert_eq!(many, json!({"sent": 1000, "returned": 1000}));
}

#[test]
#[ignore = "needs python3 with celery[redis] (python3 -m pip install 'celery[redis]')"]
fn the_same_scenarios_on_a_python_celery_worker_give_the_same_results() {
    let queue = queue_name("python");
    let env = Env::new("celery-python");
    let mut worker = python_worker(&env, &queue);
    let got = shared_scenarios(&env.redis_url, &queue);
    worker.signal("TERM");
    worker.wait_exit(Duration::from_secs(20));
    for (name, outcome) in got {
        eprintln!("python celery {name}: {outcome}");
    }
}

/// Sends 9, 6, 3, 0 while nothing consumes, then starts `consume` and reads the order they ran.
fn priority_order(env: &mut Env, queue: &str, consume: impl FnOnce(&mut Env) -> Proc) -> Vec<i64> {
    let sent = client(&env.redis_url, queue, "send-priorities", &[]);
    let _worker = consume(env);
    let mut done = client(
        &env.redis_url,
        queue,
        "collect",
        &[&sent["ids"].to_string()],
    );
    let done = done.as_array_mut().unwrap();
    done.sort_by(|a, b| a["date_done"].as_str().cmp(&b["date_done"].as_str()));
    done.iter()
        .map(|d| d["result"]["priority"].as_i64().unwrap())
        .collect()
}

#[test]
#[ignore = "needs python3 with celery[redis] (python3 -m pip install 'celery[redis]')"]
fn priorities_queued_before_the_worker_starts_come_out_highest_first_as_in_celery() {
    let queue = queue_name("prio");
    let mut env = Env::new("celery-prio");
    env.migrate();
    let order = priority_order(&mut env, &queue, |env| celery_worker(env, &queue, 1));
    assert_eq!(order, [0, 3, 6, 9], "confq's order");
    let python_queue = queue_name("prio-py");
    let order = priority_order(&mut env, &python_queue, |env| {
        python_worker(env, &python_queue)
    });
    assert_eq!(order, [0, 3, 6, 9], "Python Celery's order");
}

#[test]
#[ignore = "needs python3 with celery[redis] (python3 -m pip install 'celery[redis]')"]
fn a_sigkilled_worker_loses_none_of_its_celery_messages() {
    let queue = queue_name("kill");
    let mut env = Env::new("celery-kill");
    env.migrate();
    let _reaper = env.reaper();
    let sent = client(&env.redis_url, &queue, "send-sleeps", &["40", "400"]);
    let mut doomed = celery_worker(&mut env, &queue, 8);
    wait_for(PATIENCE, "the worker to hold Celery messages", || {
        let metrics = env.json(&["metrics", "--json"]);
        (metrics["queues"][&queue]["processing"].as_i64() > Some(0)).then_some(())
    });
    doomed.signal("KILL");
    doomed.kill();
    let _replacement = celery_worker(&mut env, &queue, 8);
    let done = client(
        &env.redis_url,
        &queue,
        "collect",
        &[&sent["ids"].to_string()],
    );
    let states: Vec<&str> = done
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["state"].as_str())
        .collect();
    assert_eq!(states, vec!["SUCCESS"; 40], "{done}");
}

#[test]
#[ignore = "needs python3 with celery[redis] (python3 -m pip install 'celery[redis]')"]
fn an_ingestion_sent_from_python_produces_a_complete_run() {
    let queue = queue_name("ingest");
    let (env, _worker, _reaper) = confq("celery-ingest", &queue, 2);
    let object = env.data_dir().join("uploads/celery/apps.tgz");
    std::fs::create_dir_all(object.parent().unwrap()).unwrap();
    std::fs::copy(EXAMPLE, &object).unwrap();
    let got = client(
        &env.redis_url,
        &queue,
        "ingest",
        &["celery/apps.tgz", "apps.tgz"],
    );
    assert_eq!(got["state"], "SUCCESS", "{got}");
    let run = env
        .stored_run(got["id"].as_str().unwrap())
        .expect("a run for the Celery task");
    assert_eq!(
        (run.status.as_str(), run.filename.as_str()),
        ("complete", "apps.tgz")
    );
    let status = env.status(run.id.0);
    assert!(
        status["metrics"]["stanzas_created"].as_i64() > Some(0),
        "{status}"
    );
}
