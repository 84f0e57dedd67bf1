//! Test harness of ingestion: the runtime's harness (`worker/tests/common`: a broker under a random
//! key prefix, fast worker settings, queue helpers) plus a SQLite store and file storage in a temp
//! dir, and helpers to submit archives and run an in-process worker with `ingest.parse_upload`.

#![allow(dead_code, missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../worker/tests/common/mod.rs"]
pub mod runtime;

use std::ops::Deref;
use std::time::Duration;

use broker::Envelope;
use entity::storage::Storage;
use entity::store::{NewRun, Run, RunId, RunSource, RunStatus, Store};
use serde_json::{Map, json};
use splunk::archive::Limits;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use worker::{RunnerStats, Shutdown, WorkerConfig};

pub const EXAMPLE_TGZ: &[u8] = include_bytes!("../../../examples/splunk-apps.tgz");
pub const EXAMPLE_ZIP: &[u8] = include_bytes!("../../../examples/splunk-apps.zip");
/// Files and stanzas (counting the one pre-header pseudo-stanza) in the example package.
pub const EXAMPLE_FILES: i64 = 15;
pub const EXAMPLE_STANZAS: i64 = 31;

pub struct Harness {
    runtime: runtime::Harness,
    pub store: Store,
    pub storage: Storage,
    _dir: tempfile::TempDir,
}

/// The runtime's harness: `broker`, `queue`, `worker_config`, `enqueue`, `wait_stats`, ...
impl Deref for Harness {
    type Target = runtime::Harness;

    fn deref(&self) -> &runtime::Harness {
        &self.runtime
    }
}

impl Harness {
    pub async fn new() -> Self {
        Self::with_database(None).await
    }

    /// A harness on `database_url`, or a fresh SQLite file when `None`.
    pub async fn with_database(database_url: Option<String>) -> Self {
        let runtime = runtime::Harness::new().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let url = database_url.unwrap_or_else(|| testenv::db::sqlite_url(dir.path()));
        let store = Store::connect(&url).await.expect("database");
        store.migrate().await.expect("migrations");
        let storage = Storage::from_url(&format!("file://{}/uploads", dir.path().display()))
            .expect("storage");
        Self {
            runtime,
            store,
            storage,
            _dir: dir,
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
                queue: None,
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

    /// Starts an in-process worker with `config` and every built-in task, ingestion included.
    pub async fn start_worker(&self, config: WorkerConfig) -> (Shutdown, JoinHandle<RunnerStats>) {
        let registry = ingest::builtin(self.store.clone(), self.storage.clone(), Limits::default());
        self.runtime.start_runner(registry, config).await
    }

    /// Starts the reaper loop with its database side until the returned token is cancelled.
    pub fn start_reaper(&self) -> CancellationToken {
        let stop = CancellationToken::new();
        tokio::spawn(ingest::reaping::run(
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
        testenv::wait::until(
            limit,
            &format!("run {id} to reach the expected state"),
            || async {
                let run = self
                    .store
                    .run(id)
                    .await
                    .expect("read run")
                    .expect("run exists");
                if done(&run) {
                    Ok(run)
                } else {
                    Err(format!("{:?}: {run:?}", run.status))
                }
            },
        )
        .await
    }

    /// Deletes every key under this harness's prefix.
    pub async fn cleanup(self) {
        self.runtime.cleanup().await;
    }
}
