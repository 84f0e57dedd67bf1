//! Reaper behaviour against a real Redis: expired leases, orphans, delayed promotion, exhaustion.

mod common;

use std::time::Duration;

use broker::{BrokerConfig, Envelope};
use chrono::Utc;
use common::{
    assert_due_after, broker, broker_with, cleanup, dead_letters, fast_config, lapsed_leases,
    queue, raw, redis_now_ms, redis_url, task, tick_until, worker,
};
use redis::AsyncCommands;

/// Long enough that a loaded machine never lets one lapse by accident, for the tests that check
/// a lease is still valid before it lapses; the others take `fast_config`'s 300 ms lease. No
/// test sleeps a lease out: each polls until the lease has lapsed by the Redis clock.
const LEASE: Duration = Duration::from_millis(1000);

fn one_second_lease() -> BrokerConfig {
    BrokerConfig {
        lease: LEASE,
        ..fast_config(&redis_url())
    }
}

#[tokio::test]
async fn an_expired_lease_is_redelivered_with_attempt_plus_one_and_error_type_timeout() {
    let b = broker_with(one_second_lease()).await;
    b.producer().enqueue(&queue(), &task(1)).await.unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let before = redis_now_ms(&b).await;
    let first = c.fetch(1).await.unwrap().remove(0);
    let leased = (before, redis_now_ms(&b).await);
    let keys = broker::keys::QueueKeys::new(&b.config().key_prefix, &queue());
    assert_due_after(&b, &keys.leases, leased, LEASE).await;
    let reaper = common::reaper(&b);
    assert!(
        reaper.tick().await.unwrap().expired.is_empty(),
        "lease still valid"
    );

    let outcome = tick_until(&reaper, "the lease to expire", |o| !o.expired.is_empty()).await;
    assert_eq!(outcome.expired.len(), 1);
    let expired = &outcome.expired[0];
    assert_eq!(
        (expired.envelope.id, expired.envelope.attempt),
        (first.envelope.id, 1)
    );
    assert_eq!(
        (expired.dead_lettered, expired.retry_in),
        (false, Some(Duration::ZERO))
    );
    assert_eq!(
        outcome.promoted, 1,
        "zero backoff: promoted in the same pass"
    );

    let again = c.fetch(1).await.unwrap().remove(0);
    assert_eq!(
        (again.envelope.id, again.envelope.attempt),
        (first.envelope.id, 1)
    );
    assert_eq!(again.envelope.last_error_type(), Some("timeout"));
    assert!(c.ack(&first).await.is_err(), "the old holder is fenced off");
    c.ack(&again).await.unwrap();
    let stats = b.stats(&queue()).await.unwrap();
    assert_eq!(
        (
            stats.expired,
            stats.retried,
            stats.processed,
            stats.processing
        ),
        (1, 1, 1, 0)
    );
    cleanup(&b).await;
}

#[tokio::test]
async fn a_heartbeat_keeps_the_lease_alive() {
    let b = broker_with(one_second_lease()).await;
    b.producer().enqueue(&queue(), &task(1)).await.unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let d = c.fetch(1).await.unwrap().remove(0);
    let reaper = common::reaper(&b);
    // 4 × 300 ms outlives the 1 s lease: only the renewals keep it.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.extend_lease(&d).await.unwrap();
        assert!(reaper.tick().await.unwrap().expired.is_empty());
    }
    c.ack(&d).await.unwrap();
    cleanup(&b).await;
}

#[tokio::test]
async fn an_entry_orphaned_between_blmove_and_claim_is_recovered_after_the_grace_period_and_not_before()
 {
    let b = broker_with(BrokerConfig {
        orphan_grace: Duration::from_millis(1000),
        lease: Duration::from_secs(5),
        ..fast_config(&redis_url())
    })
    .await;
    b.producer().enqueue(&queue(), &task(1)).await.unwrap();
    let keys = broker::keys::QueueKeys::new(&b.config().key_prefix, &queue());
    let mut con = raw(&b).await;
    // a consumer that died right after its BLMOVE
    let moved: Option<String> = redis::cmd("LMOVE")
        .arg(&keys.pending)
        .arg(&keys.processing)
        .arg("RIGHT")
        .arg("LEFT")
        .query_async(&mut con)
        .await
        .unwrap();
    assert!(moved.is_some());

    let reaper = common::reaper(&b);
    assert_eq!(
        reaper.tick().await.unwrap().orphans_requeued,
        0,
        "first sighting"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        reaper.tick().await.unwrap().orphans_requeued,
        0,
        "inside the grace period"
    );
    let past_grace = tick_until(&reaper, "the orphan's grace period to pass", |o| {
        o.orphans_requeued > 0
    })
    .await;
    assert_eq!(past_grace.orphans_requeued, 1);
    let stats = b.stats(&queue()).await.unwrap();
    assert_eq!((stats.pending, stats.processing), (1, 0));
    let unleased: usize = con.hlen(&keys.unleased).await.unwrap();
    assert_eq!(unleased, 0);

    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let d = c.fetch(1).await.unwrap().remove(0);
    assert_eq!(d.envelope.attempt, 0);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    c.extend_lease(&d).await.unwrap();
    assert_eq!(
        reaper.tick().await.unwrap().orphans_requeued,
        0,
        "a leased task is no orphan"
    );
    cleanup(&b).await;
}

#[tokio::test]
async fn delayed_tasks_are_promoted_when_due_and_not_before() {
    let b = broker().await;
    let p = b.producer();
    let later = task(1);
    let before = redis_now_ms(&b).await;
    p.enqueue_in(&queue(), &later, Duration::from_millis(1000))
        .await
        .unwrap();
    let scheduled = (before, redis_now_ms(&b).await);
    let keys = broker::keys::QueueKeys::new(&b.config().key_prefix, &queue());
    assert_due_after(&b, &keys.delayed, scheduled, Duration::from_millis(1000)).await;
    p.enqueue_at(
        &queue(),
        &task(2),
        Utc::now() - chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    let reaper = common::reaper(&b);
    assert_eq!(
        reaper.tick().await.unwrap().promoted,
        1,
        "the past one only"
    );
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let now = c.fetch(5).await.unwrap();
    assert_eq!(now.len(), 1);
    c.ack(&now[0]).await.unwrap();
    assert!(c.fetch(5).await.unwrap().is_empty());

    let due = tick_until(&reaper, "the delayed task to fall due", |o| o.promoted > 0).await;
    assert_eq!(due.promoted, 1);
    let got = c.fetch(5).await.unwrap();
    assert_eq!(got[0].envelope, later);
    cleanup(&b).await;
}

#[tokio::test]
async fn retries_exhausted_go_to_the_dead_letters_with_the_reason() {
    let b = broker().await;
    let mut e = task(1);
    e.max_retries = Some(1);
    b.producer().enqueue(&queue(), &e).await.unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let reaper = common::reaper(&b);
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        let d = c.fetch(1).await.unwrap().remove(0);
        assert_eq!(d.envelope.id, e.id);
        let mut outcome =
            tick_until(&reaper, "the lease to expire", |o| !o.expired.is_empty()).await;
        outcomes.push(outcome.expired.remove(0));
    }
    assert!(!outcomes[0].dead_lettered);
    assert!(outcomes[1].dead_lettered && outcomes[1].retry_in.is_none());
    assert_eq!(outcomes[1].envelope.attempt, 2);
    assert!(c.fetch(1).await.unwrap().is_empty());

    let dead = dead_letters(&b).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].task_id, Some(e.id));
    assert!(
        dead[0].reason.contains("retries exhausted"),
        "{}",
        dead[0].reason
    );
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("lease expired")
    );
    assert_eq!(b.stats(&queue()).await.unwrap().dead_lettered, 1);
    cleanup(&b).await;
}

#[tokio::test]
async fn a_rerun_to_record_a_verdict_does_not_count_as_a_retry_when_its_lease_expires() {
    let b = broker().await;
    // The fourth delivery, but one earlier delivery only re-ran to record a verdict: two retries
    // are used, so with max_retries 3 an expiry now is retry 3, not exhaustion.
    let mut e = task(1);
    e.max_retries = Some(3);
    e.attempt = 3;
    e.extra
        .insert(broker::UNRECORDED_VERDICTS.to_owned(), 1.into());
    b.producer().enqueue(&queue(), &e).await.unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let reaper = common::reaper(&b);
    c.fetch(1).await.unwrap().remove(0);
    let expired = tick_until(&reaper, "the lease to expire", |o| !o.expired.is_empty())
        .await
        .expired
        .remove(0);
    assert!(!expired.dead_lettered, "dead-lettered one retry early");
    assert_eq!(
        (expired.envelope.attempt, expired.envelope.retries()),
        (4, 3)
    );
    // The next expiry is past the budget.
    let again = wait_for_delivery(&c).await;
    assert_eq!(again.envelope.retries(), 3);
    let expired = tick_until(&reaper, "the lease to expire", |o| !o.expired.is_empty())
        .await
        .expired
        .remove(0);
    assert!(expired.dead_lettered);
    cleanup(&b).await;
}

/// Fetches until the delayed retry (zero backoff in the tests' policy) has been promoted.
async fn wait_for_delivery(c: &broker::Consumer) -> broker::Delivery {
    testenv::wait::until(testenv::wait::LONG, "the retry to be delivered", || async {
        c.fetch(1).await.expect("fetch").pop()
    })
    .await
}

#[tokio::test]
async fn several_reapers_at_once_do_no_double_work() {
    let b = broker().await;
    let n = 200;
    let tasks: Vec<Envelope> = (0..n).map(task).collect();
    b.producer().enqueue_many(&queue(), &tasks).await.unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let mut fetched = 0;
    while fetched < n {
        fetched += c.fetch(64).await.unwrap().len();
    }
    testenv::wait::until(testenv::wait::LONG, "every lease to lapse", || async {
        lapsed_leases(&b).await == n
    })
    .await;
    let reapers: Vec<_> = (0..4).map(|_| common::reaper(&b)).collect();
    let outcomes = futures::future::join_all(reapers.iter().map(|r| r.tick())).await;
    let expired: usize = outcomes.into_iter().map(|o| o.unwrap().expired.len()).sum();
    assert_eq!(expired, n);
    let stats = b.stats(&queue()).await.unwrap();
    assert_eq!(
        (
            stats.expired,
            stats.pending + stats.delayed,
            stats.processing
        ),
        (n as u64, n as u64, 0)
    );
    cleanup(&b).await;
}
