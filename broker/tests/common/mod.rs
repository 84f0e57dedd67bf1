//! Shared helpers of the Redis tests: a random key prefix per test, fast configs, a private server.
//!
//! With `CONFQ_TEST_REDIS_CLUSTER=1` every test of the binary runs against one local Redis
//! Cluster (3 masters, 3 replicas, `testenv::cluster`) started on first use and shared through a
//! `OnceLock`; each test still has its own key prefix.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use broker::{
    Broker, BrokerConfig, DeadLetter, Envelope, QueueName, Reaper, RedisConnection, RetryDecider,
    WorkerId,
};
use serde_json::json;
use testenv::cluster::Cluster;

/// Whether this run targets a Redis Cluster (`CONFQ_TEST_REDIS_CLUSTER=1`).
pub fn cluster_mode() -> bool {
    std::env::var("CONFQ_TEST_REDIS_CLUSTER").is_ok_and(|v| v == "1")
}

/// The local cluster of this test binary, started on first use.
pub fn shared_cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(Cluster::start)
}

/// The Redis of the tests: the shared local cluster in cluster mode, else `CONFQ_TEST_REDIS_URL`.
pub fn redis_url() -> String {
    if cluster_mode() {
        return shared_cluster().url();
    }
    std::env::var("CONFQ_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Millisecond-level timings and a prefix no other test uses.
pub fn fast_config(url: &str) -> BrokerConfig {
    BrokerConfig {
        redis_url: url.to_owned(),
        key_prefix: format!("test-{}", uuid::Uuid::new_v4().simple()),
        lease: Duration::from_millis(300),
        orphan_grace: Duration::from_millis(300),
        reaper_interval: Duration::from_millis(50),
        block_timeout: Duration::from_millis(100),
        ..BrokerConfig::default()
    }
}

pub async fn broker_with(config: BrokerConfig) -> Broker {
    Broker::connect(config)
        .await
        .expect("connect to the test Redis")
}

pub async fn broker() -> Broker {
    broker_with(fast_config(&redis_url())).await
}

pub fn queue() -> QueueName {
    QueueName::parse("ingest").expect("a valid queue name")
}

pub fn task(i: usize) -> Envelope {
    let args = json!({"i": i}).as_object().cloned().unwrap_or_default();
    Envelope::new("confq.noop", args)
}

/// The newest (up to 100) dead letters of the default queue.
pub async fn dead_letters(b: &Broker) -> Vec<DeadLetter> {
    let page = b.dead_letters().list(&queue(), None, 100).await;
    page.expect("list dead letters").items
}

/// The tests' retry policy: `max_retries` retries (unless the envelope says otherwise), each at
/// once, counted like the worker's policy counts them (`Envelope::retries`).
#[derive(Debug)]
pub struct Immediate {
    pub max_retries: u32,
}

impl RetryDecider for Immediate {
    fn retry_delay(&self, envelope: &Envelope, _error_type: &str) -> Option<Duration> {
        let limit = envelope.max_retries.unwrap_or(self.max_retries);
        (envelope.retries() <= limit).then_some(Duration::ZERO)
    }
}

/// A reaper of the default queue retrying 3 times at once.
pub fn reaper(b: &Broker) -> Reaper {
    reaper_retrying(b, 3)
}

/// A reaper of the default queue retrying `max_retries` times at once.
pub fn reaper_retrying(b: &Broker, max_retries: u32) -> Reaper {
    Reaper::new(
        b.clone(),
        vec![queue()],
        std::sync::Arc::new(Immediate { max_retries }),
    )
}

pub fn worker() -> WorkerId {
    WorkerId::generate("test")
}

/// A plain connection for seeding and inspecting keys as another client would (a cluster
/// connection when the broker's URL is a node list).
pub async fn raw(broker: &Broker) -> RedisConnection {
    raw_url(&broker.config().redis_url).await
}

/// A plain connection to `url` (standalone) or to the cluster a comma-separated `url` lists.
pub async fn raw_url(url: &str) -> RedisConnection {
    if url.contains(',') {
        let seeds: Vec<&str> = url.split(',').filter(|s| !s.is_empty()).collect();
        let client = redis::cluster::ClusterClient::builder(seeds)
            .response_timeout(Duration::from_secs(5))
            .build()
            .expect("cluster client");
        let con = client
            .get_async_connection()
            .await
            .expect("raw cluster connection");
        return RedisConnection::Cluster(con);
    }
    let client = redis::Client::open(url).expect("url");
    let con = client
        .get_multiplexed_async_connection()
        .await
        .expect("raw connection");
    RedisConnection::Dedicated(con)
}

/// Deletes every key of the test's prefix.
pub async fn cleanup(broker: &Broker) {
    let mut con = raw(broker).await;
    let pattern = format!("{}:*", broker.config().key_prefix);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(pattern)
        .query_async(&mut con)
        .await
        .unwrap_or_default();
    if !keys.is_empty() {
        let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query_async(&mut con).await;
    }
}

/// A `redis-server` of the test's own, on a free port, persisting to an AOF in a temp dir.
pub struct PrivateRedis {
    pub port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl PrivateRedis {
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut me = Self {
            port,
            child: None,
            dir,
        };
        me.spawn();
        me
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let child = Command::new(testenv::need(testenv::deps::redis_server()))
            .args([
                "--port",
                &self.port.to_string(),
                "--save",
                "",
                "--appendonly",
                "yes",
            ])
            .args(["--appendfsync", "always", "--dir"])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        wait_for_port(self.port, self.dir.path());
    }

    /// Graceful stop (SIGTERM flushes the AOF), then a fresh process on the same port and dir.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_for_port(port: u16, _dir: &Path) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("redis-server did not start on port {port}");
}
