//! Test databases: a temp SQLite file always, and a fresh PostgreSQL database per test when
//! `CONFQ_TEST_POSTGRES_URL` is set (created as `confq_test_<random>`, dropped afterwards).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use entity::Store;
use entity::store::{NewConfFile, NewRun, NewStanza, RunSource};
use testenv::db::Postgres;

/// One migrated database for a test; drops itself (PostgreSQL) when dropped.
pub struct TestDb {
    pub name: &'static str,
    pub url: String,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<Postgres>,
}

/// Every backend available here, migrated.
pub async fn backends() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    if let Some(db) = postgres().await {
        dbs.push(db);
    }
    for db in &dbs {
        db.store.migrate().await.expect("migrate");
    }
    dbs
}

/// A fresh, unmigrated SQLite database in a temp dir.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/nested/confq.db", dir.path().display());
    let store = Store::connect(&url).await.expect("connect sqlite");
    TestDb {
        name: "sqlite",
        url,
        store,
        _dir: Some(dir),
        _pg: None,
    }
}

/// A fresh, unmigrated PostgreSQL database, when `CONFQ_TEST_POSTGRES_URL` is set (under CI it
/// must be: see `testenv::optional`).
pub async fn postgres() -> Option<TestDb> {
    let pg = Postgres::optional().await?;
    let url = pg.url().to_owned();
    let store = Store::connect(&url).await.expect("connect postgres");
    Some(TestDb {
        name: "postgres",
        url,
        store,
        _dir: None,
        _pg: Some(pg),
    })
}

pub fn new_run(name: &str) -> NewRun {
    NewRun {
        filename: name.to_owned(),
        object_key: format!("uploads/2026/11/28/{name}"),
        size_bytes: 1234,
        sha256: "ab".repeat(32),
        source: RunSource::Api,
        task_id: None,
        queue: None,
    }
}

/// `files` files of `stanzas` stanzas with `keys` settings each.
pub fn files(files: usize, stanzas: usize, keys: usize) -> Vec<NewConfFile> {
    (0..files)
        .map(|f| NewConfFile {
            path: format!("app{f}/default/props.conf"),
            app: Some(format!("app{f}")),
            layer: "default".to_owned(),
            conf_type: "props".to_owned(),
            size_bytes: 100,
            sha256: "cd".repeat(32),
            parse_error: None,
            warnings: vec![],
            stanzas: (0..stanzas)
                .map(|s| NewStanza {
                    name: format!("sourcetype_{s}"),
                    global: false,
                    line: (s * 10 + 1) as i64,
                    settings: (0..keys)
                        .map(|k| (format!("KEY_{k}"), format!("value {k}")))
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

/// A new run named `name` with its first attempt begun (delivery 0): the run and its fence.
pub async fn started_run(store: &Store, name: &str) -> (entity::store::Run, entity::store::Fence) {
    let run = store.create_run(new_run(name)).await.expect("create");
    let fence = store
        .begin_attempt(run.id, uuid::Uuid::now_v7(), 0)
        .await
        .expect("begin");
    (run, fence)
}
