//! Credentials never reach the terminal: a one-line failure of the real `confq` binary naming a
//! database or Redis URL hides both the user-info password and secret query parameters.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::Env;

/// Runs `confq ARGS` with `variable` set to `url`; returns its stderr after checking the exit.
fn failing(variable: &str, url: &str, args: &[&str]) -> String {
    let env = Env::new("redaction");
    let output = env
        .command()
        .env(variable, url)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        !stderr.contains("s3cret") && !stderr.contains("hunter2"),
        "a secret is printed: {stderr}"
    );
    stderr
}

#[test]
fn an_unreachable_database_is_named_without_its_secrets() {
    let stderr = failing(
        "CONFQ_DATABASE_URL",
        "postgres://confq:s3cret@127.0.0.1:1/confq?sslmode=disable&password=hunter2",
        &["migrate"],
    );
    assert!(
        stderr.contains("postgres://confq:***@127.0.0.1:1/confq?sslmode=disable&password=***"),
        "{stderr}"
    );
    assert!(stderr.contains("check CONFQ_DATABASE_URL"), "{stderr}");
}

#[test]
fn an_unreachable_redis_is_named_without_its_secrets() {
    let stderr = failing(
        "CONFQ_REDIS_URL",
        "redis://app:s3cret@127.0.0.1:1/0?token=hunter2",
        &["enqueue", "confq.noop", "{}"],
    );
    assert!(
        stderr.contains("redis://app:***@127.0.0.1:1/0?token=***"),
        "{stderr}"
    );
}
