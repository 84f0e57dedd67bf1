//! `GET /v1/tasks/{task_id}` and `POST /v1/tasks/{task_id}/cancel`: an uploaded run's task looked
//! up while pending, cancelled (its run ends `cancelled`, counted in the metrics), a second
//! cancel is a 409, an unknown id a 404, a malformed one a 400, and the cancel needs the token.
//! SQLite, and PostgreSQL with `CONFQ_TEST_POSTGRES_URL`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use api::ApiConfig;
use axum::http::{Method, StatusCode};
use common::TestApp;

#[tokio::test]
async fn an_uploaded_runs_task_is_looked_up_and_cancelled_with_its_run() {
    for t in TestApp::backends(ApiConfig::default()).await {
        let archive = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/splunk-apps.tgz"
        ))
        .unwrap();
        let (status, upload) = t.upload_raw(&archive, "apps.tgz").await;
        assert_eq!(status, StatusCode::ACCEPTED, "{upload}");
        let (task_id, run_id) = (upload["task_id"].as_str().unwrap(), &upload["run_id"]);

        let (status, task) = t.get(&format!("/v1/tasks/{task_id}")).await;
        assert_eq!(status, StatusCode::OK, "{task}");
        assert_eq!(
            (task["state"].as_str(), task["task"].as_str()),
            (Some("pending"), Some("ingest.parse_upload"))
        );
        assert_eq!(task["updated_at"], serde_json::Value::Null);

        let (status, cancelled) = t
            .call(Method::POST, &format!("/v1/tasks/{task_id}/cancel"))
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {cancelled}", t.backend);
        assert_eq!(
            (cancelled["outcome"].as_str(), cancelled["from"].as_str()),
            (Some("cancelled"), Some("pending"))
        );
        let (_, run) = t.get(&format!("/v1/worker/runs/{run_id}/status")).await;
        assert_eq!(run["status"], "cancelled", "{}", t.backend);
        let (_, metrics) = t.get("/v1/worker/metrics").await;
        assert_eq!(metrics["status_counts"]["cancelled"], 1);
        assert_eq!(metrics["status_counts"]["stored"], 0);
        let (_, task) = t.get(&format!("/v1/tasks/{task_id}")).await;
        assert_eq!(task["state"], "cancelled");

        let (status, again) = t
            .call(Method::POST, &format!("/v1/tasks/{task_id}/cancel"))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            again["error"]
                .as_str()
                .unwrap()
                .contains("already finished (cancelled)"),
            "{again}"
        );
        let (_, listed) = t.get("/v1/runs?status=cancelled").await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_a_404_and_a_400() {
    let t = TestApp::new().await;
    let unknown = uuid::Uuid::new_v4();
    for uri in [
        format!("/v1/tasks/{unknown}"),
        format!("/v1/tasks/{unknown}/cancel"),
    ] {
        let method = if uri.ends_with("cancel") {
            Method::POST
        } else {
            Method::GET
        };
        let (status, body) = t.call(method.clone(), &uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {body}");
        assert!(body["error"].as_str().unwrap().starts_with("no task"));
        let (status, body) = t
            .call(method, &uri.replace(&unknown.to_string(), "nope"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"], "`task_id` must be a UUID");
    }
}

#[tokio::test]
async fn a_cancel_needs_the_token_when_one_is_set() {
    let t = TestApp::with(ApiConfig {
        api_token: Some("s3cret".into()),
        ..ApiConfig::default()
    })
    .await;
    let uri = format!("/v1/tasks/{}/cancel", uuid::Uuid::new_v4());
    assert_eq!(t.call(Method::POST, &uri).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = t.get(&uri.replace("/cancel", "")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "lookups are reads: no token needed"
    );
}
