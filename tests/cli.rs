//! The `confq` binary end to end as a process, against the local Redis (a random key prefix per
//! test) and a fresh SQLite data dir: the README's main job, the operator commands, exit codes and
//! the one-line errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/splunk-apps.tgz");

struct Env {
    dir: tempfile::TempDir,
    prefix: String,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            prefix: testenv::redis::prefix("confq-cli"),
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_confq"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CONFQ_DATA_DIR", self.data_dir())
            .env("CONFQ_KEY_PREFIX", &self.prefix)
            .env("CONFQ_REDIS_URL", redis_url())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run confq")
    }

    fn json(&self, args: &[&str]) -> Value {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "confq {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!(
                "confq {args:?} printed no JSON ({error}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }
}

impl Drop for Env {
    /// Deletes the keys this test made under its prefix.
    fn drop(&mut self) {
        delete_keys(&self.prefix);
    }
}

/// Deletes every Redis key under `prefix` (best effort, through `redis-cli`).
fn delete_keys(prefix: &str) {
    let url = redis_url();
    let script = format!(
        "redis-cli -u {url} --scan --pattern '{prefix}:*' | xargs -r redis-cli -u {url} del > /dev/null"
    );
    let _ = Command::new("sh").args(["-c", &script]).status();
}

fn redis_url() -> String {
    std::env::var("CONFQ_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

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

#[test]
fn usage_errors_exit_two_with_one_clear_line() {
    let env = Env::new();
    let not_json = env.run(&["enqueue", "confq.noop", "{not json"]);
    assert_eq!(not_json.status.code(), Some(2));
    assert!(
        stderr(&not_json).contains("ARGS_JSON is not valid JSON"),
        "{}",
        stderr(&not_json)
    );
    assert_eq!(stderr(&not_json).lines().count(), 1);

    let unknown = env.run(&["frobnicate"]);
    assert_eq!(unknown.status.code(), Some(2));

    let text = worker_refuses(&env, &[("CONFQ_RETRY_BACKOFF", "60,soon")]);
    assert!(text.contains("CONFQ_RETRY_BACKOFF"), "{text}");

    // `--queue Q[=WEIGHT]` (here through CONFQ_QUEUES, comma-separated).
    for (queues, says) in [
        (
            "critical=0,low",
            "invalid weight \"0\" for queue \"critical\"",
        ),
        ("critical=high", "invalid weight \"high\""),
        ("no spaces=2", "invalid queue name"),
        ("low,low=3", "queue low is listed twice"),
    ] {
        let text = worker_refuses(&env, &[("CONFQ_QUEUES", queues)]);
        assert!(text.contains(says), "{queues}: {text}");
        assert_eq!(text.lines().count(), 1, "{text}");
    }
}

/// Starts `confq worker` with `vars` set, expects the usage exit code 2, returns its stderr.
fn worker_refuses(env: &Env, vars: &[(&str, &str)]) -> String {
    let output = env
        .command()
        .envs(vars.iter().copied())
        .args(["worker"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{vars:?}: {}",
        stderr(&output)
    );
    stderr(&output)
}

#[test]
fn unreachable_redis_gives_the_clear_line_not_a_backtrace() {
    let env = Env::new();
    let output = env
        .command()
        .env("CONFQ_REDIS_URL", "redis://:hunter2@127.0.0.1:1")
        .args(["metrics"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.contains("Redis is not reachable at redis://:***@127.0.0.1:1"),
        "{text}"
    );
    assert!(
        text.contains("start redis-server or set CONFQ_REDIS_URL"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "the password leaked: {text}");
    assert!(!text.contains("panicked"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
}

#[test]
fn status_of_a_missing_run_fails_clearly() {
    let env = Env::new();
    let output = env.run(&["status", "424242"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("run 424242 does not exist"),
        "{}",
        stderr(&output)
    );
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
fn an_invalid_retry_policy_is_a_usage_error_naming_it() {
    let env = Env::new();
    let text = worker_refuses(
        &env,
        &[("CONFQ_RETRY_POLICY", r#"{"flaky": {"max_retries": 2}}"#)],
    );
    assert!(
        text.contains("CONFQ_RETRY_POLICY") && text.contains("flaky"),
        "{text}"
    );
}

#[test]
fn help_never_shows_a_password_from_the_environment() {
    let env = Env::new();
    let output = env
        .command()
        .env("CONFQ_DATABASE_URL", "postgres://app:s3cret@db/confq")
        .env("CONFQ_REDIS_URL", "redis://:s3cret@127.0.0.1:6379")
        .args(["--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("CONFQ_DATABASE_URL"), "{help}");
    assert!(!help.contains("s3cret"), "{help}");
}

#[test]
fn clap_usage_errors_are_one_line_too() {
    let env = Env::new();
    for args in [&["status", "abc"][..], &["bogus"], &["dead", "requeue"]] {
        let output = env.run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let text = stderr(&output);
        assert_eq!(text.lines().count(), 1, "{args:?}: {text}");
        assert!(
            text.starts_with("confq: ") && text.contains("--help"),
            "{text}"
        );
    }
    // The line says what is missing or which values are allowed (clap's indented lines).
    let missing = stderr(&env.run(&["ingest"]));
    assert!(missing.contains("<FILE"), "{missing}");
    let values = stderr(&env.run(&["--log-format", "xml", "status", "1"]));
    assert!(values.contains("possible values: text, json"), "{values}");
    let help = env.run(&["--help"]);
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage: confq"));
}

#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    let env = Env::new();
    // `true` exits at once, so confq (which first talks to Redis) writes into a closed pipe; it
    // must end with exit 0, neither panicking nor printing a backtrace.
    let script = format!(
        "{} dead list --json | true; echo ${{PIPESTATUS[0]}}",
        env!("CARGO_BIN_EXE_confq")
    );
    let piped = Command::new("bash")
        .args(["-c", &script])
        .env("CONFQ_DATA_DIR", env.data_dir())
        .env("CONFQ_KEY_PREFIX", &env.prefix)
        .env("CONFQ_REDIS_URL", redis_url())
        .output()
        .unwrap();
    let code = String::from_utf8_lossy(&piped.stdout).trim().to_owned();
    let text = String::from_utf8_lossy(&piped.stderr);
    assert_eq!(code, "0", "{text}");
    assert!(!text.contains("panicked"), "{text}");
}

#[test]
fn empty_settings_fall_back_to_their_defaults_and_bad_ones_are_usage_errors() {
    let env = Env::new();
    let output = env
        .command()
        .env("CONFQ_DATABASE_URL", "")
        .env("CONFQ_STORAGE_URL", "")
        .args(["status", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("run 1 does not exist"),
        "the SQLite default was used: {}",
        stderr(&output)
    );

    let prefix = env
        .command()
        .env("CONFQ_KEY_PREFIX", "bad prefix{x}")
        .args(["metrics"])
        .output()
        .unwrap();
    assert_eq!(prefix.status.code(), Some(2), "{}", stderr(&prefix));
    assert!(
        stderr(&prefix).contains("CONFQ_KEY_PREFIX"),
        "{}",
        stderr(&prefix)
    );
}

#[test]
fn no_migrate_on_a_fresh_database_says_to_migrate() {
    let env = Env::new();
    let output = env.run(&["status", "1", "--no-migrate"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("run `confq migrate`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_heartbeat_no_shorter_than_the_lease_is_refused() {
    let env = Env::new();
    let text = worker_refuses(
        &env,
        &[("CONFQ_HEARTBEAT_SECS", "500"), ("CONFQ_LEASE_SECS", "120")],
    );
    assert!(
        text.contains("CONFQ_HEARTBEAT_SECS") && text.contains("CONFQ_LEASE_SECS"),
        "{text}"
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
