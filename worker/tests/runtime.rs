//! The worker runtime with the diagnostic tasks: acks, retries on the configured schedule, dead
//! letters for unknown tasks and exhausted retries, graceful release on shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use broker::Envelope;
use common::Harness;
use serde_json::json;

fn envelope(task: &str, args: serde_json::Value) -> Envelope {
    Envelope::new(task, args.as_object().cloned().unwrap_or_default())
}

async fn wait_until<F, Fut>(limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "condition not met within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noop_and_sleep_tasks_are_acked() {
    let harness = Harness::new().await;
    let tasks = vec![
        envelope("confq.noop", json!({})),
        envelope("confq.sleep", json!({"ms": 300})),
    ];
    harness
        .broker
        .producer()
        .enqueue_many(&harness.queue, &tasks)
        .await
        .unwrap();
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let broker = harness.broker.clone();
    let queue = harness.queue.clone();
    wait_until(Duration::from_secs(10), || {
        let (broker, queue) = (broker.clone(), queue.clone());
        async move { broker.stats(&queue).await.unwrap().processed == 2 }
    })
    .await;
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
    harness
        .broker
        .producer()
        .enqueue(
            &harness.queue,
            &envelope("confq.sleep", json!({"ms": 3000})),
        )
        .await
        .unwrap();
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let broker = harness.broker.clone();
    let queue = harness.queue.clone();
    wait_until(Duration::from_secs(15), || {
        let (broker, queue) = (broker.clone(), queue.clone());
        async move { broker.stats(&queue).await.unwrap().processed == 1 }
    })
    .await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    stop_reaper.cancel();
    assert_eq!(stats.succeeded, 1);
    assert_eq!(
        harness.broker.stats(&harness.queue).await.unwrap().expired,
        0,
        "the lease never expired"
    );
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_task_is_dead_lettered_and_the_worker_goes_on() {
    let harness = Harness::new().await;
    let unknown = envelope("no.such.task", json!({}));
    harness
        .broker
        .producer()
        .enqueue_many(
            &harness.queue,
            &[unknown.clone(), envelope("confq.noop", json!({}))],
        )
        .await
        .unwrap();
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let broker = harness.broker.clone();
    let queue = harness.queue.clone();
    wait_until(Duration::from_secs(10), || {
        let (broker, queue) = (broker.clone(), queue.clone());
        async move {
            let stats = broker.stats(&queue).await.unwrap();
            stats.processed == 1 && stats.dead == 1
        }
    })
    .await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    let dead = harness
        .broker
        .dead_letters()
        .list(&harness.queue, 0, 10)
        .await
        .unwrap();
    assert_eq!(dead[0].task_id.as_ref(), Some(&unknown.id));
    assert!(
        dead[0].reason.contains("unknown task \"no.such.task\""),
        "{}",
        dead[0].reason
    );
    let failed = harness
        .broker
        .stats(&harness.queue)
        .await
        .unwrap()
        .failed_by_type;
    assert_eq!(failed.get("unknown_task"), Some(&1), "{failed:?}");
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_retry_on_schedule_then_dead_letter() {
    let harness = Harness::new().await;
    let stop_reaper = harness.start_reaper();
    let failing = envelope("confq.fail", json!({"kind": "transient"}));
    harness
        .broker
        .producer()
        .enqueue(&harness.queue, &failing)
        .await
        .unwrap();
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let broker = harness.broker.clone();
    let queue = harness.queue.clone();
    wait_until(Duration::from_secs(10), || {
        let (broker, queue) = (broker.clone(), queue.clone());
        async move { broker.stats(&queue).await.unwrap().dead == 1 }
    })
    .await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    stop_reaper.cancel();
    assert_eq!(
        (stats.retried, stats.failed),
        (3, 1),
        "three retries, then the fourth failure is final"
    );
    let dead = harness
        .broker
        .dead_letters()
        .list(&harness.queue, 0, 10)
        .await
        .unwrap();
    assert!(
        dead[0].reason.starts_with("transient_exhausted: "),
        "{}",
        dead[0].reason
    );
    assert_eq!(dead[0].envelope.as_ref().unwrap().attempt, 3);
    let failed = harness
        .broker
        .stats(&harness.queue)
        .await
        .unwrap()
        .failed_by_type;
    assert_eq!(failed.get("transient"), Some(&3), "{failed:?}");
    assert_eq!(failed.get("transient_exhausted"), Some(&1), "{failed:?}");
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failure_is_not_retried() {
    let harness = Harness::new().await;
    harness
        .broker
        .producer()
        .enqueue(
            &harness.queue,
            &envelope("confq.fail", json!({"kind": "permanent"})),
        )
        .await
        .unwrap();
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let broker = harness.broker.clone();
    let queue = harness.queue.clone();
    wait_until(Duration::from_secs(10), || {
        let (broker, queue) = (broker.clone(), queue.clone());
        async move { broker.stats(&queue).await.unwrap().dead == 1 }
    })
    .await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    assert_eq!((stats.retried, stats.failed), (0, 1));
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_arguments_are_a_permanent_failure() {
    let harness = Harness::new().await;
    harness
        .broker
        .producer()
        .enqueue(
            &harness.queue,
            &envelope("confq.sleep", json!({"ms": "long"})),
        )
        .await
        .unwrap();
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let broker = harness.broker.clone();
    let queue = harness.queue.clone();
    wait_until(Duration::from_secs(10), || {
        let (broker, queue) = (broker.clone(), queue.clone());
        async move { broker.stats(&queue).await.unwrap().dead == 1 }
    })
    .await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    let dead = harness
        .broker
        .dead_letters()
        .list(&harness.queue, 0, 10)
        .await
        .unwrap();
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
    let long = envelope("confq.sleep", json!({"ms": 60_000}));
    harness
        .broker
        .producer()
        .enqueue(&harness.queue, &long)
        .await
        .unwrap();
    let mut config = harness.worker_config();
    config.shutdown_grace = Duration::from_millis(200);
    let (shutdown, worker) = harness.start_worker(config).await;
    let broker = harness.broker.clone();
    let queue = harness.queue.clone();
    wait_until(Duration::from_secs(10), || {
        let (broker, queue) = (broker.clone(), queue.clone());
        async move { broker.stats(&queue).await.unwrap().processing == 1 }
    })
    .await;
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
    harness
        .broker
        .producer()
        .enqueue(&harness.queue, &envelope("confq.sleep", json!({"ms": 400})))
        .await
        .unwrap();
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let broker = harness.broker.clone();
    let queue = harness.queue.clone();
    wait_until(Duration::from_secs(10), || {
        let (broker, queue) = (broker.clone(), queue.clone());
        async move { broker.stats(&queue).await.unwrap().processing == 1 }
    })
    .await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    assert_eq!((stats.succeeded, stats.released), (1, 0));
    harness.cleanup().await;
}
