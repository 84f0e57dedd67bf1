//! Task control in the runtime: `confq.echo`'s result in the task state, time limits (envelope
//! and per task type) cancelling `confq.sleep`, a cancel stopping a running task within a second,
//! and an invalid `time_limit` dead-lettered with the reason.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use broker::{CancelOutcome, TaskState};
use common::Harness;
use serde_json::json;
use worker::retry::RetryPolicy;

const LIMIT: Duration = Duration::from_secs(15);

async fn state_of(harness: &Harness, id: &broker::TaskId) -> broker::TaskInfo {
    harness
        .broker
        .task(id)
        .await
        .unwrap()
        .expect("the task is known")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_returns_its_args_as_the_result() {
    let harness = Harness::new().await;
    let e = harness
        .enqueue("confq.echo", json!({"hello": ["world", 1]}))
        .await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    harness.wait_stats(LIMIT, |s| s.processed == 1).await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    let info = state_of(&harness, &e.id).await;
    assert_eq!(info.state, TaskState::Succeeded);
    assert_eq!(info.result, json!({"hello": ["world", 1]}));
    assert_eq!(info.task, "confq.echo");
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_limit_stops_a_sleep_and_the_retry_policy_decides() {
    let harness = Harness::new().await;
    let mut config = harness.worker_config();
    // One retry, then dead: the envelope's limit on one task, the task type's on another.
    config.retry = RetryPolicy::from_settings(1, vec![Duration::from_millis(50)]);
    config.time_limits = "confq.sleep=0.4".parse().unwrap();
    let mut by_envelope = broker::Envelope::new(
        "confq.sleep",
        json!({"ms": 60_000}).as_object().cloned().unwrap(),
    );
    by_envelope.extra.insert("time_limit".into(), json!(0.3));
    harness.push(&by_envelope).await;
    let by_type = harness.enqueue("confq.sleep", json!({"ms": 60_000})).await;
    let stop_reaper = harness.start_reaper();
    let started = Instant::now();
    let (shutdown, worker) = harness.start_worker(config).await;
    harness.wait_stats(LIMIT, |s| s.dead == 2).await;
    println!(
        "two 60 s sleeps limited and retried once each in {:?}",
        started.elapsed()
    );
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    stop_reaper.cancel();
    assert_eq!((stats.retried, stats.failed), (2, 2));
    let depths = harness.broker.stats(&harness.queue).await.unwrap();
    assert_eq!(
        depths.expired, 0,
        "stopped by the limit, not by a lost lease"
    );
    let dead = state_of(&harness, &by_envelope.id).await;
    assert_eq!(dead.state, TaskState::Dead);
    assert_eq!(
        dead.error.as_deref(),
        Some("timeout: time limit of 0.3 s exceeded")
    );
    let dead = state_of(&harness, &by_type.id).await;
    assert_eq!(
        dead.error.as_deref(),
        Some("timeout: time limit of 0.4 s exceeded")
    );
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_limit_that_is_not_a_positive_number_is_dead_lettered() {
    let harness = Harness::new().await;
    let mut e = broker::Envelope::new("confq.noop", serde_json::Map::new());
    e.extra.insert("time_limit".into(), json!("soon"));
    harness.push(&e).await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    harness.wait_stats(LIMIT, |s| s.dead == 1).await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    let dead = harness.dead_letters().await;
    assert_eq!(
        dead[0].reason,
        "malformed element: field `time_limit` must be a positive number of seconds, not \"soon\""
    );
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_running_task_stops_within_a_second_and_is_not_retried() {
    let harness = Harness::new().await;
    let e = harness.enqueue("confq.sleep", json!({"ms": 60_000})).await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    testenv::wait::until(LIMIT, "the sleep to run", || async {
        match state_of(&harness, &e.id).await.state {
            TaskState::Running => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let asked = Instant::now();
    assert_eq!(
        harness.broker.cancel(&e.id).await.unwrap(),
        CancelOutcome::Signalled
    );
    testenv::wait::until(LIMIT, "the task to end cancelled", || async {
        match state_of(&harness, &e.id).await.state {
            TaskState::Cancelled => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let took = asked.elapsed();
    println!("cancelled a running sleep in {took:?}");
    assert!(
        took < Duration::from_secs(1),
        "the worker was told within 1 s: {took:?}"
    );
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    assert_eq!((stats.cancelled, stats.retried, stats.failed), (1, 0, 0));
    let depths = harness.broker.stats(&harness.queue).await.unwrap();
    assert_eq!(
        (
            depths.pending,
            depths.processing,
            depths.delayed,
            depths.dead
        ),
        (0, 0, 0, 0)
    );
    harness.cleanup().await;
}
