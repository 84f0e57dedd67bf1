//! Migrations apply, roll back and re-apply on SQLite and PostgreSQL, also concurrently.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use migration::{Migrator, MigratorTrait};

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    for db in common::backends().await {
        let conn = db.store.connection();
        Migrator::down(conn, None)
            .await
            .unwrap_or_else(|e| panic!("{}: down: {e}", db.name));
        Migrator::up(conn, None)
            .await
            .unwrap_or_else(|e| panic!("{}: up again: {e}", db.name));
        let run = db
            .store
            .create_run(common::new_run("a.spl"))
            .await
            .expect("create run");
        let summary = db.store.metrics_summary().await.expect("summary");
        assert_eq!(summary.status_counts["stored"], 1, "{}", db.name);
        assert_eq!(
            db.store
                .run(run.id)
                .await
                .expect("read")
                .expect("exists")
                .filename,
            "a.spl"
        );
    }
}

#[tokio::test]
async fn concurrent_migrate_from_four_tasks_is_safe() {
    let mut dbs = vec![common::sqlite().await];
    dbs.extend(common::postgres().await);
    for db in dbs {
        let mut tasks = Vec::new();
        for _ in 0..4 {
            // separate stores = separate pools, like separate processes
            let url = db.url.clone();
            tasks.push(tokio::spawn(async move {
                let store = entity::Store::connect(&url).await?;
                store.migrate().await
            }));
        }
        for task in tasks {
            task.await
                .expect("join")
                .unwrap_or_else(|e| panic!("{}: {e}", db.name));
        }
        let applied = Migrator::get_applied_migrations(db.store.connection())
            .await
            .expect("applied");
        assert_eq!(applied.len(), Migrator::migrations().len(), "{}", db.name);
        db.store
            .create_run(common::new_run("x"))
            .await
            .expect("usable after migrate");
    }
}

#[tokio::test]
async fn connect_errors_never_show_the_password() {
    let err = entity::Store::connect("postgres://confq:s3cret@127.0.0.1:1/confq")
        .await
        .expect_err("nothing listens on port 1");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(
        err.is_transient(),
        "a refused connection is transient: {shown}"
    );
}
