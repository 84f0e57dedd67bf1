//! What the root package's benches share: a deployment (a random Redis key prefix and a temp data
//! dir) whose `confq` processes they start, stop and clean up after.

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};

/// Any failure: the bench stops and prints it.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// One deployment: its key prefix, data dir and the settings every `confq` process gets.
pub struct Deployment {
    /// `CONFQ_REDIS_URL` of every process (default: the local Redis).
    pub redis_url: String,
    /// A random `CONFQ_KEY_PREFIX`, deleted afterwards.
    pub prefix: String,
    /// `CONFQ_DATA_DIR` (SQLite and the file storage).
    pub dir: tempfile::TempDir,
}

impl Deployment {
    /// A deployment on `CONFQ_REDIS_URL` (or the local Redis) under a fresh prefix.
    pub fn new(name: &str) -> Result<Self, Failure> {
        Ok(Self {
            redis_url: std::env::var("CONFQ_REDIS_URL")
                .unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
            prefix: format!("confq-{name}-{}", uuid::Uuid::new_v4().simple()),
            dir: tempfile::tempdir()?,
        })
    }

    /// A `confq` command with this deployment's environment only, stdio discarded.
    pub fn command(&self, rust_log: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_confq"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CONFQ_DATA_DIR", self.dir.path())
            .env("CONFQ_KEY_PREFIX", &self.prefix)
            .env("CONFQ_REDIS_URL", &self.redis_url)
            .env("RUST_LOG", rust_log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// A broker handle on this deployment's Redis and prefix.
    pub async fn broker(&self) -> Result<broker::Broker, Failure> {
        Ok(broker::Broker::connect(broker::BrokerConfig {
            redis_url: self.redis_url.clone(),
            key_prefix: self.prefix.clone(),
            ..broker::BrokerConfig::default()
        })
        .await?)
    }

    /// `confq migrate` once, so that workers start with `--no-migrate`.
    pub fn migrate(&self) -> Result<(), Failure> {
        let status = self.command("warn").arg("migrate").status()?;
        if !status.success() {
            return Err(format!("confq migrate: {status}").into());
        }
        Ok(())
    }

    /// Deletes the deployment's keys (its own random prefix) with redis-cli.
    pub fn delete_keys(&self) -> Result<(), Failure> {
        let script = "for _, key in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', key) end return 0";
        let pattern = format!("{}:*", self.prefix);
        let status = Command::new("redis-cli")
            .args(["-u", &self.redis_url, "EVAL", script, "0", &pattern])
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            return Err(format!("redis-cli could not delete {pattern}").into());
        }
        Ok(())
    }
}

/// SIGTERM (a graceful stop), then waits for the exit.
pub fn stop(mut process: Child) -> Result<(), Failure> {
    Command::new("kill")
        .args(["-TERM", &process.id().to_string()])
        .status()?;
    process.wait()?;
    Ok(())
}

/// `p` (0–100) of sorted `values` (nearest rank); 0 when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub mod fleet;
pub mod worker_log;
