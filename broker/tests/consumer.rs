//! Consumer behaviour against a real Redis: order, fencing, malformed elements, release.

mod common;

use std::time::Duration;

use broker::{BrokerError, Envelope};
use common::{broker, cleanup, dead_letters, queue, raw, task, worker};
use redis::AsyncCommands;

#[tokio::test]
async fn tasks_come_out_in_the_order_they_went_in() {
    let b = broker().await;
    let p = b.producer();
    for i in 0..5 {
        p.enqueue(&queue(), &task(i)).await.unwrap();
    }
    let batch: Vec<Envelope> = (5..10).map(task).collect();
    p.enqueue_many(&queue(), &batch).await.unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..4 {
        for d in c.fetch(3).await.unwrap() {
            seen.push(d.envelope.args["i"].as_u64().unwrap());
            c.ack(&d).await.unwrap();
        }
    }
    assert_eq!(seen, (0..10).collect::<Vec<u64>>());
    assert_eq!(b.queues().await.unwrap(), vec![queue()]);
    cleanup(&b).await;
}

#[tokio::test]
async fn fetch_on_an_empty_queue_returns_nothing_after_blocking() {
    let b = broker().await;
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    assert!(c.fetch(4).await.unwrap().is_empty());
    cleanup(&b).await;
}

#[tokio::test]
async fn a_task_pushed_while_blocking_is_delivered_and_leased() {
    let b = broker().await;
    let mut cfg = b.config().clone();
    cfg.block_timeout = Duration::from_secs(2);
    let b = broker::Broker::connect(cfg).await.unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let p = b.producer();
    let pusher = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        p.enqueue(&queue(), &task(7)).await.unwrap();
    });
    let got = c.fetch(4).await.unwrap();
    pusher.await.unwrap();
    assert_eq!(got.len(), 1);
    c.extend_lease(&got[0]).await.unwrap();
    c.ack(&got[0]).await.unwrap();
    assert_eq!(b.stats(&queue()).await.unwrap().processed, 1);
    cleanup(&b).await;
}

#[tokio::test]
async fn an_ack_with_a_stale_token_is_refused_and_changes_nothing() {
    let b = broker().await;
    b.producer().enqueue(&queue(), &task(1)).await.unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let first = c.fetch(1).await.unwrap().remove(0);
    c.release(&first).await.unwrap();
    let second = c.fetch(1).await.unwrap().remove(0);
    assert_eq!(second.envelope.id, first.envelope.id);
    let before = b.stats(&queue()).await.unwrap();

    let err = c.ack(&first).await.unwrap_err();
    assert!(matches!(err, BrokerError::LeaseLost { task_id } if task_id == first.envelope.id));
    assert!(matches!(
        c.extend_lease(&first).await,
        Err(BrokerError::LeaseLost { .. })
    ));
    assert!(matches!(
        c.retry_later(&first, Duration::ZERO, "x").await,
        Err(BrokerError::LeaseLost { .. })
    ));
    assert!(matches!(
        c.dead_letter(&first, "x").await,
        Err(BrokerError::LeaseLost { .. })
    ));
    assert_eq!(
        c.ack_many(std::slice::from_ref(&first)).await.unwrap(),
        vec![false]
    );
    assert_eq!(b.stats(&queue()).await.unwrap(), before);

    c.ack(&second).await.unwrap();
    let after = b.stats(&queue()).await.unwrap();
    assert_eq!((after.processing, after.processed), (0, 1));
    cleanup(&b).await;
}

#[tokio::test]
async fn release_puts_the_task_back_first_with_the_same_attempt() {
    let b = broker().await;
    let p = b.producer();
    p.enqueue_many(&queue(), &[task(1), task(2)]).await.unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let d = c.fetch(1).await.unwrap().remove(0);
    c.release(&d).await.unwrap();
    let again = c.fetch(1).await.unwrap().remove(0);
    assert_eq!(
        (again.envelope.id, again.envelope.attempt),
        (d.envelope.id, 0)
    );
    cleanup(&b).await;
}

#[tokio::test]
async fn malformed_elements_are_dead_lettered_and_the_consumer_keeps_going() {
    let b = broker().await;
    let keys = broker::keys::QueueKeys::new(&b.config().key_prefix, &queue());
    let mut con = raw(&b).await;
    let bad = [
        "this is not json",
        r#"{"v":2,"id":"0192f0c4-5a6e-7c1a-9f44-1b2c3d4e5f60","task":"t","args":{}}"#,
        r#"{"v":1,"task":"t","args":{}}"#,
        r#"{"v":1,"id":"0192f0c4-5a6e-7c1a-9f44-1b2c3d4e5f60","task":"t","args":{},"attempt":"x"}"#,
    ];
    for element in bad {
        let _: () = con.lpush(&keys.pending, element).await.unwrap();
    }
    b.producer().enqueue(&queue(), &task(1)).await.unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let got = c.fetch(10).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].envelope.args["i"], 1);

    let dead = dead_letters(&b).await;
    let mut reasons: Vec<String> = dead.iter().map(|d| d.reason.clone()).collect();
    reasons.sort();
    assert_eq!(reasons.len(), 4);
    for (needle, raw_element) in [
        "not JSON",
        "version",
        "`id` is missing",
        "`attempt` must be",
    ]
    .iter()
    .zip(bad)
    {
        let hit = dead
            .iter()
            .find(|d| d.reason.contains(needle))
            .expect(needle);
        assert_eq!(hit.raw, raw_element);
    }
    let stats = b.stats(&queue()).await.unwrap();
    assert_eq!((stats.dead, stats.processing, stats.pending), (4, 1, 0));

    b.producer().enqueue(&queue(), &task(2)).await.unwrap();
    assert_eq!(c.fetch(10).await.unwrap().len(), 1);
    cleanup(&b).await;
}

#[tokio::test]
async fn retry_later_records_the_error_and_delays_the_next_attempt() {
    let b = broker().await;
    b.producer().enqueue(&queue(), &task(1)).await.unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let d = c.fetch(1).await.unwrap().remove(0);
    let before = common::redis_now_ms(&b).await;
    c.retry_later(&d, Duration::from_millis(1000), "upstream 503")
        .await
        .unwrap();
    let retried = (before, common::redis_now_ms(&b).await);
    let delayed = broker::keys::QueueKeys::new(&b.config().key_prefix, &queue()).delayed;
    common::assert_due_after(&b, &delayed, retried, Duration::from_millis(1000)).await;
    let stats = b.stats(&queue()).await.unwrap();
    assert_eq!(
        (stats.delayed, stats.processing, stats.retried, stats.failed),
        (1, 0, 1, 1)
    );
    let reaper = common::reaper(&b);
    assert_eq!(reaper.tick().await.unwrap().promoted, 0);
    let due = common::tick_until(&reaper, "the retry to fall due", |o| o.promoted > 0).await;
    assert_eq!(due.promoted, 1);
    let again = c.fetch(1).await.unwrap().remove(0);
    assert_eq!(again.envelope.attempt, 1);
    assert_eq!(again.envelope.last_error(), Some("upstream 503"));
    assert_eq!(again.envelope.last_error_type(), Some("transient"));
    cleanup(&b).await;
}

#[tokio::test]
async fn a_consumer_of_several_queues_takes_the_earlier_queue_first() {
    let b = broker().await;
    let high = broker::QueueName::parse("high").unwrap();
    b.producer().enqueue(&queue(), &task(1)).await.unwrap();
    b.producer().enqueue(&high, &task(2)).await.unwrap();
    let c = b
        .consumer(vec![high.clone(), queue()], worker())
        .await
        .unwrap();
    let got = c.fetch(1).await.unwrap();
    assert_eq!(
        (got[0].queue.clone(), got[0].envelope.args["i"].as_u64()),
        (high, Some(2))
    );
    let got = c.fetch(5).await.unwrap();
    assert_eq!(got[0].queue, queue());
    assert_eq!(c.ack_many(&got).await.unwrap(), vec![true]);
    assert!(
        c.fetch(5).await.unwrap().is_empty(),
        "blocking on two empty queues returns"
    );
    cleanup(&b).await;
}

#[tokio::test]
async fn non_utf8_elements_are_dead_lettered_by_their_exact_bytes() {
    let b = broker().await;
    let keys = broker::keys::QueueKeys::new(&b.config().key_prefix, &queue());
    let mut con = raw(&b).await;
    let binary: Vec<u8> = vec![0xff, 0xfe, 0x00, b'{', 0x80];
    let _: () = con.lpush(&keys.pending, &binary).await.unwrap();
    b.producer().enqueue(&queue(), &task(1)).await.unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let got = c.fetch(10).await.unwrap();
    assert_eq!(got.len(), 1, "the valid task still comes out");
    let dead = dead_letters(&b).await;
    assert_eq!(dead.len(), 1);
    assert!(dead[0].reason.contains("not UTF-8"), "{}", dead[0].reason);
    let stats = b.stats(&queue()).await.unwrap();
    assert_eq!(
        (stats.dead, stats.processing, stats.pending),
        (1, 1, 0),
        "the binary element left processing"
    );
    assert_eq!(stats.failed_by_type.get("malformed"), Some(&1));

    // The same through the blocking path: the queue is empty when fetch starts waiting (the
    // test config blocks 100 ms; the element arrives after 20 ms).
    let pusher = {
        let mut con = raw(&b).await;
        let pending = keys.pending.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let _: () = con.lpush(&pending, vec![0xc3u8, 0x28]).await.unwrap();
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let stats = loop {
        assert!(
            c.fetch(10).await.unwrap().is_empty(),
            "nothing valid was pushed"
        );
        let stats = b.stats(&queue()).await.unwrap();
        if stats.dead == 2 || std::time::Instant::now() > deadline {
            break stats;
        }
    };
    pusher.await.unwrap();
    assert_eq!((stats.dead, stats.processing, stats.pending), (2, 1, 0));
    cleanup(&b).await;
}
