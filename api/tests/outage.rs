//! Redis down after the run row is written: the client gets 503 and the sweep enqueues the run
//! later, exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use api::{ApiConfig, sweep_unqueued};
use axum::http::StatusCode;
use common::{EXAMPLE_TGZ, PrivateRedis, TestApp, broker_at, redis_url};
use entity::store::{RunFilter, RunStatus};
use serde_json::json;

#[tokio::test]
async fn upload_while_redis_is_down_gets_503_and_the_sweep_enqueues_it_once() {
    let mut redis = PrivateRedis::start();
    let prefix = testenv::redis::prefix("confq-api-test");
    let down = broker_at(&redis.url(), &prefix).await;
    let t = TestApp::on(ApiConfig::default(), down, prefix.clone(), None).await;
    redis.kill();

    let (status, body) = t.upload_raw(EXAMPLE_TGZ, "a.tgz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body["error"].as_str().unwrap().contains("request id"));
    let runs = t
        .store
        .list_runs(RunFilter::default(), Default::default())
        .await
        .unwrap();
    assert_eq!(runs.items.len(), 1, "the run row is kept for the sweep");
    let run = &runs.items[0];
    assert_eq!(run.status, RunStatus::Stored);
    assert!(t.storage.exists(&run.object_key).await.unwrap());

    // Redis is back (the shared server, same key prefix): the sweep enqueues the lost task.
    let up = broker_at(&redis_url(), &prefix).await;
    let queue = t.queue();
    assert_eq!(
        sweep_unqueued(&t.store, &up, &queue, Duration::from_secs(3600))
            .await
            .unwrap(),
        0,
        "too young"
    );
    assert_eq!(
        sweep_unqueued(&t.store, &up, &queue, Duration::ZERO)
            .await
            .unwrap(),
        1
    );
    let pending = t.pending().await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["id"], run.task_id.unwrap().to_string());
    assert_eq!(pending[0]["args"], json!({"run_id": run.id.0}));
    assert_eq!(
        sweep_unqueued(&t.store, &up, &queue, Duration::ZERO)
            .await
            .unwrap(),
        0,
        "already queued"
    );
    assert_eq!(t.pending().await.len(), 1);
}

#[tokio::test]
async fn sweep_leaves_runs_whose_task_is_queued_alone() {
    let t = TestApp::new().await;
    for i in 0..3 {
        assert_eq!(
            t.upload_raw(EXAMPLE_TGZ, &format!("{i}.tgz")).await.0,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(
        sweep_unqueued(&t.store, &t.broker, &t.queue(), Duration::ZERO)
            .await
            .unwrap(),
        0
    );
    assert_eq!(t.pending().await.len(), 3);
}
