//! One retry policy for every `timeout`: a lease expiry the reaper notices follows the workers'
//! retry policy, including a `timeout` override given in `CONFQ_RETRY_POLICY`, not a schedule of
//! the broker's own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use broker::{ExpiredTask, ReapOutcome, WorkerId};
use common::Harness;
use serde_json::json;
use worker::retry::RetryPolicy;

/// Fetches one task without renewing its lease, then ticks the production reaper with `policy`
/// until the lease has expired: the tick that failed it.
async fn expire_one(harness: &Harness, policy: RetryPolicy) -> ReapOutcome {
    harness.enqueue("confq.test.idle", json!({})).await;
    let consumer = harness
        .broker
        .consumer(vec![harness.queue.clone()], WorkerId::new("expiry-policy"))
        .await
        .unwrap();
    assert_eq!(consumer.fetch(1).await.unwrap().len(), 1);
    let reaper = worker::reaping::reaper(&harness.broker, vec![harness.queue.clone()], policy);
    testenv::wait::until(testenv::wait::LONG, "the lease to expire", || async {
        let (outcome, error) = reaper.tick_partial().await;
        assert!(error.is_none(), "{error:?}");
        (!outcome.expired.is_empty()).then_some(outcome)
    })
    .await
}

/// A fresh harness and the expiry of one task under the harness workers' policy with the
/// `CONFQ_RETRY_POLICY` overrides `json`.
async fn expire_with_overrides(json: &str) -> (Harness, ExpiredTask) {
    let harness = Harness::new().await;
    let policy = harness.worker_config().retry.with_overrides(json).unwrap();
    let mut outcome = expire_one(&harness, policy).await;
    (harness, outcome.expired.remove(0))
}

/// The harness's broker would retry (max_retries 3); the workers' policy gives up on timeouts.
#[tokio::test]
async fn a_lease_expiry_follows_a_timeout_override_of_the_retry_policy() {
    let (harness, expired) = expire_with_overrides(r#"{"timeout": {"max_retries": 0}}"#).await;
    assert_eq!((expired.dead_lettered, expired.retry_in), (true, None));
    assert_eq!(harness.dead_letters().await.len(), 1);
    harness.cleanup().await;
}

/// The harness's broker would wait 50 ms; the workers' timeout backoff is 30 s.
#[tokio::test]
async fn a_lease_expiry_waits_the_timeout_backoff_of_the_retry_policy() {
    let (harness, expired) = expire_with_overrides(r#"{"timeout": {"backoff": [30]}}"#).await;
    let thirty = Some(Duration::from_secs(30));
    assert_eq!((expired.dead_lettered, expired.retry_in), (false, thirty));
    let stats = harness.broker.stats(&harness.queue).await.unwrap();
    assert_eq!((stats.delayed, stats.pending), (1, 0), "{stats:?}");
    harness.cleanup().await;
}

/// Without overrides a lease expiry is retried on the transient schedule, like a worker-side
/// timeout.
#[tokio::test]
async fn a_lease_expiry_without_overrides_follows_the_transient_schedule() {
    let harness = Harness::new().await;
    let policy = RetryPolicy::from_settings(2, vec![Duration::from_secs(40)]);
    let policy = RetryPolicy {
        jitter: 0.0,
        ..policy
    };
    let outcome = expire_one(&harness, policy).await;
    assert_eq!(outcome.expired[0].retry_in, Some(Duration::from_secs(40)));
    harness.cleanup().await;
}
