//! A private `redis-server` for `confq dev` and `confq ingest` when none answers: data under the
//! data dir, a free loopback port, stopped when the process exits.
//!
//! While it runs, its URL is recorded in `<data dir>/redis/server.url`, so every other `confq`
//! command started with the same data dir finds it when no Redis answers at `CONFQ_REDIS_URL`
//! (the README's tour: `confq dev &` then `confq enqueue …`, `confq dead list`, on a machine with
//! nothing on 6379). The file goes when the server stops; a stale one (a killed process) is
//! ignored because nothing answers at its URL.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::exit::Failure;

/// A running private Redis; killed on drop.
pub(crate) struct PrivateRedis {
    child: Child,
    /// Its URL, `redis://127.0.0.1:<port>`.
    pub url: String,
    /// Where its URL is recorded for other commands of the same data dir.
    record: PathBuf,
}

/// The file that records the URL of the private Redis of `data_dir`.
pub(crate) fn record_path(data_dir: &Path) -> PathBuf {
    data_dir.join("redis").join("server.url")
}

/// The URL of the private Redis recorded in `data_dir`, if a `confq dev` or `confq ingest` of
/// this data dir has one running (or left a stale record behind: the caller checks it answers).
pub(crate) fn recorded_url(data_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(record_path(data_dir)).ok()?;
    let url = text.trim();
    // Only a loopback URL of our own making is trusted from the file.
    url.strip_prefix("redis://127.0.0.1:")
        .is_some_and(|port| port.parse::<u16>().is_ok())
        .then(|| url.to_owned())
}

impl PrivateRedis {
    /// Starts `redis-server` from PATH with its files in `<data_dir>/redis`.
    ///
    /// # Errors
    /// When no `redis-server` is on PATH or it does not answer within five seconds.
    pub(crate) async fn start(data_dir: &Path) -> Result<Self, Failure> {
        let dir = data_dir.join("redis");
        std::fs::create_dir_all(&dir).map_err(|error| {
            Failure::runtime(format!("cannot create {}: {error}", dir.display()))
        })?;
        let port = free_port()?;
        let child = Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "yes",
            ])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| {
                Failure::runtime(format!(
                    "cannot start redis-server ({error}) — install Redis or set CONFQ_REDIS_URL"
                ))
            })?;
        let url = format!("redis://127.0.0.1:{port}");
        let server = Self {
            child,
            url,
            record: record_path(data_dir),
        };
        server.wait_until_ready().await?;
        server.write_record();
        Ok(server)
    }

    /// Records the URL for other commands of this data dir; written whole, then renamed into
    /// place, so a reader never sees half a URL. A failure only costs the discovery.
    fn write_record(&self) {
        let partial = self.record.with_extension("url.partial");
        let written = std::fs::write(&partial, format!("{}\n", self.url))
            .and_then(|()| std::fs::rename(&partial, &self.record));
        if let Err(error) = written {
            tracing::warn!(%error, path = %self.record.display(),
                "cannot record the private Redis URL; other confq commands will not find it");
        }
    }

    /// Removes the record if it still names this server (a newer one may have replaced it).
    fn remove_record(&self) {
        let ours = std::fs::read_to_string(&self.record).is_ok_and(|text| text.trim() == self.url);
        if ours {
            let _ = std::fs::remove_file(&self.record);
        }
    }

    async fn wait_until_ready(&self) -> Result<(), Failure> {
        let address = self.url.trim_start_matches("redis://").to_owned();
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(&address).await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(Failure::runtime(format!(
            "the private redis-server at {} did not answer",
            self.url
        )))
    }

    /// Stops the server and waits for it.
    pub(crate) async fn stop(mut self) {
        self.remove_record();
        let _ = self.child.kill().await;
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        // `stop` removed it already on the normal path; this covers early returns.
        self.remove_record();
    }
}

fn free_port() -> Result<u16, Failure> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|error| {
            Failure::runtime(format!(
                "no free loopback port for a private Redis: {error}"
            ))
        })
}
