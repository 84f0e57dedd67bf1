//! Dead-letter operations, stats and the worker registry against a real Redis.

mod common;

use std::time::Duration;

use broker::redact::redact;
use broker::{BrokerConfig, BrokerError, WorkerInfo};
use chrono::Utc;
use common::{
    broker, broker_with, cleanup, dead_letters, fast_config, queue, redis_url, task, worker,
};

#[tokio::test]
async fn a_requeued_dead_letter_goes_back_intact_with_a_fresh_budget() {
    let b = broker().await;
    let mut e = task(42);
    e.attempt = 2;
    e.extra.insert("trace".into(), serde_json::json!("abc"));
    b.producer().enqueue(&queue(), &e).await.unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let d = c.fetch(1).await.unwrap().remove(0);
    c.dead_letter(&d, "unknown task confq.nope").await.unwrap();

    let dl = b.dead_letters();
    let listed = dl.list(&queue(), None, 10).await.unwrap().items;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].reason, "unknown task confq.nope");
    assert_eq!(listed[0].envelope.as_ref(), Some(&e));
    assert!(listed[0].dead_at <= Utc::now() + chrono::Duration::seconds(5));
    assert!(
        !dl.requeue(&queue(), &task(0).id).await.unwrap(),
        "unknown id"
    );
    assert!(dl.requeue(&queue(), &e.id).await.unwrap());
    assert!(dl.list(&queue(), None, 10).await.unwrap().items.is_empty());

    let back = c.fetch(1).await.unwrap().remove(0);
    assert_eq!(back.envelope.id, e.id);
    assert_eq!(back.envelope.args, e.args);
    assert_eq!(back.envelope.extra["trace"], "abc");
    assert_eq!(back.envelope.attempt, 0);
    cleanup(&b).await;
}

#[tokio::test]
async fn dead_letters_are_paginated_requeued_in_bulk_and_purged() {
    let b = broker().await;
    b.producer()
        .enqueue_many(&queue(), &(0..5).map(task).collect::<Vec<_>>())
        .await
        .unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    for d in c.fetch(5).await.unwrap() {
        c.dead_letter(&d, "boom").await.unwrap();
    }
    let dl = b.dead_letters();
    let first = dl.list(&queue(), None, 2).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let second = dl.list(&queue(), first.next, 2).await.unwrap();
    let third = dl.list(&queue(), second.next, 2).await.unwrap();
    assert_eq!((second.items.len(), third.items.len()), (2, 1));
    assert_eq!(third.next, None, "the last page says so");
    assert_eq!(dl.requeue_all(&queue()).await.unwrap(), 5);
    assert_eq!(b.stats(&queue()).await.unwrap().pending, 5);
    for d in c.fetch(5).await.unwrap() {
        c.dead_letter(&d, "boom again").await.unwrap();
    }
    assert_eq!(dl.purge(&queue()).await.unwrap(), 5);
    assert_eq!(b.stats(&queue()).await.unwrap().dead, 0);
    cleanup(&b).await;
}

#[tokio::test]
async fn dead_letters_are_capped_by_count() {
    let b = broker_with(BrokerConfig {
        dead_max_len: 3,
        ..fast_config(&redis_url())
    })
    .await;
    b.producer()
        .enqueue_many(&queue(), &(0..5).map(task).collect::<Vec<_>>())
        .await
        .unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    for d in c.fetch(5).await.unwrap() {
        c.dead_letter(&d, "x").await.unwrap();
    }
    let kept = dead_letters(&b).await;
    let args: Vec<u64> = kept
        .iter()
        .map(|d| d.envelope.as_ref().unwrap().args["i"].as_u64().unwrap())
        .collect();
    assert_eq!(args, [4, 3, 2], "newest kept, newest first");
    cleanup(&b).await;
}

#[tokio::test]
async fn dead_letters_older_than_the_max_age_are_dropped() {
    let config = BrokerConfig {
        dead_max_age: Duration::from_millis(200),
        ..fast_config(&redis_url())
    };
    let b = broker_with(config).await;
    b.producer()
        .enqueue_many(&queue(), &[task(1), task(2)])
        .await
        .unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let ds = c.fetch(2).await.unwrap();
    c.dead_letter(&ds[0], "old").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.dead_letter(&ds[1], "new").await.unwrap();
    let kept = dead_letters(&b).await;
    assert_eq!(
        kept.iter().map(|d| d.reason.as_str()).collect::<Vec<_>>(),
        ["new"]
    );
    cleanup(&b).await;
}

#[tokio::test]
async fn workers_register_and_disappear_after_their_ttl() {
    let b = broker().await;
    let reg = b.workers();
    let info = WorkerInfo {
        id: worker(),
        host: "h".into(),
        pid: 1,
        queues: vec![queue()],
        concurrency: 8,
        started_at: Utc::now(),
        last_seen: Utc::now(),
        in_flight: 0,
        breakers: [("database".to_owned(), "open".to_owned())].into(),
    };
    let other = WorkerInfo {
        id: worker(),
        queues: vec![broker::QueueName::parse("other").unwrap()],
        ..info.clone()
    };
    reg.register(&info, Duration::from_millis(2000))
        .await
        .unwrap();
    reg.register(&other, Duration::from_secs(10)).await.unwrap();
    let live = reg.live().await.unwrap();
    assert_eq!(live.len(), 2);
    assert!(
        live.iter().all(|w| w.breakers["database"] == "open"),
        "breaker states survive the round trip: {live:?}"
    );
    let known = b.queues().await.unwrap();
    assert!(
        known.contains(&broker::QueueName::parse("other").unwrap()),
        "a consumed queue is known to the reaper and the metrics: {known:?}"
    );
    assert_eq!(reg.live_count(&queue()).await.unwrap(), 1);
    reg.refresh(&info, Duration::from_millis(500))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(reg.live_count(&queue()).await.unwrap(), 0);
    reg.deregister(&other.id).await.unwrap();
    assert!(reg.live().await.unwrap().is_empty());
    cleanup(&b).await;
}

#[tokio::test]
async fn an_unreachable_redis_fails_fast_without_leaking_the_password() {
    let config = BrokerConfig {
        redis_url: "redis://u:hunter2@127.0.0.1:1".into(),
        ..BrokerConfig::default()
    };
    let err = broker::Broker::connect(config).await.unwrap_err();
    assert!(matches!(err, BrokerError::Unreachable { .. }));
    assert!(err.is_transient());
    let text = format!("{err} {err:?}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains(&redact("redis://u:hunter2@127.0.0.1:1")));
}
