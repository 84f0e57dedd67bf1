//! Probes, the Prometheus scrape and the OpenAPI document.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use api::ApiConfig;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{PrivateRedis, TestApp, broker_at};
use serde_json::json;

#[tokio::test]
async fn healthz_and_readyz_answer_when_everything_is_up() {
    let t = TestApp::new().await;
    assert_eq!(
        t.get("/healthz").await,
        (StatusCode::OK, json!({"status": "ok"}))
    );
    assert_eq!(
        t.get("/readyz").await,
        (
            StatusCode::OK,
            json!({"status": "ready", "redis": "ok", "database": "ok"})
        )
    );
}

#[tokio::test]
async fn readyz_names_redis_when_it_is_stopped() {
    let mut redis = PrivateRedis::start();
    let prefix = testenv::redis::prefix("confq-api-test");
    let broker = broker_at(&redis.url(), &prefix).await;
    let config = ApiConfig {
        readiness_timeout: std::time::Duration::from_secs(2),
        ..ApiConfig::default()
    };
    let t = TestApp::on(config, broker, prefix, None).await;
    redis.kill();
    let started = std::time::Instant::now();
    let (status, body) = t.get("/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["redis"], "unavailable");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["error"], "not ready: redis does not answer");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(t.get("/healthz").await.0, StatusCode::OK);
}

#[tokio::test]
async fn prometheus_scrape_has_queue_task_and_run_series() {
    let t = TestApp::new().await;
    t.upload_raw(common::EXAMPLE_TGZ, "a.tgz").await;
    metrics::histogram!(api::prometheus::TASK_DURATION, "task" => "confq.noop").record(0.02);
    let (status, headers, body) = t
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = String::from_utf8(body.to_vec()).unwrap();
    for line in [
        r#"confq_queue_size{queue="ingest",state="pending"} 1"#,
        r#"confq_queue_size{queue="ingest",state="dead"} 0"#,
        r#"confq_runs{status="stored"} 1"#,
        r#"confq_runs{status="complete"} 0"#,
        r#"confq_tasks_processed_total{queue="ingest"} 0"#,
        r#"confq_tasks_failed_total{queue="ingest",error_type="timeout"} 0"#,
        r#"confq_tasks_retried_total{queue="ingest"} 0"#,
        r#"confq_leases_expired_total{queue="ingest"} 0"#,
        r#"confq_dead_letters_total{queue="ingest"} 0"#,
        r#"confq_workers{queue="ingest"} 0"#,
        r#"confq_tasks_failed_total{queue="ingest",error_type="transient_exhausted"} 0"#,
        r#"confq_task_duration_seconds_bucket{task="confq.noop",le="0.05"} 1"#,
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
}

#[tokio::test]
async fn openapi_document_lists_every_route() {
    let t = TestApp::new().await;
    let (status, doc) = t.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
    let paths = doc["paths"].as_object().unwrap();
    // `metrics.warnings` is left out when empty, so the schema must not require it.
    let required = &doc["components"]["schemas"]["RunMetricsDocument"]["required"];
    assert!(
        !required
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("warnings")),
        "{required}"
    );
    // The per-phase seconds are optional too (absent in older runs and unreached phases).
    for phase in ["read_seconds", "parse_seconds", "write_seconds"] {
        let schema = &doc["components"]["schemas"]["RunMetricsDocument"];
        assert!(
            schema["properties"][phase].is_object(),
            "{phase} in the schema"
        );
        assert!(
            !required
                .as_array()
                .unwrap()
                .contains(&serde_json::json!(phase)),
            "{phase} is not required: {required}"
        );
    }
    for (path, method) in [
        ("/v1/uploads", "post"),
        ("/v1/worker/runs/{run_id}/status", "get"),
        ("/v1/worker/metrics", "get"),
        ("/v1/runs", "get"),
        ("/v1/runs/{run_id}/files", "get"),
        ("/v1/runs/{run_id}/stanzas", "get"),
        ("/v1/runs/{run_id}/effective/{conf}", "get"),
        ("/v1/runs/{a}/diff/{b}", "get"),
        ("/v1/settings", "get"),
        ("/v1/worker/runs/{run_id}/retry", "post"),
        ("/v1/worker/dead", "get"),
        ("/v1/worker/dead/{task_id}/requeue", "post"),
        ("/v1/worker/dead", "delete"),
        ("/v1/tasks/{task_id}", "get"),
        ("/v1/tasks/{task_id}/cancel", "post"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/openapi.json", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    assert_eq!(paths.len(), 18);
    let states = &doc["components"]["schemas"]["BreakerStateDocument"]["enum"];
    assert_eq!(
        states,
        &serde_json::json!(["closed", "open", "half_open"]),
        "{states}"
    );
    for schema in [
        "StatusDocument",
        "MetricsDocument",
        "QueueDepths",
        "RunPage",
        "FilePage",
        "StanzaPage",
        "EffectivePage",
        "DiffPage",
        "DeadLetterPage",
        "ErrorBody",
        "Accepted",
        "WorkerDocument",
        "BreakerStateDocument",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "schema {schema} missing"
        );
    }
}

#[tokio::test]
async fn server_errors_are_generic_and_carry_the_request_id() {
    let mut redis = PrivateRedis::start();
    let prefix = testenv::redis::prefix("confq-api-test");
    let broker = broker_at(&redis.url(), &prefix).await;
    let t = TestApp::on(ApiConfig::default(), broker, prefix, None).await;
    redis.kill();
    let (status, headers, body) = t
        .send(
            Request::get("/v1/worker/metrics")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let id = headers["x-request-id"].to_str().unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        body,
        json!({"error": format!("service temporarily unavailable; try again later (request id {id})")})
    );
    assert!(!body.to_string().contains("127.0.0.1"));
}
