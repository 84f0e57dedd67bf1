//! `POST /v1/uploads?queue=Q`: the task goes to that queue, the run records it and its status
//! shows it; a bad queue name is a 400 before anything is stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use api::ApiConfig;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use broker::QueueName;
use common::{EXAMPLE_TGZ, TestApp};
use entity::store::RunId;

fn upload(query: &str) -> Request<Body> {
    Request::post(format!("/v1/uploads?filename=apps.tgz&{query}"))
        .header("content-type", "application/octet-stream")
        .body(Body::from(EXAMPLE_TGZ.to_vec()))
        .unwrap()
}

#[tokio::test]
async fn an_upload_goes_to_the_queue_it_names_and_its_status_shows_it() {
    for t in TestApp::backends(ApiConfig::default()).await {
        let critical = QueueName::parse("critical").unwrap();
        let (status, body) = t.call_with(upload("queue=critical")).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{}: {body}", t.backend);
        let id = body["run_id"].as_i64().unwrap();
        let run = t.store.run(RunId(id)).await.unwrap().unwrap();
        assert_eq!(run.queue.as_deref(), Some("critical"));
        assert_eq!(t.broker.stats(&critical).await.unwrap().pending, 1);
        assert!(t.pending().await.is_empty(), "nothing on the default queue");

        let (status, doc) = t.get(&format!("/v1/worker/runs/{id}/status")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(doc["queue"], "critical", "{doc}");

        // Without `queue`, the API's queue, recorded too.
        let (_, body) = t.call_with(upload("queue=")).await;
        let (_, doc) = t
            .get(&format!("/v1/worker/runs/{}/status", body["run_id"]))
            .await;
        assert_eq!(doc["queue"], t.queue().as_str());
        assert_eq!(t.pending().await.len(), 1);
    }
}

#[tokio::test]
async fn a_bad_queue_name_is_refused_before_anything_is_stored() {
    let t = TestApp::new().await;
    for bad in ["no%20spaces", "a%7Bb%7D", &"q".repeat(65)] {
        let (status, body) = t.call_with(upload(&format!("queue={bad}"))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("invalid queue name"),
            "{body}"
        );
        assert!(
            !body["error"].as_str().unwrap().contains("configuration"),
            "the client's input, not the broker's configuration: {body}"
        );
    }
    assert_eq!(t.stored_files(), 0);
    assert!(t.pending().await.is_empty());
}
