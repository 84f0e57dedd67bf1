//! Worker views: retrying a failed run, the aggregate metrics document, dead letters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use entity::store::{NewRun, Run, RunMetrics, RunSource, RunStatus};
use serde_json::{Value, json};

async fn failed_run(t: &TestApp) -> Run {
    let new = NewRun {
        filename: "f.tgz".into(),
        object_key: "uploads/x/f".into(),
        size_bytes: 10,
        sha256: "ab".repeat(32),
        source: RunSource::Api,
        task_id: Some(uuid::Uuid::now_v7()),
        queue: None,
    };
    let run = t.store.create_run(new).await.unwrap();
    let fence = t
        .store
        .begin_attempt(run.id, run.task_id.unwrap(), 0)
        .await
        .unwrap();
    t.store
        .schedule_retry(run.id, fence, "boom", "tb", 1)
        .await
        .unwrap();
    let fence = t
        .store
        .begin_attempt(run.id, run.task_id.unwrap(), 0)
        .await
        .unwrap();
    let metrics = RunMetrics {
        retry_count: 1,
        error_type: Some("permanent".into()),
        ..RunMetrics::default()
    };
    t.store
        .fail(run.id, fence, "bad archive", "tb", metrics)
        .await
        .unwrap();
    run
}

#[tokio::test]
async fn retry_requeues_a_failed_run_under_a_new_task_id() {
    let t = TestApp::new().await;
    let run = failed_run(&t).await;
    let (status, body) = t
        .call(Method::POST, &format!("/v1/worker/runs/{}/retry", run.id))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["run_id"], run.id.0);
    assert_eq!(body["status"], "stored");
    assert_ne!(body["task_id"], run.task_id.unwrap().to_string());
    let after = t.store.run(run.id).await.unwrap().unwrap();
    assert_eq!(after.status, RunStatus::Stored);
    assert_eq!(after.retry_count, 1);
    assert_eq!(after.task_id.unwrap().to_string(), body["task_id"]);
    let pending = t.pending().await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["id"], body["task_id"]);
    assert_eq!(pending[0]["args"], json!({ "run_id": run.id.0 }));
    // now stored, no longer failed
    let (status, body) = t
        .call(Method::POST, &format!("/v1/worker/runs/{}/retry", run.id))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["error"].as_str().unwrap().contains("not failed"));
}

#[tokio::test]
async fn metrics_document_has_the_contract_shape() {
    let t = TestApp::new().await;
    failed_run(&t).await;
    t.upload_raw(common::EXAMPLE_TGZ, "a.tgz").await;
    let (status, doc) = t.get("/v1/worker/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "status_counts",
            "retry_stats",
            "avg_duration_seconds",
            "recent_failures",
            "queues",
            "stuck_runs",
            "stuck_run_ids",
            "reaper",
            "workers"
        ]
    );
    assert_eq!(doc["workers"], json!([]), "no worker is registered here");
    assert_eq!(doc["status_counts"]["failed"], 1);
    assert_eq!(doc["status_counts"]["stored"], 1);
    assert_eq!(doc["retry_stats"]["max_retries"], 1);
    assert_eq!(doc["retry_stats"]["avg_retries"], 0.5);
    assert_eq!(doc["recent_failures"][0]["error_message"], "bad archive");
    assert_eq!(doc["recent_failures"][0]["error_type"], "permanent");
    assert_eq!(
        doc["queues"],
        json!({"ingest": {"pending": 1, "processing": 0, "delayed": 0, "dead": 0, "workers": 0}})
    );
    let shared = api::documents::metrics(&t.broker, &t.store).await.unwrap();
    assert_eq!(serde_json::to_value(shared).unwrap(), doc);
}

#[tokio::test]
async fn dead_letters_are_listed_paginated_requeued_and_purged() {
    let t = TestApp::new().await;
    let ids = t.dead_letter_tasks(0..5).await;
    let (mut seen, mut uri) = (Vec::new(), "/v1/worker/dead?limit=2".to_owned());
    loop {
        let (status, page) = t.get(&uri).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for item in page["items"].as_array().unwrap() {
            assert_eq!(
                item["reason"],
                format!("reason {}", item["task_id"].as_str().unwrap())
            );
            assert_eq!(item["queue"], "ingest");
            assert_eq!(item["envelope"]["task"], "confq.noop");
            seen.push(item["task_id"].as_str().unwrap().to_owned());
        }
        match page["next"].as_str() {
            Some(next) => uri = format!("/v1/worker/dead?limit=2&after={next}"),
            None => break,
        }
    }
    let (mut a, mut b) = (seen.clone(), ids.clone());
    a.sort();
    b.sort();
    assert_eq!(a, b, "every dead letter once");

    let (status, body) = t
        .call(Method::POST, &format!("/v1/worker/dead/{}/requeue", ids[0]))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"task_id": ids[0], "queue": "ingest"}));
    let pending = t.pending().await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["id"], Value::String(ids[0].clone()));
    let (status, _) = t
        .call(Method::POST, &format!("/v1/worker/dead/{}/requeue", ids[0]))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t
        .call(Method::POST, "/v1/worker/dead/not-a-uuid/requeue")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, body) = t.call(Method::DELETE, "/v1/worker/dead").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"purged": 4, "queue": "ingest"}));
    let (_, page) = t.get("/v1/worker/dead").await;
    assert_eq!(page, json!({"items": [], "next": null}));
}

#[tokio::test]
async fn metrics_list_each_live_worker_with_its_breakers() {
    let t = TestApp::new().await;
    let info = broker::WorkerInfo {
        id: broker::WorkerId::new("host-a:42:abcd1234"),
        host: "host-a".into(),
        pid: 42,
        queues: vec![protocol::default_queue()],
        concurrency: 4,
        started_at: chrono::Utc::now(),
        last_seen: chrono::Utc::now(),
        in_flight: 3,
        breakers: [
            ("database".to_owned(), "closed".to_owned()),
            ("storage".to_owned(), "half_open".to_owned()),
        ]
        .into(),
    };
    t.broker
        .workers()
        .register(&info, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    let (status, doc) = t.get("/v1/worker/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let worker = &doc["workers"][0];
    assert_eq!(worker["id"], "host-a:42:abcd1234");
    assert_eq!(worker["queues"], json!(["ingest"]));
    assert_eq!(
        (worker["concurrency"].clone(), worker["in_flight"].clone()),
        (json!(4), json!(3))
    );
    assert_eq!(
        worker["breakers"],
        json!({"database": "closed", "storage": "half_open"})
    );
    assert!(worker["last_seen"].as_str().unwrap().ends_with('Z'));
    // Prometheus: the fleet's breakers from the registry, 1 while not closed.
    let (status, text) = t.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().unwrap();
    assert!(
        text.contains(r#"confq_breaker_open{worker="host-a:42:abcd1234",dependency="storage"} 1"#),
        "{text}"
    );
}
