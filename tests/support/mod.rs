//! Shared harness of the process and chaos tests: an isolated confq deployment (temp data dir,
//! random key prefix, short leases) whose workers, reapers and CLI calls are real `confq`
//! processes, plus direct reads of its database and broker counters.

#![allow(dead_code, missing_docs)]

pub mod archive;
pub mod compose;
pub mod db;
pub mod process;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use broker::keys::QueueKeys;
use serde_json::Value;

#[allow(unused_imports)]
pub use process::{Proc, free_port, redis_server};

/// The shared Redis of the test machine (overridable).
pub use testenv::redis::standalone_url as redis_url;
/// Polls a check until it gives a value; panics naming what was awaited after the timeout.
#[allow(unused_imports)]
pub use testenv::wait::until_blocking as wait_for;

/// One isolated deployment.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub prefix: String,
    pub redis_url: String,
    /// `None`: SQLite in the data dir.
    pub database_url: Option<String>,
    /// Extra variables for every process (storage, AWS, …).
    pub vars: Vec<(String, String)>,
    spawned: usize,
}

impl Env {
    /// A deployment on the shared Redis with a fresh SQLite database.
    pub fn new(name: &str) -> Self {
        let prefix = testenv::redis::prefix(&format!("confq-{name}"));
        let mut dir = tempfile::tempdir().expect("temp dir");
        if std::env::var_os("CONFQ_TEST_KEEP").is_some() {
            // For post-mortems: logs, database and archives stay behind.
            dir.disable_cleanup(true);
            eprintln!("{name}: keeping {}", dir.path().display());
            eprintln!("{name}: key prefix {prefix}");
        }
        Self {
            dir,
            prefix,
            redis_url: redis_url(),
            database_url: None,
            vars: vec![
                ("CONFQ_LEASE_SECS".into(), "2".into()),
                ("CONFQ_HEARTBEAT_SECS".into(), "0.3".into()),
                ("CONFQ_REAPER_INTERVAL_SECS".into(), "0.2".into()),
                ("CONFQ_RETRY_BACKOFF".into(), "0.1,0.2".into()),
            ],
            spawned: 0,
        }
    }

    /// Sets (or replaces) a variable for every later process.
    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        self.vars.retain(|(key, _)| key != name);
        self.vars.push((name.into(), value.into()));
        self
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}/confq.db?mode=rwc", self.data_dir().display()))
    }

    /// A `confq` command with this deployment's settings and nothing else from the environment.
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_confq"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CONFQ_DATA_DIR", self.data_dir())
            .env("CONFQ_KEY_PREFIX", &self.prefix)
            .env("CONFQ_REDIS_URL", &self.redis_url)
            .env("CONFQ_DATABASE_URL", self.database_url())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null());
        for (name, value) in &self.vars {
            command.env(name, value);
        }
        command
    }

    /// Applies the migrations once, so that the processes can start with `--no-migrate`.
    pub fn migrate(&self) {
        std::fs::create_dir_all(self.data_dir()).expect("data dir");
        let output = self
            .command()
            .arg("migrate")
            .output()
            .expect("confq migrate");
        assert!(
            output.status.success(),
            "confq migrate: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Starts a long-running `confq` process (`worker …`, `reaper`, `api`), logging to a file.
    pub fn spawn(&mut self, name: &str, args: &[&str]) -> Proc {
        self.spawned += 1;
        let logs = self.dir.path().join("logs");
        std::fs::create_dir_all(&logs).expect("logs dir");
        let log = logs.join(format!("{name}-{}.log", self.spawned));
        let mut command = self.command();
        command.arg("--no-migrate").args(args);
        Proc::spawn(command, name, log)
    }

    /// A worker with `concurrency` slots.
    pub fn worker(&mut self, concurrency: usize, extra: &[&str]) -> Proc {
        let concurrency = concurrency.to_string();
        let mut args = vec!["worker", "--concurrency", &concurrency];
        args.extend_from_slice(extra);
        self.spawn("worker", &args)
    }

    /// A reaper.
    pub fn reaper(&mut self) -> Proc {
        self.spawn("reaper", &["reaper"])
    }

    /// Runs a one-shot `confq` command and parses its JSON output.
    pub fn json(&self, args: &[&str]) -> Value {
        let output = self
            .command()
            .arg("--no-migrate")
            .args(args)
            .output()
            .expect("run confq");
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

    /// `confq ingest FILES --json` (no wait): the new run ids.
    pub fn ingest(&self, files: &[String]) -> Vec<i64> {
        let mut ids = Vec::new();
        for chunk in files.chunks(200) {
            let mut args = vec!["ingest", "--json"];
            args.extend(chunk.iter().map(String::as_str));
            let submitted = self.json(&args);
            ids.extend(
                submitted["runs"]
                    .as_array()
                    .expect("runs")
                    .iter()
                    .map(|run| run["run_id"].as_i64().expect("run_id")),
            );
        }
        ids
    }

    /// `confq enqueue TASK ARGS`: the task id.
    pub fn enqueue(&self, task: &str, args: &str) -> String {
        let output = self
            .command()
            .args(["enqueue", task, args])
            .output()
            .expect("confq enqueue");
        assert!(
            output.status.success(),
            "enqueue: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// `confq status RUN --json`.
    pub fn status(&self, run: i64) -> Value {
        self.json(&["status", &run.to_string(), "--json"])
    }

    /// The Redis keys of the default queue `ingest` under this deployment's prefix.
    pub fn keys(&self) -> QueueKeys {
        QueueKeys::new(&self.prefix, &protocol::default_queue())
    }

    /// The queue depths of `ingest`: pending, processing, delayed, dead, workers.
    pub fn queue(&self) -> Value {
        self.json(&["metrics", "--json"])["queues"]["ingest"].clone()
    }

    /// `confq dead list --json` items.
    pub fn dead(&self) -> Vec<Value> {
        self.json(&["dead", "list", "--json"])["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// A broker counter of the queue (`processed`, `failed`, `expired`, …) read with redis-cli
    /// (in cluster mode, `-c`, from the first node of a comma-separated list that answers).
    pub fn counter(&self, name: &str) -> i64 {
        let key = self.keys().stats;
        self.redis_cli(&["HGET", &key, name])
            .trim()
            .parse()
            .unwrap_or(0)
    }

    /// Every field and value of the hash `key` (`HGETALL`, values on one line each).
    pub fn hash(&self, key: &str) -> Vec<(String, String)> {
        let text = self.redis_cli(&["HGETALL", key]);
        let lines: Vec<&str> = text.lines().collect();
        lines
            .chunks_exact(2)
            .map(|pair| (pair[0].to_owned(), pair[1].to_owned()))
            .collect()
    }

    /// What redis-cli `--raw` prints for `args` (in cluster mode, `-c`, from the first node of a
    /// comma-separated list that answers); empty when no node answers.
    pub fn redis_cli(&self, args: &[&str]) -> String {
        let cluster = self.redis_url.contains(',');
        for url in self.redis_url.split(',').filter(|u| !u.is_empty()) {
            let mut command = Command::new("redis-cli");
            if cluster {
                command.arg("-c");
            }
            let output = command
                .args(["-u", url, "--raw"])
                .args(args)
                .output()
                .expect("redis-cli");
            let text = String::from_utf8_lossy(&output.stdout);
            if output.status.success() && !text.contains("Could not connect") {
                return text.into_owned();
            }
        }
        String::new()
    }

    /// The run the worker created for task `task_id` (a producer's `{"object","filename"}`
    /// task), if any yet.
    pub fn stored_run(&self, task_id: &str) -> Option<entity::store::Run> {
        let task_id = uuid::Uuid::parse_str(task_id).expect("a task id");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let store = entity::store::Store::connect(&self.database_url())
                .await
                .expect("the store");
            store.run_by_task(task_id).await.expect("a run lookup")
        })
    }

    /// A direct view of the database.
    pub fn db(&self) -> db::Db {
        db::Db::connect(&self.database_url())
    }

    /// Writes `bytes` as `name` in the temp dir and returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> String {
        archive::write(&self.dir.path().join(name), bytes)
    }
}

impl Drop for Env {
    /// Deletes this deployment's Redis keys (best effort) unless `CONFQ_TEST_KEEP` is set.
    fn drop(&mut self) {
        if std::env::var_os("CONFQ_TEST_KEEP").is_some() {
            return;
        }
        testenv::redis::delete_prefix_blocking(&self.redis_url, &self.prefix);
    }
}

/// curl with a 10 s limit; the body on an HTTP success.
pub fn curl(args: &[&str]) -> Option<String> {
    let output = Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .args(args)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}
