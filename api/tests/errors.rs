//! The log line of a 5xx: logged once, each cause of its chain once, credentials redacted; the
//! response names only the request id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use api::{ApiConfig, ApiError, log_server_errors};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use common::{EXAMPLE_TGZ, PrivateRedis, TestApp, broker_at};
use entity::StoreError;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Log output captured in memory.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Captures this thread's logs until the guard drops.
    fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    /// The `error` field of the one "request failed" line.
    fn failed_request_error(&self) -> String {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text
            .lines()
            .filter(|line| line.contains("request failed"))
            .collect();
        assert_eq!(lines.len(), 1, "one line per 5xx:\n{text}");
        let (_, error) = lines[0].split_once(" error=").expect("an error field");
        error.to_owned()
    }
}

/// No part of a `a: b: c` chain appears twice.
fn assert_each_cause_once(chain: &str) {
    let parts: Vec<&str> = chain.split(": ").collect();
    for (i, part) in parts.iter().enumerate() {
        assert!(
            !parts[i + 1..].contains(part),
            "{part:?} is said twice in {chain:?}"
        );
    }
}

#[tokio::test]
async fn a_5xx_log_line_hides_credentials_and_says_each_cause_once() {
    let (logs, _guard) = Logs::capture();
    let app = Router::new()
        .route(
            "/boom",
            get(|| async {
                Err::<(), _>(ApiError::from(StoreError::Db {
                    action: "list runs",
                    source: sea_orm::DbErr::Custom(
                        "postgres://app:s3cret@db/confq?sslmode=require&password=hunter2 refused"
                            .into(),
                    ),
                }))
            }),
        )
        .layer(axum::middleware::from_fn(log_server_errors));
    let response = app
        .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("internal server error (request id"), "{body}");
    assert!(
        !body.contains("postgres"),
        "the cause stays in the log: {body}"
    );

    let error = logs.failed_request_error();
    assert!(
        !error.contains("s3cret") && !error.contains("hunter2"),
        "{error}"
    );
    assert!(
        error.contains("postgres://app:***@db/confq?sslmode=require&password=***"),
        "{error}"
    );
    assert_each_cause_once(&error);
}

#[tokio::test]
async fn a_redis_outage_is_logged_with_each_cause_once() {
    let (logs, _guard) = Logs::capture();
    let mut redis = PrivateRedis::start();
    let prefix = testenv::redis::prefix("confq-api-test");
    let broker = broker_at(&redis.url(), &prefix).await;
    let t = TestApp::on(ApiConfig::default(), broker, prefix, None).await;
    redis.kill();

    let (status, _) = t.upload_raw(EXAMPLE_TGZ, "a.tgz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let error = logs.failed_request_error();
    assert!(
        error.starts_with("the queue broker is unavailable: redis command failed: "),
        "{error}"
    );
    assert_each_cause_once(&error);
}
