//! The harness of the CLI tests: a temp data dir and a Redis key prefix per test, and the
//! `confq` binary run with only those in its environment.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The README's example archive.
pub(crate) const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/splunk-apps.tgz");

/// A temp data dir and a Redis key prefix for one test.
pub(crate) struct Env {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) prefix: String,
}

impl Env {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            prefix: testenv::redis::prefix("confq-cli"),
        }
    }

    pub(crate) fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub(crate) fn command(&self) -> Command {
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

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run confq")
    }

    pub(crate) fn json(&self, args: &[&str]) -> Value {
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

/// The tests' Redis.
pub(crate) fn redis_url() -> String {
    std::env::var("CONFQ_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// The process's stderr as text.
pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
