//! `confq dev` as a person uses it: it starts, answers `/readyz`, ingests an upload through its
//! in-process worker, and stops cleanly on SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::{curl, wait_for};

mod support;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/splunk-apps.tgz");

#[test]
fn dev_serves_ingests_an_upload_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = testenv::redis::prefix("confq-dev");
    let port = testenv::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut dev = Command::new(env!("CARGO_BIN_EXE_confq"))
        .args(["dev", "--bind", &format!("127.0.0.1:{port}")])
        .env("CONFQ_DATA_DIR", dir.path())
        .env("CONFQ_KEY_PREFIX", &prefix)
        .env("CONFQ_REDIS_URL", testenv::redis::standalone_url())
        .env_remove("CONFQ_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Generous: a debug binary starting, migrating and spawning its parts on a loaded machine.
    let ready = wait_for(
        Duration::from_secs(60),
        "confq dev to answer /readyz",
        || {
            // Not-ready answers (503) are bodies too: wait for "ready".
            curl(&[&format!("{base}/readyz")]).filter(|body| body.contains(r#""status":"ready""#))
        },
    );
    let ready_json: Value = serde_json::from_str(&ready).unwrap_or_default();
    assert_eq!(ready_json["status"], "ready", "{ready}");

    let upload: Value = serde_json::from_str(
        &curl(&[
            "-F",
            &format!("file=@{EXAMPLE}"),
            &format!("{base}/v1/uploads"),
        ])
        .unwrap(),
    )
    .unwrap();
    assert_eq!(upload["status"], "stored");
    let run_id = upload["run_id"].as_i64().unwrap();
    let status = wait_for(Duration::from_secs(60), "the upload to finish", || {
        let status: Value = serde_json::from_str(
            &curl(&[&format!("{base}/v1/worker/runs/{run_id}/status")]).unwrap(),
        )
        .unwrap();
        let done = status["status"] == "complete" || status["status"] == "failed";
        if done {
            Ok(status)
        } else {
            Err(status.to_string())
        }
    });
    assert_eq!(status["status"], "complete", "{status}");
    assert_eq!(status["metrics"]["stanzas_created"], 31);

    Command::new("kill")
        .args(["-TERM", &dev.id().to_string()])
        .status()
        .unwrap();
    let exited =
        testenv::wait::within_blocking(Duration::from_secs(20), || dev.try_wait().unwrap());
    let Some(exit) = exited else {
        let _ = dev.kill();
        panic!("confq dev did not stop on SIGTERM");
    };
    assert!(exit.success(), "confq dev exited with {exit}");
    assert!(
        curl(&[&format!("{base}/healthz")]).is_none(),
        "the API stopped listening"
    );
    testenv::redis::delete_prefix_blocking(&testenv::redis::standalone_url(), &prefix);
}
