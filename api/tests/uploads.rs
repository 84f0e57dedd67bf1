//! `POST /v1/uploads`: raw and multipart bodies, the 202 answer and its envelope, the limits,
//! and the bearer token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use api::ApiConfig;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{EXAMPLE_TGZ, TestApp};
use entity::store::{RunId, RunStatus};
use serde_json::json;

#[tokio::test]
async fn raw_upload_is_stored_recorded_and_enqueued() {
    for t in TestApp::backends(ApiConfig::default()).await {
        let (status, body) = t.upload_raw(EXAMPLE_TGZ, "apps.tgz").await;
        assert_eq!(status, StatusCode::ACCEPTED, "{}: {body}", t.backend);
        let keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["run_id", "task_id", "status"]);
        assert_eq!(body["status"], "stored");
        let run = t
            .store
            .run(RunId(body["run_id"].as_i64().unwrap()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(run.status, RunStatus::Stored);
        assert_eq!(run.filename, "apps.tgz");
        assert_eq!(run.size_bytes, EXAMPLE_TGZ.len() as i64);
        assert_eq!(run.task_id.unwrap().to_string(), body["task_id"]);
        let pending = t.pending().await;
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0]["id"], body["task_id"]);
        assert_eq!(pending[0]["task"], "ingest.parse_upload");
        assert_eq!(pending[0]["args"], json!({ "run_id": body["run_id"] }));
        assert!(t.storage.exists(&run.object_key).await.unwrap());
    }
}

#[tokio::test]
async fn multipart_upload_takes_the_file_field_and_its_name() {
    let t = TestApp::new().await;
    let boundary = "XyZboundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"mp.tgz\"\r\nContent-Type: application/gzip\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(EXAMPLE_TGZ);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::post("/v1/uploads")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let (status, body) = t.call_with(request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let run = t
        .store
        .run(RunId(body["run_id"].as_i64().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.filename, "mp.tgz");
    assert_eq!(run.size_bytes, EXAMPLE_TGZ.len() as i64);
}

#[tokio::test]
async fn multipart_with_another_field_is_a_bad_request() {
    let t = TestApp::new().await;
    let note = "--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n";
    let file =
        "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\nabc\r\n";
    for body in [format!("{note}--b--\r\n"), format!("{file}{note}--b--\r\n")] {
        let request = Request::post("/v1/uploads")
            .header("content-type", "multipart/form-data; boundary=b")
            .body(Body::from(body))
            .unwrap();
        let (status, body) = t.call_with(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({ "error": "the multipart body may hold only the field `file`" })
        );
        assert_eq!(t.stored_files(), 0);
    }
    assert!(
        t.store
            .list_runs(Default::default(), Default::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn empty_upload_is_a_bad_request() {
    let t = TestApp::new().await;
    let (status, body) = t.upload_raw(b"", "empty.tgz").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({ "error": "the upload is empty" }));
    assert_eq!(t.stored_files(), 0);
}

#[tokio::test]
async fn upload_names_are_display_only_and_sanitised() {
    let t = TestApp::new().await;
    let request = Request::post("/v1/uploads")
        .body(Body::from("abc"))
        .unwrap();
    let (status, body) = t.call_with(request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let run = t
        .store
        .run(RunId(body["run_id"].as_i64().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.filename, "upload");
    let (_, body) = t.upload_raw(b"abc", "..%2F..%2Fetc%0Apasswd").await;
    let run = t
        .store
        .run(RunId(body["run_id"].as_i64().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.filename, "../../etc_passwd");
    assert!(run.object_key.starts_with("uploads/") && !run.object_key.contains(".."));
}

#[tokio::test]
async fn oversized_upload_gets_413_and_nothing_is_kept() {
    let t = TestApp::with(ApiConfig {
        max_upload_bytes: 1000,
        ..ApiConfig::default()
    })
    .await;
    let (status, body) = t.upload_raw(&[7u8; 5000], "big.tgz").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        body,
        json!({ "error": "upload exceeds the limit of 1000 bytes" })
    );
    assert_eq!(t.stored_files(), 0);
    let (_, runs) = t.get("/v1/runs").await;
    assert_eq!(runs["items"], json!([]));
    assert!(t.pending().await.is_empty());
}

#[tokio::test]
async fn declared_oversize_is_refused_before_reading() {
    let t = TestApp::with(ApiConfig {
        max_upload_bytes: 1000,
        ..ApiConfig::default()
    })
    .await;
    let request = Request::post("/v1/uploads?filename=a.tgz")
        .header("content-length", "1001")
        .body(Body::from(vec![1u8; 1001]))
        .unwrap();
    assert_eq!(t.call_with(request).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(t.stored_files(), 0);
}

#[tokio::test]
async fn oversized_multipart_upload_gets_413() {
    let t = TestApp::with(ApiConfig {
        max_upload_bytes: 1000,
        ..ApiConfig::default()
    })
    .await;
    let mut body =
        b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n".to_vec();
    body.extend_from_slice(&[1u8; 200_000]);
    body.extend_from_slice(b"\r\n--b--\r\n");
    let request = Request::post("/v1/uploads")
        .header("content-type", "multipart/form-data; boundary=b")
        .body(Body::from(body))
        .unwrap();
    let (status, _) = t.call_with(request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(t.stored_files(), 0);
}

#[tokio::test]
async fn mutations_need_the_bearer_token_and_reads_stay_open() {
    let t = TestApp::with(ApiConfig {
        api_token: Some("s3cret".into()),
        ..ApiConfig::default()
    })
    .await;
    let (status, body) = t.upload_raw(EXAMPLE_TGZ, "a.tgz").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({ "error": "missing or invalid bearer token" }));
    let wrong = Request::post("/v1/uploads?filename=a.tgz")
        .header("authorization", "Bearer s3creT")
        .body(Body::from(EXAMPLE_TGZ.to_vec()))
        .unwrap();
    assert_eq!(t.call_with(wrong).await.0, StatusCode::UNAUTHORIZED);
    let right = Request::post("/v1/uploads?filename=a.tgz")
        .header("authorization", "Bearer s3cret")
        .body(Body::from(EXAMPLE_TGZ.to_vec()))
        .unwrap();
    assert_eq!(t.call_with(right).await.0, StatusCode::ACCEPTED);
    assert_eq!(
        t.call(axum::http::Method::DELETE, "/v1/worker/dead")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(t.get("/v1/runs").await.0, StatusCode::OK);
}

#[tokio::test]
async fn protected_reads_need_the_token_but_probes_do_not() {
    let config = ApiConfig {
        api_token: Some("s3cret".into()),
        protect_reads: true,
        ..ApiConfig::default()
    };
    let t = TestApp::with(config).await;
    assert_eq!(t.get("/v1/runs").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(t.get("/healthz").await.0, StatusCode::OK);
    let request = Request::get("/v1/runs")
        .header("authorization", "Bearer s3cret")
        .body(Body::empty())
        .unwrap();
    assert_eq!(t.call_with(request).await.0, StatusCode::OK);
    // The scheme is case-insensitive (RFC 7235).
    let lower = Request::get("/v1/runs")
        .header("authorization", "bearer s3cret")
        .body(Body::empty())
        .unwrap();
    assert_eq!(t.call_with(lower).await.0, StatusCode::OK);
}
