//! The `confq` binary end to end as a process, against the local Redis (a random key prefix per
//! test) and a fresh SQLite data dir: the README's main job and the operator commands here; exit
//! codes and the one-line errors in `errors`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod env;
mod errors;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use env::{EXAMPLE, Env, stderr};
use serde_json::Value;

#[test]
fn ingest_wait_json_on_a_fresh_data_dir_completes_the_example() {
    let env = Env::new();
    let summary = env.json(&["ingest", EXAMPLE, "--wait", "--json"]);
    let run = &summary["runs"][0];
    assert_eq!(run["status"], "complete", "{summary}");
    assert_eq!(run["files"], 15);
    assert_eq!(run["stanzas"], 31);
    assert_eq!(run["parse_errors"], 0);
    assert!(
        Path::new(&env.data_dir()).join("confq.db").exists(),
        "SQLite under the data dir"
    );

    let id = run["run_id"].as_i64().unwrap().to_string();
    let status = env.json(&["status", &id, "--json"]);
    for field in [
        "id",
        "status",
        "task_id",
        "retry_count",
        "error_message",
        "error_traceback",
        "started_at",
        "last_heartbeat",
        "completed_at",
        "metrics",
    ] {
        assert!(
            status.get(field).is_some(),
            "status lacks {field}: {status}"
        );
    }
    assert_eq!(status["metrics"]["stanzas_created"], 31);

    let metrics = env.json(&["metrics", "--json"]);
    assert_eq!(metrics["status_counts"]["complete"], 1, "{metrics}");
    assert_eq!(metrics["queues"]["ingest"]["pending"], 0);
}

#[test]
fn ingest_routes_to_the_queue_given_and_the_status_shows_it() {
    let env = Env::new();
    // No worker is live on `critical`: the one started in this process must consume it.
    let summary = env.json(&["ingest", EXAMPLE, "--wait", "--json", "--queue", "critical"]);
    let run = &summary["runs"][0];
    assert_eq!(run["status"], "complete", "{summary}");
    let id = run["run_id"].as_i64().unwrap().to_string();
    assert_eq!(env.json(&["status", &id, "--json"])["queue"], "critical");
    let metrics = env.json(&["metrics", "--json"]);
    assert_eq!(metrics["queues"]["critical"]["pending"], 0, "{metrics}");
    assert_eq!(metrics["queues"]["critical"]["dead"], 0, "{metrics}");

    let bad = env.run(&["ingest", EXAMPLE, "--queue", "no spaces"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("invalid queue name"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn ingest_wait_prints_a_summary_table() {
    let env = Env::new();
    let output = env.run(&["ingest", EXAMPLE, "--wait"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    let header = table.lines().next().unwrap();
    for column in [
        "run", "status", "files", "stanzas", "errors", "retries", "seconds",
    ] {
        assert!(header.contains(column), "{header}");
    }
    assert!(table.contains("complete"), "{table}");
}

#[test]
fn ingest_of_a_corrupt_archive_exits_one() {
    let env = Env::new();
    let bad = env.dir.path().join("bad.tgz");
    std::fs::write(&bad, b"this is not an archive").unwrap();
    let output = env.run(&["ingest", bad.to_str().unwrap(), "--wait", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["runs"][0]["status"], "failed");
    assert!(
        summary["runs"][0]["error_message"]
            .as_str()
            .unwrap()
            .starts_with("Permanent error: ")
    );
}

#[test]
fn enqueue_then_dead_letter_operations() {
    let env = Env::new();
    // An unknown task is dead-lettered by a worker; run one briefly.
    let id = String::from_utf8(env.run(&["enqueue", "no.such.task", "{}"]).stdout).unwrap();
    let id = id.trim().to_owned();
    assert_eq!(id.len(), 36, "prints the task id: {id}");
    let mut worker = env
        .command()
        .args(["worker", "--concurrency", "1"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let items = testenv::wait::until_blocking(testenv::wait::LONG, "a dead letter", || {
        let list = env.json(&["dead", "list", "--json"]);
        let any = list["items"]
            .as_array()
            .is_some_and(|items| !items.is_empty());
        any.then(|| list["items"].clone())
    });
    stop(&mut worker);
    assert_eq!(items[0]["task_id"], id);
    assert!(
        items[0]["reason"]
            .as_str()
            .unwrap()
            .contains("unknown task")
    );

    let requeued = env.run(&["dead", "requeue", &id]);
    assert!(requeued.status.success(), "{}", stderr(&requeued));
    let metrics = env.json(&["metrics", "--json"]);
    assert_eq!(metrics["queues"]["ingest"]["pending"], 1);
    assert_eq!(metrics["queues"]["ingest"]["dead"], 0);

    let purged = env.run(&["dead", "purge"]);
    assert!(purged.status.success());
}

fn stop(child: &mut std::process::Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    if testenv::wait::within_blocking(Duration::from_secs(15), || child.try_wait().unwrap())
        .is_some()
    {
        return;
    }
    let _ = child.kill();
    panic!("the process did not stop on SIGTERM");
}

#[test]
fn ingest_starts_a_private_redis_when_none_answers() {
    let env = Env::new();
    let port = testenv::free_port();
    let output = env
        .command()
        .env("CONFQ_REDIS_URL", format!("redis://127.0.0.1:{port}"))
        // No --wait: the tasks would die with the private Redis, so ingest waits anyway.
        .args(["ingest", EXAMPLE, "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("started a private redis-server"),
        "{}",
        stderr(&output)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["runs"][0]["status"], "complete");
    assert!(
        env.data_dir().join("redis").is_dir(),
        "its data lives under the data dir"
    );
}

#[test]
fn settings_finds_where_a_key_is_set_across_runs() {
    let env = Env::new();
    let summary = env.json(&["ingest", EXAMPLE, EXAMPLE, "--wait", "--json"]);
    assert_eq!(summary["runs"].as_array().unwrap().len(), 2, "{summary}");
    let found = env.json(&["settings", "--key", "TRUNCATE", "--json"]);
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "{found}");
    assert_eq!(items[1]["value"], "20000");
    assert_eq!(items[1]["layer"], "local");
    assert_eq!(items[1]["source_path"], "acme_web_TA/local/props.conf");
    let first = summary["runs"][0]["run_id"].to_string();
    let evals = env.json(&[
        "settings",
        "--key",
        "EVAL-*",
        "--run",
        &first,
        "--value",
        "PRODUCTION",
        "--json",
    ]);
    assert_eq!(evals["items"].as_array().unwrap().len(), 1, "{evals}");
    let table = env.run(&[
        "settings",
        "--key",
        "TRUNCATE",
        "--app",
        "acme_web_TA",
        "--limit",
        "1",
    ]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("run  app"), "{text}");
    assert!(text.contains("acme_web_TA/default/props.conf:"), "{text}");
    assert!(text.contains("raise --limit"), "{text}");
    let refused = env.run(&["settings", "--key", "*a*b*c*d*"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("more than 4 `*`"));
}
