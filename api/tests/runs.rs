//! Browsing and status: keyset pagination without gaps or repeats, filters, the exact status
//! document, 400 on bad parameters and 404 on unknown runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use api::ApiConfig;
use axum::http::StatusCode;
use common::TestApp;
use entity::store::{NewConfFile, NewRun, NewStanza, Run, RunMetrics, RunSource};
use serde_json::{Value, json};

async fn create_run(t: &TestApp, name: &str) -> Run {
    let new = NewRun {
        filename: name.to_owned(),
        object_key: format!("uploads/x/{name}"),
        size_bytes: 10,
        sha256: "ab".repeat(32),
        source: RunSource::Api,
        task_id: Some(uuid::Uuid::now_v7()),
        queue: None,
    };
    t.store.create_run(new).await.unwrap()
}

#[tokio::test]
async fn runs_are_listed_newest_first_without_gaps_or_repeats() {
    for t in TestApp::backends(ApiConfig::default()).await {
        let mut ids = Vec::new();
        for i in 0..7 {
            ids.push(create_run(&t, &format!("r{i}.tgz")).await.id.0);
        }
        let (items, pages) = t.all_pages("/v1/runs?limit=3").await;
        assert_eq!(pages, 3, "{}", t.backend);
        let seen: Vec<i64> = items.iter().map(|r| r["id"].as_i64().unwrap()).collect();
        ids.reverse();
        assert_eq!(seen, ids);
        assert_eq!(items[0]["status"], "stored");
        assert_eq!(items[0]["filename"], "r6.tgz");
        let (_, stored) = t.get("/v1/runs?status=stored&limit=1000").await;
        assert_eq!(stored["items"].as_array().unwrap().len(), 7);
        assert_eq!(stored["next"], Value::Null);
        let (_, complete) = t.get("/v1/runs?status=complete").await;
        assert_eq!(complete, json!({ "items": [], "next": null }));
    }
}

#[tokio::test]
async fn bad_list_parameters_are_rejected_with_400() {
    let t = TestApp::new().await;
    let run = create_run(&t, "a.tgz").await;
    for uri in [
        "/v1/runs?limit=0".to_owned(),
        "/v1/runs?limit=1001".to_owned(),
        "/v1/runs?limit=ten".to_owned(),
        "/v1/runs?after=abc".to_owned(),
        "/v1/runs?status=done".to_owned(),
        "/v1/runs?limit=1&limit=2".to_owned(),
        format!("/v1/runs/{}/files?after=-1", run.id),
        format!("/v1/runs/{}/stanzas?limit=5000", run.id),
        "/v1/worker/dead?after=x".to_owned(),
        "/v1/worker/dead?queue=bad%20name".to_owned(),
        "/v1/worker/runs/abc/status".to_owned(),
    ] {
        let (status, body) = t.get(&uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(body["error"].is_string(), "{uri}: {body}");
    }
}

#[tokio::test]
async fn unknown_runs_and_routes_are_404() {
    let t = TestApp::new().await;
    for uri in [
        "/v1/worker/runs/999/status",
        "/v1/runs/999/files",
        "/v1/runs/999/stanzas",
        "/v1/nothing",
    ] {
        let (status, body) = t.get(uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(body["error"].is_string());
    }
    let (status, _) = t
        .call(axum::http::Method::POST, "/v1/worker/runs/999/retry")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn status_document_has_exactly_the_contract_fields() {
    for t in TestApp::backends(ApiConfig::default()).await {
        let run = create_run(&t, "f.tgz").await;
        let fence = t
            .store
            .begin_attempt(run.id, run.task_id.unwrap(), 0)
            .await
            .unwrap();
        let metrics = RunMetrics {
            duration_seconds: 930.0,
            retry_count: 3,
            error_type: Some("transient_exhausted".into()),
            ..RunMetrics::default()
        };
        let message = "Failed after 3 retries: Connection timeout";
        t.store
            .fail(run.id, fence, message, "trace…", metrics)
            .await
            .unwrap();
        let (status, doc) = t.get(&format!("/v1/worker/runs/{}/status", run.id)).await;
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
                "id",
                "status",
                "task_id",
                "queue",
                "retry_count",
                "error_message",
                "error_traceback",
                "started_at",
                "last_heartbeat",
                "completed_at",
                "metrics"
            ]
        );
        assert_eq!(doc["id"], run.id.0);
        assert_eq!(doc["status"], "failed");
        assert_eq!(doc["task_id"], run.task_id.unwrap().to_string());
        assert_eq!(doc["error_message"], message);
        assert_eq!(doc["error_traceback"], "trace…");
        let started = doc["started_at"].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(started).is_ok() && started.ends_with('Z'),
            "{started}"
        );
        assert!(doc["completed_at"].is_string() && doc["last_heartbeat"].is_string());
        assert_eq!(
            doc["metrics"],
            json!({"files_parsed": 0, "stanzas_created": 0, "duration_seconds": 930.0, "parse_errors": 0, "retry_count": 3, "error_type": "transient_exhausted"})
        );
    }
}

fn synthetic_files() -> Vec<NewConfFile> {
    let file = |app: &str, conf: &str, names: &[&str]| NewConfFile {
        path: format!("{app}/default/{conf}.conf"),
        app: Some(app.to_owned()),
        layer: "default".into(),
        conf_type: conf.into(),
        size_bytes: 42,
        sha256: "cd".repeat(32),
        parse_error: None,
        warnings: vec![],
        stanzas: names
            .iter()
            .enumerate()
            .map(|(i, n)| NewStanza {
                name: (*n).to_owned(),
                global: false,
                line: i as i64 * 3 + 1,
                settings: vec![("KEY".into(), format!("v{i}")), ("A".into(), "1".into())],
            })
            .collect(),
    };
    vec![
        file(
            "app_a",
            "props",
            &["source::a", "source::b", "host::x", "st_1"],
        ),
        file("app_a", "transforms", &["t1", "t2", "t3", "t4"]),
        file("app_b", "props", &["source::c", "st_2", "st_3", "st_4"]),
    ]
}

#[tokio::test]
async fn files_and_stanzas_page_through_and_filter() {
    for t in TestApp::backends(ApiConfig::default()).await {
        let run = create_run(&t, "s.tgz").await;
        let fence = t
            .store
            .begin_attempt(run.id, run.task_id.unwrap(), 0)
            .await
            .unwrap();
        t.store
            .write_results(run.id, fence, synthetic_files())
            .await
            .unwrap();
        let (files, _) = t
            .all_pages(&format!("/v1/runs/{}/files?limit=2", run.id))
            .await;
        assert_eq!(files.len(), 3);
        let keys: Vec<&str> = files[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "id",
                "path",
                "app",
                "layer",
                "conf_type",
                "size_bytes",
                "sha256",
                "stanza_count",
                "parse_error",
                "warnings"
            ]
        );
        assert_eq!(files[0]["stanza_count"], 4);
        let (stanzas, pages) = t
            .all_pages(&format!("/v1/runs/{}/stanzas?limit=5", run.id))
            .await;
        assert_eq!((stanzas.len(), pages), (12, 3), "{}", t.backend);
        let ids: HashSet<i64> = stanzas.iter().map(|s| s["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len(), 12);
        let keys: Vec<&str> = stanzas[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "id",
                "file_id",
                "app",
                "layer",
                "conf_type",
                "name",
                "global",
                "source_path",
                "line",
                "settings"
            ]
        );
        assert_eq!(stanzas[0]["settings"], json!({"KEY": "v0", "A": "1"}));
        assert_eq!(stanzas[0]["source_path"], "app_a/default/props.conf");
        let names = |items: &[Value]| {
            items
                .iter()
                .map(|s| s["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        let (_, page) = t
            .get(&format!(
                "/v1/runs/{}/stanzas?conf=props&name=source::",
                run.id
            ))
            .await;
        assert_eq!(
            names(page["items"].as_array().unwrap()),
            ["source::a", "source::b", "source::c"]
        );
        let (_, page) = t
            .get(&format!(
                "/v1/runs/{}/stanzas?conf=props&app=app_b&name=st_",
                run.id
            ))
            .await;
        assert_eq!(
            names(page["items"].as_array().unwrap()),
            ["st_2", "st_3", "st_4"]
        );
    }
}
