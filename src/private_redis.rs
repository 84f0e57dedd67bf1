//! A private `redis-server` for `confq dev` and `confq ingest` when none answers: data under the
//! data dir, a free loopback port, stopped when the process exits.

use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::exit::Failure;

/// A running private Redis; killed on drop.
pub struct PrivateRedis {
    child: Child,
    /// Its URL, `redis://127.0.0.1:<port>`.
    pub url: String,
}

impl PrivateRedis {
    /// Starts `redis-server` from PATH with its files in `<data_dir>/redis`.
    ///
    /// # Errors
    /// When no `redis-server` is on PATH or it does not answer within five seconds.
    pub async fn start(data_dir: &Path) -> Result<Self, Failure> {
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
        let server = Self { child, url };
        server.wait_until_ready().await?;
        Ok(server)
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
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
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
