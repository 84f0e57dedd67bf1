//! A deployment's processes for the benches that go through the API: one `confq api` on a free
//! port, one `confq reaper` (due retries, expired leases) and N `confq worker` processes, all on
//! one database, logs discarded.

use std::process::Child;
use std::time::{Duration, Instant};

use super::{Deployment, Failure, stop};

/// The running processes.
pub struct Fleet {
    /// `http://127.0.0.1:<port>` of the API.
    pub base: String,
    api: Child,
    workers: Vec<Child>,
}

impl Fleet {
    /// `confq migrate`, then the API, a reaper and `workers` workers on `database_url`; returns
    /// once the API answers `/readyz`.
    pub async fn start(
        deployment: &Deployment,
        database_url: &str,
        workers: usize,
        http: &reqwest::Client,
    ) -> Result<Self, Failure> {
        let status = deployment
            .command("warn")
            .env("CONFQ_DATABASE_URL", database_url)
            .arg("migrate")
            .status()?;
        if !status.success() {
            return Err(format!("confq migrate: {status}").into());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let bind = format!("127.0.0.1:{port}");
        let api = deployment
            .command("warn")
            .env("CONFQ_DATABASE_URL", database_url)
            .env("CONFQ_BIND", &bind)
            .env("CONFQ_MAX_UPLOAD_BYTES", "1073741824")
            .args(["--no-migrate", "api"])
            .spawn()?;
        let mut fleet = Self {
            base: format!("http://{bind}"),
            api,
            workers: Vec::new(),
        };
        fleet.workers.push(
            deployment
                .command("warn")
                .env("CONFQ_DATABASE_URL", database_url)
                .args(["--no-migrate", "reaper"])
                .spawn()?,
        );
        for _ in 0..workers {
            fleet.workers.push(
                deployment
                    .command("warn")
                    .env("CONFQ_DATABASE_URL", database_url)
                    .args(["--no-migrate", "worker"])
                    .spawn()?,
            );
        }
        fleet.wait_ready(http).await?;
        Ok(fleet)
    }

    async fn wait_ready(&mut self, http: &reqwest::Client) -> Result<(), Failure> {
        let began = Instant::now();
        loop {
            let ready = http.get(format!("{}/readyz", self.base)).send().await;
            if ready.is_ok_and(|response| response.status().is_success()) {
                return Ok(());
            }
            if let Some(status) = self.api.try_wait()? {
                return Err(format!("confq api exited: {status}").into());
            }
            if began.elapsed() > Duration::from_secs(60) {
                return Err("confq api was not ready within 60 s".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Fails when a process exited on its own.
    pub fn check(&mut self) -> Result<(), Failure> {
        for process in std::iter::once(&mut self.api).chain(&mut self.workers) {
            if let Some(status) = process.try_wait()? {
                return Err(format!("a confq process exited early: {status}").into());
            }
        }
        Ok(())
    }

    /// SIGTERM to every process, then waits for them.
    pub fn stop(self) -> Result<(), Failure> {
        for worker in self.workers {
            stop(worker)?;
        }
        stop(self.api)
    }
}
