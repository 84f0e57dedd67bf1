//! A request that outlives the timeout gets 504 with the `{"error": …}` body of every other error
//! (the timeout layer itself answers with an empty body). Tokio's clock is paused: the timeout
//! fires before the handler's sleep whatever the machine's load.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::middleware;
use axum::routing::get;
use http_body_util::BodyExt;
use tower::ServiceExt;
use tower_http::timeout::TimeoutLayer;

#[tokio::test(start_paused = true)]
async fn a_timed_out_request_gets_a_json_error_naming_its_request_id() {
    let app = Router::new()
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            Duration::from_millis(20),
        ))
        .layer(middleware::from_fn(api::log_server_errors));
    let request = Request::get("/slow")
        .header("x-request-id", "req-42")
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(response.headers()["content-type"], "application/json");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        body,
        serde_json::json!({ "error": "request timed out (request id req-42)" })
    );
}
