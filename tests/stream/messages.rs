//! What the stream says: metrics with rates every second, run changes made by other processes,
//! dead letters arriving and leaving, and who may listen.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::harness::{Live, Read, connect, next_where, read, say};

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_arrive_every_second_with_depths_and_rates() {
    let live = Live::start("stream-metrics", &[], &[]);
    let mut ws = live.connect().await;
    let first = next_where(&mut ws, "metrics", MINUTE, |_| true).await;
    for field in [
        "status_counts",
        "retry_stats",
        "queues",
        "recent_failures",
        "reaper",
        "rates",
        "at",
    ] {
        assert!(
            first.get(field).is_some(),
            "metrics message without {field}: {first}"
        );
    }
    assert_eq!(first["queues"]["ingest"]["pending"], 0, "{first}");

    for _ in 0..20 {
        live.env.enqueue("confq.noop", "{}");
    }
    let seen = next_where(&mut ws, "metrics", MINUTE, |m| {
        m["queues"]["ingest"]["pending"] == 20
    })
    .await;
    let rate = seen["rates"]["ingest"]["enqueued_per_sec"]
        .as_f64()
        .unwrap();
    assert!(rate > 0.0, "20 tasks arrived in the window: {seen}");
    assert_eq!(seen["rates"]["ingest"]["processed_per_sec"], 0.0, "{seen}");

    // At least one metrics message a second: count them over 5 s (the first one may wait for the
    // tick that began before we started counting).
    let start = tokio::time::Instant::now();
    let mut metrics = 0;
    while start.elapsed() < Duration::from_secs(5) {
        if let Read::Json(m) = read(&mut ws, Duration::from_secs(5) - start.elapsed()).await
            && m["type"] == "metrics"
        {
            metrics += 1;
        }
    }
    println!("metrics messages in 5 s: {metrics}");
    assert!(metrics >= 4, "only {metrics} metrics messages in 5 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_process_status_change_reaches_the_stream_within_a_second() {
    let mut live = Live::start("stream-runs", &[], &[]);
    let mut ws = live.connect().await;
    next_where(&mut ws, "metrics", MINUTE, |_| true).await;
    let _worker = live.env.worker(2, &[]);
    let archive = live.env.file(
        "apps.tgz",
        &crate::support::archive::generated_tgz(7, 2, 5, 16).bytes,
    );
    let run = live.env.ingest(&[archive])[0];

    let stored = next_where(&mut ws, "run", MINUTE, |m| m["id"] == run).await;
    assert_eq!(stored["status"], "stored", "{stored}");
    for field in [
        "id",
        "status",
        "retry_count",
        "error_message",
        "task_id",
        "queue",
        "filename",
        "updated_at",
    ] {
        assert!(
            stored.get(field).is_some(),
            "run message without {field}: {stored}"
        );
    }
    let mut statuses = vec![];
    loop {
        let change = next_where(&mut ws, "run", MINUTE, |m| m["id"] == run).await;
        let received = Utc::now();
        let written: DateTime<Utc> = change["updated_at"].as_str().unwrap().parse().unwrap();
        let latency = (received - written).to_std().unwrap_or_default();
        println!(
            "run {run} {} reached the stream {latency:?} after it was written",
            change["status"]
        );
        assert!(
            latency < Duration::from_secs(1),
            "{latency:?} late: {change}"
        );
        statuses.push(change["status"].as_str().unwrap().to_owned());
        if change["status"] == "complete" || change["status"] == "failed" {
            break;
        }
    }
    assert_eq!(statuses, ["parsing", "complete"]);
    let status = live.env.status(run);
    assert_eq!(status["status"], "complete");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_arriving_and_leaving_are_announced() {
    let mut live = Live::start("stream-dead", &[], &[]);
    let mut ws = live.connect().await;
    next_where(&mut ws, "metrics", MINUTE, |_| true).await;
    let mut worker = live.env.worker(1, &[]);
    let task = live.env.enqueue("no.such.task", "{}");
    let arrived = next_where(&mut ws, "dead", MINUTE, |m| m["event"] == "arrived").await;
    assert_eq!(arrived["queue"], "ingest", "{arrived}");
    assert_eq!(arrived["dead"], 1, "{arrived}");
    assert_eq!(arrived["letters"][0]["task_id"], task.as_str(), "{arrived}");
    assert!(arrived["letters"][0]["reason"].is_string(), "{arrived}");
    worker.kill();

    let purged =
        crate::support::curl(&["-X", "DELETE", &format!("{}/v1/worker/dead", live.base())]);
    assert!(purged.unwrap().contains(r#""purged":1"#));
    let left = next_where(&mut ws, "dead", MINUTE, |m| m["event"] == "left").await;
    assert_eq!(left["dead"], 0, "{left}");
    assert_eq!(left["left"], 1, "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_protected_reads_the_token_comes_as_a_query_or_a_first_message() {
    let token = "s3cret-stream-token";
    let live = Live::start(
        "stream-auth",
        &[("CONFQ_API_TOKEN", token)],
        &["--protect-reads"],
    );
    // Wrong token in the query: refused before the upgrade.
    let refused = tokio_tungstenite::connect_async(live.ws_url("?token=wrong")).await;
    let error = refused.expect_err("a wrong token is refused").to_string();
    assert!(error.contains("401"), "{error}");

    let mut by_query = connect(&live.ws_url(&format!("?token={token}"))).await;
    next_where(&mut by_query, "metrics", MINUTE, |_| true).await;

    let mut by_message = live.connect().await;
    say(
        &mut by_message,
        &format!(r#"{{"type":"auth","token":"{token}"}}"#),
    )
    .await;
    next_where(&mut by_message, "metrics", MINUTE, |_| true).await;

    let mut wrong = live.connect().await;
    say(&mut wrong, r#"{"type":"auth","token":"nope"}"#).await;
    match read(&mut wrong, MINUTE).await {
        Read::Closed(code) => assert_eq!(code, Some(4401)),
        other => panic!("a wrong first message must close the stream: {other:?}"),
    }
    let mut silent = live.connect().await;
    match read(&mut silent, MINUTE).await {
        Read::Closed(code) => assert_eq!(code, Some(4401)),
        other => panic!("no token within the auth timeout must close the stream: {other:?}"),
    }
    let log = live.api.log_text();
    assert!(
        !log.contains(token),
        "the token is in the API's log:\n{log}"
    );
}

/// The metrics message carries the whole metrics document: what `/v1/worker/metrics` has, it has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_message_is_the_metrics_document_plus_rates() {
    let live = Live::start("stream-doc", &[], &[]);
    let mut ws = live.connect().await;
    let message = next_where(&mut ws, "metrics", MINUTE, |_| true).await;
    let document: Value = serde_json::from_str(
        &crate::support::curl(&[&format!("{}/v1/worker/metrics", live.base())]).unwrap(),
    )
    .unwrap();
    for key in document.as_object().unwrap().keys() {
        assert!(message.get(key).is_some(), "{key} missing from {message}");
    }
}

/// Tasks without a run (`confq.noop`) announce nothing: the live view adds no command to them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_without_a_run_announce_nothing() {
    let mut live = Live::start("stream-noop", &[], &[]);
    let mut ws = live.connect().await;
    next_where(&mut ws, "metrics", MINUTE, |_| true).await;
    let _worker = live.env.worker(4, &[]);
    for _ in 0..30 {
        live.env.enqueue("confq.noop", "{}");
    }
    let deadline = tokio::time::Instant::now() + MINUTE;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match read(&mut ws, left).await {
            Read::Json(m) if m["type"] == "run" => panic!("a no-op task announced a run: {m}"),
            Read::Json(m)
                if m["type"] == "metrics"
                    && m["rates"]["ingest"]["processed_per_sec"].as_f64() > Some(0.0)
                    && m["queues"]["ingest"]["pending"] == 0
                    && m["queues"]["ingest"]["processing"] == 0 =>
            {
                break;
            }
            Read::Json(_) => {}
            other => panic!("waiting for the no-op tasks: {other:?}"),
        }
    }
    assert_eq!(live.env.counter("processed"), 30);
}
