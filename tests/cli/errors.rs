//! Exit codes and the one-line errors: usage errors, unreachable services, bad settings.

use std::process::Command;

use crate::env::{Env, redis_url, stderr};

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
