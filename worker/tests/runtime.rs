//! The worker runtime with the diagnostic tasks: acks, retries on the configured schedule, dead
//! letters for unknown tasks and exhausted retries, graceful release on shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::Harness;
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noop_and_sleep_tasks_are_acked() {
    let harness = Harness::new().await;
    harness.enqueue("confq.noop", json!({})).await;
    harness.enqueue("confq.sleep", json!({"ms": 300})).await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    harness.wait_stats(LIMIT, |s| s.processed == 2).await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    assert_eq!(stats.succeeded, 2);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleep_longer_than_the_lease_keeps_its_lease_by_heartbeats() {
    let harness = Harness::new().await;
    let stop_reaper = harness.start_reaper();
    // The lease is 1.5 s; the task sleeps 3 s while reporting progress.
    harness.enqueue("confq.sleep", json!({"ms": 3000})).await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let depths = harness.wait_stats(LIMIT, |s| s.processed == 1).await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    stop_reaper.cancel();
    assert_eq!(stats.succeeded, 1);
    assert_eq!(depths.expired, 0, "the lease never expired");
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_task_is_dead_lettered_and_the_worker_goes_on() {
    let harness = Harness::new().await;
    let unknown = harness.enqueue("no.such.task", json!({})).await;
    harness.enqueue("confq.noop", json!({})).await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let depths = harness
        .wait_stats(LIMIT, |s| s.processed == 1 && s.dead == 1)
        .await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    let dead = harness.dead_letters().await;
    assert_eq!(dead[0].task_id.as_ref(), Some(&unknown.id));
    assert!(
        dead[0].reason.contains("unknown task \"no.such.task\""),
        "{}",
        dead[0].reason
    );
    assert_eq!(
        depths.failed_by_type.get("unknown_task"),
        Some(&1),
        "{depths:?}"
    );
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_retry_on_schedule_then_dead_letter() {
    let harness = Harness::new().await;
    let stop_reaper = harness.start_reaper();
    harness
        .enqueue("confq.fail", json!({"kind": "transient"}))
        .await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let depths = harness.wait_stats(LIMIT, |s| s.dead == 1).await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    stop_reaper.cancel();
    assert_eq!(
        (stats.retried, stats.failed),
        (3, 1),
        "three retries, then the fourth failure is final"
    );
    let dead = harness.dead_letters().await;
    assert!(
        dead[0].reason.starts_with("transient_exhausted: "),
        "{}",
        dead[0].reason
    );
    assert_eq!(dead[0].envelope.as_ref().unwrap().attempt, 3);
    assert_eq!(
        depths.failed_by_type.get("transient"),
        Some(&3),
        "{depths:?}"
    );
    assert_eq!(
        depths.failed_by_type.get("transient_exhausted"),
        Some(&1),
        "{depths:?}"
    );
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failure_is_not_retried() {
    let harness = Harness::new().await;
    harness
        .enqueue("confq.fail", json!({"kind": "permanent"}))
        .await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let depths = harness.wait_stats(LIMIT, |s| s.dead == 1).await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    assert_eq!((stats.retried, stats.failed), (0, 1));
    assert_eq!(
        depths.failed_by_type.get("permanent"),
        Some(&1),
        "{depths:?}"
    );
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_arguments_are_a_permanent_failure() {
    let harness = Harness::new().await;
    harness.enqueue("confq.sleep", json!({"ms": "long"})).await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    harness.wait_stats(LIMIT, |s| s.dead == 1).await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    let dead = harness.dead_letters().await;
    assert!(
        dead[0].reason.contains("invalid arguments for confq.sleep"),
        "{}",
        dead[0].reason
    );
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_past_the_grace_period_gives_unfinished_tasks_back_at_once() {
    let harness = Harness::new().await;
    harness.enqueue("confq.sleep", json!({"ms": 60_000})).await;
    let mut config = harness.worker_config();
    config.shutdown_grace = Duration::from_millis(200);
    let (shutdown, worker) = harness.start_worker(config).await;
    harness.wait_stats(LIMIT, |s| s.processing == 1).await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    assert_eq!(stats.released, 1);
    let depths = harness.broker.stats(&harness.queue).await.unwrap();
    assert_eq!(
        (depths.pending, depths.processing),
        (1, 0),
        "back on pending, not waiting for a lease expiry"
    );
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_tasks_finish_within_the_grace_period() {
    let harness = Harness::new().await;
    harness.enqueue("confq.sleep", json!({"ms": 400})).await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    harness.wait_stats(LIMIT, |s| s.processing == 1).await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    assert_eq!((stats.succeeded, stats.released), (1, 0));
    harness.cleanup().await;
}
