//! The bench's test bed: a broker on the local Redis under a random key prefix, a fresh SQLite
//! file or PostgreSQL database, file storage in a temp dir, and one in-process worker.

use std::path::Path;
use std::time::{Duration, Instant};

use broker::{Broker, BrokerConfig, QueueName};
use entity::storage::Storage;
use entity::store::{Run, RunId, RunSource, Store};
use entity::submit::{Intake, Submission};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use splunk::archive::Limits;
use worker::{Runner, RunnerStats, Shutdown, WorkerConfig};

use crate::Failure;

/// Where the runs and results go.
#[derive(Clone, Copy, Debug)]
pub enum Db {
    /// A SQLite file in the bed's temp dir.
    Sqlite,
    /// A fresh `confq_bench_<random>` database, dropped at the end.
    Postgres,
}

/// Everything one ingestion phase needs.
pub struct Bed {
    broker: Broker,
    store: Store,
    storage: Storage,
    queue: QueueName,
    prefix: String,
    postgres: Option<(DatabaseConnection, String)>,
    runs: Vec<RunId>,
    _dir: tempfile::TempDir,
}

fn redis_url() -> String {
    std::env::var("CONFQ_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

impl Bed {
    /// Connects everything; on PostgreSQL creates the scratch database first.
    pub async fn new(db: Db) -> Result<Self, Failure> {
        let dir = tempfile::tempdir()?;
        let prefix = format!("confq-bench-{}", uuid::Uuid::new_v4().simple());
        let broker = Broker::connect(BrokerConfig {
            redis_url: redis_url(),
            key_prefix: prefix.clone(),
            ..BrokerConfig::default()
        })
        .await?;
        let (url, postgres) = match db {
            Db::Sqlite => (
                format!("sqlite://{}/confq.db?mode=rwc", dir.path().display()),
                None,
            ),
            Db::Postgres => {
                let admin_url = std::env::var("CONFQ_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
                let name = format!("confq_bench_{}", uuid::Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(&admin_url).await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                let base = admin_url.rsplit_once('/').map_or("", |(base, _)| base);
                (format!("{base}/{name}"), Some((admin, name)))
            }
        };
        let store = Store::connect(&url).await?;
        store.migrate().await?;
        let storage = Storage::from_url(&format!("file://{}/uploads", dir.path().display()))?;
        Ok(Self {
            broker,
            store,
            storage,
            queue: protocol::default_queue(),
            prefix,
            postgres,
            runs: Vec::new(),
            _dir: dir,
        })
    }

    /// Uploads the archive at `path` into the storage (streamed), creates its run and enqueues
    /// the ingest task, as `confq ingest` does.
    pub async fn submit(&mut self, path: &Path) -> Result<(), Failure> {
        let file = tokio::fs::File::open(path).await?;
        let object = self.storage.put_stream(file, u64::MAX).await?;
        let producer = self.broker.producer();
        let intake = Intake {
            store: &self.store,
            storage: &self.storage,
            producer: &producer,
            queue: &self.queue,
        };
        let submission = Submission {
            filename: path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            object,
            source: RunSource::Cli,
        };
        let run = intake.submit(submission).await?;
        self.runs.push(run.id);
        Ok(())
    }

    /// Starts one worker (default settings: concurrency, lease, heartbeat), waits until every
    /// submitted run is final, stops the worker and returns the elapsed time and the runs.
    pub async fn ingest(&self) -> Result<(Duration, RunnerStats, Vec<Run>), Failure> {
        let config = WorkerConfig {
            queues: vec![self.queue.clone()],
            ..WorkerConfig::default()
        };
        let registry = ingest::builtin(self.store.clone(), self.storage.clone(), Limits::default());
        let started = Instant::now();
        let runner = Runner::new(
            &self.broker,
            registry,
            config,
            worker::registration::new_worker_id(),
        )
        .await?;
        let shutdown = Shutdown::new();
        let handle = tokio::spawn(runner.run(shutdown.clone()));
        let wanted = self.runs.len() as i64;
        loop {
            let counts = self.store.runs_by_status().await?;
            let done = counts.get("complete").copied().unwrap_or(0)
                + counts.get("failed").copied().unwrap_or(0);
            if done >= wanted {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let elapsed = started.elapsed();
        shutdown.graceful.cancel();
        let stats = handle.await??;
        let mut runs = Vec::with_capacity(self.runs.len());
        for id in &self.runs {
            runs.extend(self.store.run(*id).await?);
        }
        Ok((elapsed, stats, runs))
    }

    /// Deletes the bed's Redis keys and drops the scratch database.
    pub async fn close(self) -> Result<(), Failure> {
        let client = redis::Client::open(redis_url())?;
        let mut connection = client.get_multiplexed_async_connection().await?;
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}:*", self.prefix))
            .query_async(&mut connection)
            .await?;
        if !keys.is_empty() {
            let () = redis::cmd("DEL")
                .arg(keys)
                .query_async(&mut connection)
                .await?;
        }
        drop(self.store);
        if let Some((admin, name)) = self.postgres {
            admin
                .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .await?;
        }
        Ok(())
    }
}
