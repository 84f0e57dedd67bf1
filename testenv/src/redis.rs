//! Redis for tests: the shared server (or, with `CONFQ_TEST_REDIS_CLUSTER=1`, a local cluster
//! shared by the tests of one binary) isolated by a key prefix per test, and a private
//! `redis-server` of a test's own on a free port, which it may stop, kill and restart.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use crate::cluster::Cluster;
use crate::{deps, need, wait};

/// Whether this run targets a Redis Cluster (`CONFQ_TEST_REDIS_CLUSTER=1`).
pub fn cluster_mode() -> bool {
    std::env::var("CONFQ_TEST_REDIS_CLUSTER").is_ok_and(|v| v == "1")
}

/// The local cluster of this test binary, started on first use.
pub fn shared_cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(Cluster::start)
}

/// The Redis of the tests: the shared local cluster in cluster mode, else [`standalone_url`].
pub fn url() -> String {
    if cluster_mode() {
        return shared_cluster().url();
    }
    standalone_url()
}

/// The shared standalone server: `CONFQ_TEST_REDIS_URL`, by default `redis://127.0.0.1:6379`.
pub fn standalone_url() -> String {
    std::env::var("CONFQ_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A key prefix no other test uses: `<name>-<random hex>`.
pub fn prefix(name: &str) -> String {
    format!("{name}-{}", uuid::Uuid::new_v4().simple())
}

/// Deletes every key under `prefix` (`prefix:*`) at `url`; a comma-separated `url` is a cluster
/// (`KEYS` asks every master, `DEL` is split by slot). Best effort: errors are ignored.
pub async fn delete_prefix(url: &str, prefix: &str) {
    let pattern = format!("{prefix}:*");
    if url.contains(',') {
        let seeds: Vec<&str> = url.split(',').filter(|s| !s.is_empty()).collect();
        let Ok(client) = ::redis::cluster::ClusterClient::new(seeds) else {
            return;
        };
        if let Ok(mut con) = client.get_async_connection().await {
            delete_matching(&mut con, &pattern).await;
        }
    } else if let Ok(client) = ::redis::Client::open(url)
        && let Ok(mut con) = client.get_multiplexed_async_connection().await
    {
        delete_matching(&mut con, &pattern).await;
    }
}

/// [`delete_prefix`] from synchronous code (a `Drop`), on a thread with its own runtime.
pub fn delete_prefix_blocking(url: &str, prefix: &str) {
    let (url, prefix) = (url.to_owned(), prefix.to_owned());
    crate::block_on_thread(async move { delete_prefix(&url, &prefix).await });
}

async fn delete_matching(con: &mut impl ::redis::aio::ConnectionLike, pattern: &str) {
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg(pattern)
        .query_async(con)
        .await
        .unwrap_or_default();
    if !keys.is_empty() {
        let _: ::redis::RedisResult<()> = ::redis::cmd("DEL").arg(keys).query_async(con).await;
    }
}

/// A `redis-server` of the test's own on a free port, persisting to an AOF in its directory
/// (log in `server.log` there), so that a graceful [`Server::stop`] and [`Server::restart`]
/// keep every write. Killed when dropped.
#[derive(Debug)]
pub struct Server {
    port: u16,
    child: Option<Child>,
    dir: PathBuf,
    appendfsync: &'static str,
    _temp: Option<tempfile::TempDir>,
}

impl Server {
    /// A server in a temp dir with `appendfsync always`; waits until it answers `PING`.
    ///
    /// # Panics
    /// When `redis-server` is missing or does not answer within [`wait::LONG`].
    pub fn start() -> Self {
        let temp = tempfile::tempdir().expect("temp dir");
        Self::launch(temp.path().to_owned(), "always", Some(temp))
    }

    /// A server whose files stay in `dir` (created if needed), with `appendfsync` as given
    /// (`always`, `everysec`, `no`); waits until it answers `PING`.
    ///
    /// # Panics
    /// As [`Server::start`].
    pub fn start_in(dir: &Path, appendfsync: &'static str) -> Self {
        std::fs::create_dir_all(dir).expect("the redis-server's dir");
        Self::launch(dir.to_owned(), appendfsync, None)
    }

    fn launch(dir: PathBuf, appendfsync: &'static str, temp: Option<tempfile::TempDir>) -> Self {
        let mut server = Self {
            port: crate::free_port(),
            child: None,
            dir,
            appendfsync,
            _temp: temp,
        };
        server.spawn();
        server
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Graceful stop (SIGTERM: the AOF is flushed), waiting for the process to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    /// Abrupt stop (SIGKILL: with `appendfsync everysec` the last second of writes may be
    /// lost), waiting for the process to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server gracefully (if it runs), then starts a fresh process on the same port
    /// and directory, which replays the AOF.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    fn spawn(&mut self) {
        let child = Command::new(need(deps::redis_server()))
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "yes"])
            .args(["--appendfsync", self.appendfsync, "--logfile", "server.log"])
            .arg("--dir")
            .arg(&self.dir)
            .current_dir(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        let what = format!(
            "the private redis-server on port {} to answer PING",
            self.port
        );
        wait::until_blocking(wait::LONG, &what, || pong(self.port));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether a server on `port` answers `PING` (not while it is still loading its AOF).
fn pong(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut answer = [0_u8; 5];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && &answer == b"+PONG"
}
