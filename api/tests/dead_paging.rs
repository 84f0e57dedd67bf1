//! `GET /v1/worker/dead` pages with a cursor that dead letters arriving or leaving between two
//! pages cannot shift, and refuses the offset cursors of earlier versions with a clear 400.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::Value;

fn numbers(page: &Value) -> Vec<u64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["envelope"]["args"]["i"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn dead_letters_that_arrive_or_leave_between_pages_shift_no_other() {
    let t = TestApp::new().await;
    let ids = t.dead_letter_tasks(0..5).await;
    let (status, first) = t.get("/v1/worker/dead?limit=2").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(numbers(&first), [4, 3]);

    t.dead_letter_tasks(5..6).await;
    for shown_or_not in [&ids[3], &ids[1]] {
        let uri = format!("/v1/worker/dead/{shown_or_not}/requeue");
        assert_eq!(t.call(Method::POST, &uri).await.0, StatusCode::OK);
    }

    let next = first["next"].as_str().unwrap();
    let (status, second) = t
        .get(&format!("/v1/worker/dead?limit=2&after={next}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(
        numbers(&second),
        [2, 0],
        "nothing skipped, nothing repeated"
    );
    assert_eq!(second["next"], Value::Null);
}

#[tokio::test]
async fn an_offset_cursor_of_an_earlier_version_is_a_clear_400() {
    let t = TestApp::new().await;
    t.dead_letter_tasks(0..3).await;
    let (status, body) = t.get("/v1/worker/dead?limit=2&after=2").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("offset") && message.contains("first page"),
        "{message}"
    );
    let (status, _) = t.get("/v1/worker/dead?after=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
