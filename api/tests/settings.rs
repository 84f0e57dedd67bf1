//! `GET /v1/settings` on SQLite and PostgreSQL: the item shape, `*` patterns, value substrings,
//! filters, pages, 400 on bad parameters, and the route in the OpenAPI document.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use api::ApiConfig;
use axum::http::StatusCode;
use common::TestApp;
use entity::store::{NewConfFile, NewRun, NewStanza, RunSource};
use serde_json::json;

fn props(app: &str, layer: &str, settings: &[(&str, &str)]) -> NewConfFile {
    NewConfFile {
        path: format!("install/{app}.tgz!{app}/{layer}/props.conf"),
        app: Some(app.to_owned()),
        layer: layer.to_owned(),
        conf_type: "props".to_owned(),
        size_bytes: 1,
        sha256: "00".repeat(32),
        parse_error: None,
        warnings: vec![],
        stanzas: vec![NewStanza {
            name: "access_combined".to_owned(),
            global: false,
            line: 3,
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }],
    }
}

async fn ingested(t: &TestApp, name: &str) -> i64 {
    let new = NewRun {
        filename: name.to_owned(),
        object_key: format!("uploads/x/{name}"),
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
    let files = vec![
        props(
            "TA_a",
            "default",
            &[
                ("TRUNCATE", "0"),
                ("EVAL-action", "if(a=1,\"Allowed\",\"x\")"),
            ],
        ),
        props(
            "TA_b",
            "local",
            &[("TRUNCATE", "5"), ("EVAL-user", "lower(User)")],
        ),
    ];
    t.store.write_results(run.id, fence, files).await.unwrap();
    let metrics = entity::store::RunMetrics::default();
    t.store.complete(run.id, fence, metrics).await.unwrap();
    t.store.index_settings(run.id).await.unwrap();
    run.id.0
}

#[tokio::test]
async fn settings_are_found_by_key_pattern_value_and_filters() {
    for t in TestApp::backends(ApiConfig::default()).await {
        let (one, two) = (ingested(&t, "a.spl").await, ingested(&t, "b.spl").await);
        let (status, runs) = t.get("/v1/runs").await;
        assert_eq!(status, StatusCode::OK, "{}: {runs}", t.backend);
        let indexed = runs["items"].as_array().expect("items");
        assert!(
            indexed.iter().all(|r| r["settings_indexed_at"].is_string()),
            "{}: {runs}",
            t.backend
        );
        let (status, page) = t.get("/v1/settings?key=TRUNCATE&app=TA_b").await;
        assert_eq!(status, StatusCode::OK, "{}: {page}", t.backend);
        assert_eq!(
            page,
            json!({"items": [
                {"run_id": one, "conf": "props", "stanza": "access_combined", "key": "TRUNCATE",
                 "value": "5", "app": "TA_b", "layer": "local",
                 "source_path": "install/TA_b.tgz!TA_b/local/props.conf", "line": 3},
                {"run_id": two, "conf": "props", "stanza": "access_combined", "key": "TRUNCATE",
                 "value": "5", "app": "TA_b", "layer": "local",
                 "source_path": "install/TA_b.tgz!TA_b/local/props.conf", "line": 3},
            ], "next": null}),
            "{}",
            t.backend
        );
        let (_, evals) = t.get(&format!("/v1/settings?key=EVAL-*&run={two}")).await;
        let keys: Vec<_> = evals["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["key"].clone())
            .collect();
        assert_eq!(
            keys,
            [json!("EVAL-action"), json!("EVAL-user")],
            "{}",
            t.backend
        );
        let (_, allowed) = t.get("/v1/settings?value=ALLOWED&conf=props").await;
        assert_eq!(
            allowed["items"].as_array().unwrap().len(),
            2,
            "{}",
            t.backend
        );
        let (_, none) = t.get("/v1/settings?key=TRUNCATE&conf=transforms").await;
        assert_eq!(none, json!({"items": [], "next": null}), "{}", t.backend);
        let (_, first) = t.get("/v1/settings?key=*&limit=5").await;
        let next = first["next"].as_str().expect("a next page").to_owned();
        let (_, rest) = t
            .get(&format!("/v1/settings?key=*&limit=5&after={next}"))
            .await;
        assert_eq!(
            first["items"].as_array().unwrap().len() + rest["items"].as_array().unwrap().len(),
            8,
            "{}",
            t.backend
        );
    }
}

#[tokio::test]
async fn bad_search_parameters_are_400_saying_why() {
    for t in TestApp::backends(ApiConfig::default()).await {
        let long = "v".repeat(1025);
        for (uri, says) in [
            ("/v1/settings?key=*a*b*c*d*".to_owned(), "more than 4 `*`"),
            (
                format!("/v1/settings?value={long}"),
                "`value` is longer than 1024 bytes",
            ),
            (
                format!("/v1/settings?key={long}"),
                "`key` is longer than 1024 bytes",
            ),
            ("/v1/settings?run=x".to_owned(), "`run` must be an integer"),
            ("/v1/settings?after=x".to_owned(), "invalid cursor"),
        ] {
            let (status, body) = t.get(&uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
            let error = body["error"].as_str().unwrap();
            assert!(error.contains(says), "{uri}: {error}");
        }
        let (_, doc) = t.get("/openapi.json").await;
        assert!(doc["paths"]["/v1/settings"]["get"].is_object());
        assert!(doc["components"]["schemas"]["SettingPage"].is_object());
    }
}
