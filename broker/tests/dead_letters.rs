//! Dead-letter paging under concurrent change, records of earlier versions, and the caps a
//! reaper tick applies with no new arrival; against a real Redis.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use broker::keys::QueueKeys;
use broker::{Broker, BrokerConfig, DeadLetter, Envelope, QueueName};
use chrono::Utc;
use common::{
    broker, broker_with, cleanup, dead_letters, fast_config, queue, raw, redis_url, task, worker,
};
use serde_json::json;

/// Dead-letters one task per `i`, in order (the last is the newest); returns their envelopes.
async fn kill(b: &Broker, range: std::ops::Range<usize>) -> Vec<Envelope> {
    let envelopes: Vec<Envelope> = range.map(task).collect();
    b.producer()
        .enqueue_many(&queue(), &envelopes)
        .await
        .unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    for _ in 0..envelopes.len() {
        let d = c.fetch(1).await.unwrap().remove(0);
        c.dead_letter(&d, "boom").await.unwrap();
    }
    envelopes
}

fn number(d: &DeadLetter) -> u64 {
    d.envelope.as_ref().unwrap().args["i"].as_u64().unwrap()
}

/// Writes a record straight into the dead zset under `score`, as another version would have.
async fn seed(b: &Broker, q: &QueueName, e: &Envelope, score: i64) {
    let record =
        json!({"reason": format!("seeded {}", e.args["i"]), "task_id": e.id, "raw": e.to_json()});
    let key = dead_key(b, q);
    let _: () = redis::cmd("ZADD")
        .arg(key)
        .arg(score)
        .arg(record.to_string())
        .query_async(&mut raw(b).await)
        .await
        .unwrap();
}

fn dead_key(b: &Broker, q: &QueueName) -> String {
    QueueKeys::new(&b.config().key_prefix, q).dead
}

async fn scores(b: &Broker) -> Vec<i64> {
    let rows: Vec<(String, f64)> = redis::cmd("ZRANGE")
        .arg(dead_key(b, &queue()))
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES")
        .query_async(&mut raw(b).await)
        .await
        .unwrap();
    rows.into_iter().map(|(_, s)| s as i64).collect()
}

#[tokio::test]
async fn pages_skip_and_repeat_nothing_when_dead_letters_arrive_and_leave_between_them() {
    let b = broker().await;
    let e = kill(&b, 0..6).await;
    let mut distinct = scores(&b).await;
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        6,
        "every dead letter has its own sequence number"
    );
    let dl = b.dead_letters();
    let first = dl.list(&queue(), None, 2).await.unwrap();
    let mut seen: Vec<u64> = first.items.iter().map(number).collect();
    assert_eq!(seen, [5, 4]);

    // Between pages: two new dead letters, one shown (4) and one not yet shown (2) requeued.
    kill(&b, 6..8).await;
    assert!(dl.requeue(&queue(), &e[4].id).await.unwrap());
    assert!(dl.requeue(&queue(), &e[2].id).await.unwrap());

    let mut after = first.next;
    while let Some(cursor) = after {
        let page = dl.list(&queue(), Some(cursor), 2).await.unwrap();
        seen.extend(page.items.iter().map(number));
        after = page.next;
    }
    assert_eq!(
        seen,
        [5, 4, 3, 1, 0],
        "each letter present throughout, once"
    );
    cleanup(&b).await;
}

#[tokio::test]
async fn records_scored_by_plain_milliseconds_are_listed_once_and_requeued() {
    let b = broker().await;
    let ms = Utc::now().timestamp_millis() - 60_000;
    let e: Vec<Envelope> = (0..3).map(task).collect();
    // Two of them died in the same millisecond: the old offset-free layout could not page them.
    seed(&b, &queue(), &e[0], ms - 5).await;
    seed(&b, &queue(), &e[1], ms).await;
    seed(&b, &queue(), &e[2], ms).await;

    let dl = b.dead_letters();
    let (mut seen, mut after) = (Vec::new(), None);
    loop {
        let page = dl.list(&queue(), after, 1).await.unwrap();
        seen.extend(page.items);
        after = page.next;
        if after.is_none() {
            break;
        }
    }
    let mut numbers: Vec<u64> = seen.iter().map(number).collect();
    assert_eq!(numbers.pop(), Some(0), "oldest last");
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2]);
    assert!(seen.iter().all(|d| d.reason.starts_with("seeded")));
    assert_eq!(seen[0].dead_at.timestamp_millis(), ms, "dates survive");
    assert_eq!(seen[2].dead_at.timestamp_millis(), ms - 5);
    assert!(scores(&b).await.iter().all(|s| *s >= 100_000_000_000_000));

    assert!(dl.requeue(&queue(), &e[1].id).await.unwrap());
    assert_eq!(b.stats(&queue()).await.unwrap().pending, 1);
    cleanup(&b).await;
}

#[tokio::test]
async fn a_reaper_tick_drops_dead_letters_past_the_max_age_with_no_new_arrival() {
    let b = broker_with(BrokerConfig {
        dead_max_age: Duration::from_secs(3600),
        ..fast_config(&redis_url())
    })
    .await;
    let now = Utc::now().timestamp_millis();
    let e: Vec<Envelope> = (0..3).map(task).collect();
    seed(&b, &queue(), &e[0], (now - 7_200_000) * 1000).await;
    seed(&b, &queue(), &e[1], now - 7_200_000).await; // an earlier version's plain-ms score
    seed(&b, &queue(), &e[2], (now - 60_000) * 1000).await;

    let outcome = common::reaper(&b).tick().await.unwrap();
    assert_eq!(outcome.dead_trimmed, 2);
    let kept = dead_letters(&b).await;
    assert_eq!(kept.iter().map(number).collect::<Vec<_>>(), [2]);
    cleanup(&b).await;
}

#[tokio::test]
async fn a_reaper_tick_applies_the_count_cap_too() {
    let b = broker_with(BrokerConfig {
        dead_max_len: 2,
        ..fast_config(&redis_url())
    })
    .await;
    let now = Utc::now().timestamp_millis();
    for i in 0..4 {
        seed(&b, &queue(), &task(i), (now - 1000 + i as i64) * 1000).await;
    }
    let outcome = common::reaper(&b).tick().await.unwrap();
    assert_eq!(outcome.dead_trimmed, 2);
    let kept = dead_letters(&b).await;
    assert_eq!(kept.iter().map(number).collect::<Vec<_>>(), [3, 2]);
    cleanup(&b).await;
}
