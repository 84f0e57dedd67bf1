//! Test harness: a broker on the shared Redis under a random key prefix, a SQLite store and file
//! storage in a temp dir, and helpers to submit archives and run an in-process worker.

#![allow(dead_code, missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use broker::{Broker, BrokerConfig, Envelope, QueueName};
use entity::storage::Storage;
use entity::store::{NewRun, Run, RunId, RunSource, RunStatus, Store};
use serde_json::{Map, json};
use tokio::task::JoinHandle;
use worker::retry::RetryPolicy;
use worker::{Runner, RunnerStats, Shutdown, WorkerConfig};

pub const EXAMPLE_TGZ: &[u8] = include_bytes!("../../../examples/splunk-apps.tgz");
pub const EXAMPLE_ZIP: &[u8] = include_bytes!("../../../examples/splunk-apps.zip");
/// Files and stanzas (counting the one pre-header pseudo-stanza) in the example package.
pub const EXAMPLE_FILES: i64 = 15;
pub const EXAMPLE_STANZAS: i64 = 31;

pub struct Harness {
    pub broker: Broker,
    pub store: Store,
    pub storage: Storage,
    pub queue: QueueName,
    pub prefix: String,
    _dir: tempfile::TempDir,
}

/// `CONFQ_TEST_REDIS_URL`, or with `CONFQ_TEST_REDIS_CLUSTER=1` a local Redis Cluster shared by
/// the tests of this binary (`testenv::cluster`).
pub fn redis_url() -> String {
    if std::env::var("CONFQ_TEST_REDIS_CLUSTER").is_ok_and(|v| v == "1") {
        static CLUSTER: std::sync::OnceLock<testenv::cluster::Cluster> = std::sync::OnceLock::new();
        return CLUSTER.get_or_init(testenv::cluster::Cluster::start).url();
    }
    std::env::var("CONFQ_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

impl Harness {
    pub async fn new() -> Self {
        Self::with_database(None).await
    }

    /// A harness on `database_url`, or a fresh SQLite file when `None`.
    pub async fn with_database(database_url: Option<String>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let prefix = format!("confq-test-{}", uuid::Uuid::new_v4().simple());
        let broker = Broker::connect(BrokerConfig {
            redis_url: redis_url(),
            key_prefix: prefix.clone(),
            lease: Duration::from_millis(1500),
            orphan_grace: Duration::from_millis(500),
            reaper_interval: Duration::from_millis(100),
            ..BrokerConfig::default()
        })
        .await
        .expect("Redis must run on 127.0.0.1:6379 for these tests");
        let url = database_url
            .unwrap_or_else(|| format!("sqlite://{}/confq.db?mode=rwc", dir.path().display()));
        let store = Store::connect(&url).await.expect("database");
        store.migrate().await.expect("migrations");
        let storage = Storage::from_url(&format!("file://{}/uploads", dir.path().display()))
            .expect("storage");
        Self {
            broker,
            store,
            storage,
            queue: protocol::default_queue(),
            prefix,
            _dir: dir,
        }
    }

    /// Fast settings: 100 ms heartbeats, a 1.5 s lease, retries after 50/100/150 ms, no jitter.
    pub fn worker_config(&self) -> WorkerConfig {
        let mut retry =
            RetryPolicy::from_settings(3, [50, 100, 150].map(Duration::from_millis).to_vec());
        retry.jitter = 0.0;
        WorkerConfig {
            queues: vec![self.queue.clone()],
            concurrency: 2,
            heartbeat: Duration::from_millis(100),
            shutdown_grace: Duration::from_secs(2),
            retry,
            ..WorkerConfig::default()
        }
    }

    /// Stores `bytes`, creates a run and returns it with the envelope that would ingest it (not
    /// yet enqueued).
    pub async fn stage(&self, bytes: &[u8], filename: &str) -> (Run, Envelope) {
        let stored = self.storage.put_stream(bytes, u64::MAX).await.expect("put");
        let mut envelope = Envelope::new(protocol::PARSE_UPLOAD, Map::new());
        let run = self
            .store
            .create_run(NewRun {
                filename: filename.into(),
                object_key: stored.key,
                size_bytes: i64::try_from(stored.size_bytes).unwrap(),
                sha256: stored.sha256,
                source: RunSource::Cli,
                task_id: Some(envelope.id.0),
            })
            .await
            .expect("create run");
        envelope.args.insert("run_id".into(), json!(run.id.0));
        (run, envelope)
    }

    /// Stages and enqueues an archive.
    pub async fn submit(&self, bytes: &[u8], filename: &str) -> (Run, Envelope) {
        let (run, envelope) = self.stage(bytes, filename).await;
        self.push(&envelope).await;
        (run, envelope)
    }

    /// Enqueues `envelope` as it is on the harness's queue.
    pub async fn push(&self, envelope: &Envelope) {
        self.broker
            .producer()
            .enqueue(&self.queue, envelope)
            .await
            .expect("enqueue");
    }

    /// Starts an in-process worker with `config`.
    pub async fn start_worker(&self, config: WorkerConfig) -> (Shutdown, JoinHandle<RunnerStats>) {
        let registry = worker::tasks::builtin(
            self.store.clone(),
            self.storage.clone(),
            config.archive_limits,
        );
        let runner = Runner::new(
            &self.broker,
            registry,
            config,
            worker::registration::new_worker_id(),
        )
        .await
        .expect("runner");
        let shutdown = Shutdown::new();
        let handle = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { runner.run(shutdown).await.expect("runner run") }
        });
        (shutdown, handle)
    }

    /// Starts the reaper loop (with its database side) until the returned token is cancelled.
    pub fn start_reaper(&self) -> tokio_util::sync::CancellationToken {
        let stop = tokio_util::sync::CancellationToken::new();
        tokio::spawn(worker::reaping::run(
            self.broker.clone(),
            vec![self.queue.clone()],
            self.store.clone(),
            self.worker_config().retry,
            stop.clone(),
        ));
        stop
    }

    /// Waits until run `id` reaches a final status (complete or failed), or panics after `limit`.
    pub async fn wait_final(&self, id: RunId, limit: Duration) -> Run {
        self.wait_for(id, limit, |run| {
            matches!(run.status, RunStatus::Complete | RunStatus::Failed)
        })
        .await
    }

    /// Waits until `done(run)` holds, recording every status seen on the way.
    pub async fn wait_for(&self, id: RunId, limit: Duration, done: impl Fn(&Run) -> bool) -> Run {
        let deadline = Instant::now() + limit;
        loop {
            let run = self
                .store
                .run(id)
                .await
                .expect("read run")
                .expect("run exists");
            if done(&run) {
                return run;
            }
            assert!(
                Instant::now() < deadline,
                "run {id} stuck in {:?}: {run:?}",
                run.status
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Enqueues one task named `task` with JSON object `args`; returns its envelope.
    pub async fn enqueue(&self, task: &str, args: serde_json::Value) -> Envelope {
        let envelope = Envelope::new(task, args.as_object().cloned().unwrap_or_default());
        self.push(&envelope).await;
        envelope
    }

    /// Waits until the queue's stats satisfy `done`, or panics after `limit`.
    pub async fn wait_stats(
        &self,
        limit: Duration,
        done: impl Fn(&broker::QueueStats) -> bool,
    ) -> broker::QueueStats {
        let deadline = Instant::now() + limit;
        loop {
            let stats = self.broker.stats(&self.queue).await.expect("stats");
            if done(&stats) {
                return stats;
            }
            assert!(
                Instant::now() < deadline,
                "queue never reached the expected state: {stats:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The queue's first 100 dead letters.
    pub async fn dead_letters(&self) -> Vec<broker::DeadLetter> {
        self.broker
            .dead_letters()
            .list(&self.queue, None, 100)
            .await
            .expect("dead letters")
            .items
    }

    /// Deletes every key under this harness's prefix.
    pub async fn cleanup(self) {
        // The broker's connection: on a cluster, KEYS asks every master and DEL splits by slot.
        let mut connection = self.broker.connection();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}:*", self.prefix))
            .query_async(&mut connection)
            .await
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: Result<(), _> = redis::cmd("DEL")
                .arg(keys)
                .query_async(&mut connection)
                .await;
        }
    }
}
