//! Several queues on real Redis (and on the local cluster with `CONFQ_TEST_REDIS_CLUSTER=1`):
//! strict and weighted order measured over a real backlog, starvation under a flood, one fetch
//! claiming from several queues, and an idle consumer woken by an enqueue.

mod common;

use std::time::{Duration, Instant};

use broker::{Broker, Consumer, Envelope, QueueName, Selection, WeightedQueue};
use common::{broker, broker_with, cleanup, fast_config, redis_url, task, worker};

/// Tasks a simulated worker takes per fetch (its free slots).
const SLOTS: usize = 4;

fn q(name: &str) -> QueueName {
    QueueName::parse(name).expect("a valid queue name")
}

fn selection(spec: &[&str], strict: bool) -> Selection {
    let queues = spec
        .iter()
        .map(|s| s.parse::<WeightedQueue>().expect("a valid queue spec"))
        .collect();
    Selection::new(queues, strict).expect("a valid selection")
}

async fn fill(b: &Broker, queue: &QueueName, n: usize) {
    let tasks: Vec<Envelope> = (0..n).map(task).collect();
    for chunk in tasks.chunks(1_000) {
        b.producer()
            .enqueue_many(queue, chunk)
            .await
            .expect("enqueue a chunk");
    }
}

/// A broker with `tasks` queued and a consumer of `spec`.
async fn filled(spec: &[&str], strict: bool, tasks: &[(&QueueName, usize)]) -> (Broker, Consumer) {
    let b = broker().await;
    for (queue, n) in tasks {
        fill(&b, queue, *n).await;
    }
    let c = b
        .consumer_with(selection(spec, strict), worker())
        .await
        .expect("consumer");
    (b, c)
}

/// Fetches (`SLOTS` at a time) and acks until `until` says stop; returns each task's queue, in
/// the order they were taken.
async fn take(c: &Consumer, mut until: impl FnMut(&[QueueName]) -> bool) -> Vec<QueueName> {
    let mut order = Vec::new();
    while !until(&order) {
        let got = c.fetch(SLOTS).await.expect("fetch");
        assert!(
            !got.is_empty(),
            "queues ran dry after {} tasks",
            order.len()
        );
        order.extend(got.iter().map(|d| d.queue.clone()));
        c.ack_many(&got).await.expect("ack");
    }
    order
}

fn count(order: &[QueueName], queue: &QueueName) -> usize {
    order.iter().filter(|x| *x == queue).count()
}

/// 20,000 low tasks queued and 100 of them taken, then 200 critical: how many low tasks are
/// taken until the last critical one is.
async fn low_taken_while_critical_drains(strict: bool, spec: &[&str]) -> usize {
    let (critical, low) = (q("critical"), q("low"));
    let (b, c) = filled(spec, strict, &[(&low, 20_000)]).await;
    let before = take(&c, |o| o.len() >= 100).await;
    assert_eq!(count(&before, &low), before.len());
    fill(&b, &critical, 200).await;
    let after = take(&c, |o| count(o, &critical) >= 200).await;
    cleanup(&b).await;
    count(&after, &low)
}

#[tokio::test]
async fn strict_priority_takes_every_critical_task_before_another_low_one() {
    let low = low_taken_while_critical_drains(true, &["critical", "low"]).await;
    println!("strict: {low} low tasks taken while 200 critical drained");
    assert_eq!(low, 0, "strict order let low tasks in");
}

#[tokio::test]
async fn weights_6_to_1_drain_critical_within_a_bounded_share_of_the_low_backlog() {
    let low = low_taken_while_critical_drains(false, &["critical=6", "low=1"]).await;
    println!("weighted 6:1: {low} low tasks taken while 200 critical drained (expected ~33)");
    assert!(low >= 1, "the low queue made no progress at all");
    assert!(low <= 150, "{low} low tasks overtook critical ones");
}

/// A flood of high work: with weights the low queue still progresses; with strict it starves.
async fn low_share_under_a_flood(strict: bool, spec: &[&str]) -> usize {
    let (high, low) = (q("high"), q("low"));
    let (b, c) = filled(spec, strict, &[(&high, 2_000), (&low, 2_000)]).await;
    let order = take(&c, |o| o.len() >= 1_000).await;
    cleanup(&b).await;
    count(&order, &low)
}

#[tokio::test]
async fn with_weights_a_low_queue_still_progresses_under_a_flood() {
    let low = low_share_under_a_flood(false, &["high=10", "low=1"]).await;
    println!("weighted 10:1 flood: {low} of 1000 tasks from low (expected ~91)");
    assert!((20..=250).contains(&low), "{low} of 1000 from low");
}

#[tokio::test]
async fn with_strict_priority_a_low_queue_starves_under_a_flood() {
    let low = low_share_under_a_flood(true, &["high", "low"]).await;
    assert_eq!(low, 0, "strict order took low tasks while high had some");
}

#[tokio::test]
async fn one_fetch_claims_from_several_queues() {
    let (a, z) = (q("a"), q("z"));
    let (b, c) = filled(&["a", "z"], false, &[(&a, 100), (&z, 100)]).await;
    let got = c.fetch(64).await.expect("fetch");
    let queues: Vec<QueueName> = got.iter().map(|d| d.queue.clone()).collect();
    assert_eq!(got.len(), 64);
    assert!(
        count(&queues, &a) > 0 && count(&queues, &z) > 0,
        "{queues:?}"
    );
    assert_eq!(c.ack_many(&got).await.expect("ack"), vec![true; 64]);
    // A queue's share never exceeds what it holds: 1 left in `a` and plenty in `z`.
    let got = c.fetch(200).await.expect("fetch");
    assert_eq!(got.len(), 200 - 64, "everything left, from both queues");
    cleanup(&b).await;
}

#[tokio::test]
async fn an_idle_consumer_of_several_queues_wakes_when_any_of_them_gets_a_task() {
    let config = broker::BrokerConfig {
        // Far above the bound asserted: only the wake message can end the wait in time.
        block_timeout: Duration::from_secs(20),
        ..fast_config(&redis_url())
    };
    let b = broker_with(config).await;
    let c = b
        .consumer_with(selection(&["a=3", "b", "c"], false), worker())
        .await
        .expect("consumer");
    for target in ["c", "a", "b"] {
        let waiting = tokio::spawn({
            let c = c.clone();
            async move { c.fetch(SLOTS).await }
        });
        // Let the fetch find every queue empty and start waiting.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiting.is_finished(), "fetch returned without a task");
        let sent = Instant::now();
        b.producer()
            .enqueue(&q(target), &task(1))
            .await
            .expect("enqueue");
        let got = waiting.await.expect("join").expect("fetch");
        let waited = sent.elapsed();
        println!("woke for queue {target} after {waited:?}");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].queue, q(target));
        assert!(waited < Duration::from_secs(1), "woke after {waited:?}");
        c.ack(&got[0]).await.expect("ack");
    }
    cleanup(&b).await;
}
