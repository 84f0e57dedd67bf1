//! Reads the database the processes write, directly (not through the processes under test): runs,
//! and the stanza and file rows each run really has.

use std::collections::HashMap;

use entity::store::Store;
use sea_orm::{ConnectionTrait, EntityTrait, Statement};

/// One run row, as stored.
#[derive(Debug, Clone)]
pub struct RunRow {
    /// Run id.
    pub id: i64,
    /// Lowercase status.
    pub status: String,
    /// `retry_count` column.
    pub retry_count: i32,
    /// The fence.
    pub attempt: i32,
    /// `error_message`.
    pub error_message: Option<String>,
    /// `metrics.stanzas_created`, when set.
    pub stanzas_created: Option<i64>,
    /// `metrics.retry_count`, when set.
    pub metrics_retry_count: Option<i64>,
}

/// A read-only view of a confq database with its own runtime.
pub struct Db {
    runtime: tokio::runtime::Runtime,
    store: Store,
}

impl Db {
    /// Connects to `url` (migrations are the processes' business).
    pub fn connect(url: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let store = runtime
            .block_on(Store::connect(url))
            .expect("connect to the database");
        Self { runtime, store }
    }

    /// Every run, by id.
    pub fn runs(&self) -> HashMap<i64, RunRow> {
        let rows = self
            .runtime
            .block_on(entity::ingestion_run::Entity::find().all(self.store.connection()))
            .expect("read runs");
        rows.into_iter()
            .map(|row| {
                let stanzas_created = row
                    .metrics
                    .as_ref()
                    .and_then(|metrics| metrics.get("stanzas_created"))
                    .and_then(serde_json::Value::as_i64);
                let metrics_retry_count = row
                    .metrics
                    .as_ref()
                    .and_then(|metrics| metrics.get("retry_count"))
                    .and_then(serde_json::Value::as_i64);
                let run = RunRow {
                    id: row.id,
                    status: row.status,
                    retry_count: row.retry_count,
                    attempt: row.attempt,
                    error_message: row.error_message,
                    stanzas_created,
                    metrics_retry_count,
                };
                (run.id, run)
            })
            .collect()
    }

    /// Stanza rows per run id.
    pub fn stanza_counts(&self) -> HashMap<i64, i64> {
        self.counts("SELECT run_id, COUNT(*) FROM stanzas GROUP BY run_id")
    }

    /// File rows per run id.
    pub fn file_counts(&self) -> HashMap<i64, i64> {
        self.counts("SELECT run_id, COUNT(*) FROM conf_files GROUP BY run_id")
    }

    fn counts(&self, sql: &str) -> HashMap<i64, i64> {
        let connection = self.store.connection();
        let statement = Statement::from_string(connection.get_database_backend(), sql);
        let rows = self
            .runtime
            .block_on(connection.query_all_raw(statement))
            .expect("count rows");
        rows.iter()
            .map(|row| {
                (
                    row.try_get_by_index::<i64>(0).expect("run_id"),
                    row.try_get_by_index::<i64>(1).expect("count"),
                )
            })
            .collect()
    }
}
