//! An upload through the API, ingested by an in-process worker, then read back through the API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use api::ApiConfig;
use axum::http::StatusCode;
use common::{EXAMPLE_TGZ, TestApp};
use serde_json::Value;
use splunk::archive::Limits;
use worker::{Runner, Shutdown, WorkerConfig};

/// What the parser yields for examples/splunk-apps.tgz (one global pseudo-stanza included).
const EXAMPLE_FILES: usize = 15;
const EXAMPLE_STANZAS: usize = 31;

async fn start_worker(t: &TestApp) -> (Shutdown, tokio::task::JoinHandle<()>) {
    let config = WorkerConfig {
        queues: vec![t.queue()],
        concurrency: 2,
        ..WorkerConfig::default()
    };
    let registry = ingest::builtin(t.store.clone(), t.storage.clone(), Limits::default());
    let runner = Runner::new(
        &t.broker,
        registry,
        config,
        worker::registration::new_worker_id(),
    )
    .await
    .unwrap();
    let shutdown = Shutdown::new();
    let stop = shutdown.clone();
    (
        shutdown,
        tokio::spawn(async move { runner.run(stop).await.map(drop).unwrap() }),
    )
}

async fn all_items(t: &TestApp, first: &str) -> Vec<Value> {
    let (mut items, mut uri) = (Vec::new(), first.to_owned());
    loop {
        let (status, page) = t.get(&uri).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => uri = format!("{first}&after={next}"),
            None => return items,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploaded_archive_is_ingested_and_browsable() {
    for t in TestApp::backends(ApiConfig::default()).await {
        let (shutdown, worker) = start_worker(&t).await;
        let (status, accepted) = t.upload_raw(EXAMPLE_TGZ, "splunk-apps.tgz").await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let id = accepted["run_id"].as_i64().unwrap();
        let doc = testenv::wait::until(testenv::wait::LONG, "the run to finish", || async {
            let (_, doc) = t.get(&format!("/v1/worker/runs/{id}/status")).await;
            let done = doc["status"] == "complete" || doc["status"] == "failed";
            if done { Ok(doc) } else { Err(doc.to_string()) }
        })
        .await;
        assert_eq!(doc["status"], "complete", "{}: {doc}", t.backend);
        assert_eq!(doc["task_id"], accepted["task_id"]);
        assert_eq!(doc["metrics"]["files_parsed"], EXAMPLE_FILES);
        assert_eq!(doc["metrics"]["stanzas_created"], EXAMPLE_STANZAS);
        assert_eq!(doc["metrics"]["error_type"], Value::Null);

        let files = all_items(&t, &format!("/v1/runs/{id}/files?limit=4")).await;
        assert_eq!(files.len(), EXAMPLE_FILES);
        let stanzas = all_items(&t, &format!("/v1/runs/{id}/stanzas?limit=7")).await;
        assert_eq!(stanzas.len(), EXAMPLE_STANZAS);
        let ids: HashSet<i64> = stanzas.iter().map(|s| s["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len(), EXAMPLE_STANZAS, "no repeats across pages");
        assert_eq!(stanzas.iter().filter(|s| s["global"] == true).count(), 1);
        let total: i64 = files
            .iter()
            .map(|f| f["stanza_count"].as_i64().unwrap())
            .sum();
        assert_eq!(total as usize, EXAMPLE_STANZAS);

        let (_, metrics) = t.get("/v1/worker/metrics").await;
        assert_eq!(metrics["status_counts"]["complete"], 1);
        assert_eq!(metrics["queues"]["ingest"]["pending"], 0);
        let (_, runs) = t.get("/v1/runs?status=complete").await;
        assert_eq!(runs["items"][0]["id"], id);
        shutdown.graceful.cancel();
        worker.await.unwrap();
    }
}
