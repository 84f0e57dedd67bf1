//! Stuck runs and the reaper's heartbeat in the metrics document and the Prometheus scrape, on
//! SQLite and (when `CONFQ_TEST_POSTGRES_URL` is set) PostgreSQL. One test per binary: the
//! Prometheus recorder is process-wide, so a parallel test's scrape would overwrite the gauge.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use api::ApiConfig;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use common::TestApp;
use entity::ingestion_run::{Column, Entity};
use entity::store::{NewRun, RunId, RunSource};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

async fn parsing_run(t: &TestApp, name: &str) -> RunId {
    let new = NewRun {
        filename: format!("{name}.tgz"),
        object_key: format!("uploads/{name}"),
        size_bytes: 10,
        sha256: "ab".repeat(32),
        source: RunSource::Api,
        task_id: Some(uuid::Uuid::now_v7()),
        queue: None,
    };
    let run = t.store.create_run(new).await.unwrap();
    t.store
        .begin_attempt(run.id, run.task_id.unwrap(), 0)
        .await
        .unwrap();
    run.id
}

/// Moves the run's `last_heartbeat` back by `age`, as a worker that went silent would leave it.
async fn silence(t: &TestApp, run: RunId, age: Duration) {
    let at = Utc::now() - chrono::Duration::from_std(age).unwrap();
    Entity::update_many()
        .col_expr(Column::LastHeartbeat, Expr::value(at))
        .filter(Column::Id.eq(run.0))
        .exec(t.store.connection())
        .await
        .unwrap();
}

async fn scrape(t: &TestApp) -> String {
    let (status, _, body) = t
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test]
async fn runs_parsing_with_an_old_heartbeat_are_counted_as_stuck_and_the_reaper_tick_is_shown() {
    let config = ApiConfig {
        stuck_after: Duration::from_secs(300),
        ..ApiConfig::default()
    };
    for t in TestApp::backends(config).await {
        let backend = t.backend;
        let (_, doc) = t.get("/v1/worker/metrics").await;
        assert_eq!(doc["stuck_runs"], 0, "{backend}: {doc}");
        assert_eq!(doc["stuck_run_ids"], json!([]), "{backend}");
        assert_eq!(doc["reaper"], json!({"last_tick": null}), "{backend}");
        assert!(
            scrape(&t).await.contains("\nconfq_stuck_runs 0\n"),
            "{backend}"
        );

        let stuck = parsing_run(&t, "stuck").await;
        silence(&t, stuck, Duration::from_secs(301)).await;
        let older = parsing_run(&t, "older").await;
        silence(&t, older, Duration::from_secs(3600)).await;
        // Silent, but not for longer than the threshold: alive as far as anyone can tell.
        let slow = parsing_run(&t, "slow").await;
        silence(&t, slow, Duration::from_secs(200)).await;
        parsing_run(&t, "fresh").await;
        // Not parsing: an old heartbeat of a finished attempt does not count.
        let finished = parsing_run(&t, "retrying").await;
        silence(&t, finished, Duration::from_secs(3600)).await;
        let fence = t
            .store
            .begin_attempt(finished, uuid::Uuid::now_v7(), 0)
            .await
            .unwrap();
        t.store
            .schedule_retry(finished, fence, "boom", "tb", 1)
            .await
            .unwrap();
        silence(&t, finished, Duration::from_secs(3600)).await;

        let tick: DateTime<Utc> = "2026-11-30T01:02:03Z".parse().unwrap();
        t.broker.record_reaper_tick(tick).await.unwrap();

        let (status, doc) = t.get("/v1/worker/metrics").await;
        assert_eq!(status, StatusCode::OK, "{backend}: {doc}");
        assert_eq!(doc["stuck_runs"], 2, "{backend}: {doc}");
        assert_eq!(
            doc["stuck_run_ids"],
            json!([older.0, stuck.0]),
            "{backend}: oldest first"
        );
        assert_eq!(
            doc["reaper"],
            json!({"last_tick": "2026-11-30T01:02:03Z"}),
            "{backend}"
        );
        let text = scrape(&t).await;
        assert!(text.contains("\nconfq_stuck_runs 2\n"), "{backend}: {text}");
        assert!(
            text.contains("\nconfq_reaper_last_tick_seconds 1796000523\n"),
            "{backend}: {text}"
        );

        // A tighter threshold counts the slow one too.
        let tight = t.store.stuck_runs(Duration::from_secs(100)).await.unwrap();
        assert_eq!(tight.count, 3, "{backend}");
    }
}
