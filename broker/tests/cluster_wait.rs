//! `wait_replicas` on every move, on a local Redis Cluster (each master has one replica): the
//! reaper's moves, `fetch`'s dead-lettering of malformed elements and the dead-letter requeues
//! `WAIT` on the queue's master. With 1 they return once the replica has the write; with 2 (more
//! replicas than exist) they fail with `NotReplicated`, naming the setting. The `WAIT`s are counted
//! on the master (`INFO commandstats`), so the tests of this file run one at a time.

mod common;

use broker::keys::QueueKeys;
use broker::{Broker, BrokerConfig, BrokerError, RedisConnection};
use chrono::Utc;
use common::{broker_with, fast_config, queue, raw, shared_cluster, task, worker};
use redis::AsyncCommands;
use tokio::sync::Mutex;

/// Serialises the tests: each counts the `WAIT`s a master received.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// A broker on the shared cluster with `wait_replicas = n` and the key prefix of `seed`.
async fn waiting(seed: &Broker, n: usize) -> Broker {
    broker_with(BrokerConfig {
        wait_replicas: n,
        key_prefix: seed.config().key_prefix.clone(),
        ..fast_config(&shared_cluster().url())
    })
    .await
}

/// A broker that waits for no replica, on its own key prefix, to seed state with.
async fn seeder() -> Broker {
    broker_with(fast_config(&shared_cluster().url())).await
}

fn keys(b: &Broker) -> QueueKeys {
    QueueKeys::new(&b.config().key_prefix, &queue())
}

/// `WAIT` calls so far on the master that serves `key` (`cmdstat_wait` of `INFO commandstats`).
async fn waits_on_master_of(key: &str) -> u64 {
    let port = tokio::task::block_in_place(|| shared_cluster().master_of(key))
        .expect("a master serves the key");
    let mut con = common::raw_url(&format!("redis://127.0.0.1:{port}")).await;
    common::command_calls(&mut con, "wait").await
}

/// Seeds what the reaper moves: an expired lease with retries left (→ delayed, promoted at once),
/// one with none left (→ dead), an orphan past its grace period and a due delayed task.
async fn seed_reaper_work(b: &Broker, con: &mut RedisConnection) {
    let k = keys(b);
    let spent = broker::Envelope {
        attempt: 5,
        max_retries: Some(0),
        ..task(2)
    };
    let p = b.producer();
    p.enqueue_many(&queue(), &[task(1), spent, task(3)])
        .await
        .expect("enqueue");
    let c = b.consumer(vec![queue()], worker()).await.expect("consumer");
    for d in c.fetch(2).await.expect("fetch two") {
        let _: () = con.zadd(&k.leases, d.raw(), 0).await.expect("expire lease");
    }
    let orphan: String = con
        .lmove(
            &k.pending,
            &k.processing,
            redis::Direction::Right,
            redis::Direction::Left,
        )
        .await
        .expect("orphan");
    let _: () = con.hset(&k.unleased, orphan, 0).await.expect("first seen");
    p.enqueue_at(
        &queue(),
        &task(4),
        Utc::now() - chrono::Duration::seconds(1),
    )
    .await
    .expect("due delayed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reaper_moves_wait_for_a_replica_and_fail_clearly_when_too_few_exist() {
    let _one = ONE_AT_A_TIME.lock().await;
    for n in [1, 2] {
        let seed = seeder().await;
        let mut con = raw(&seed).await;
        seed_reaper_work(&seed, &mut con).await;
        let b = waiting(&seed, n).await;
        let before = waits_on_master_of(&keys(&b).pending).await;
        let (outcome, error) = common::reaper(&b).tick_partial().await;
        let moved = (
            outcome.expired.len(),
            outcome.orphans_requeued,
            outcome.promoted,
        );
        assert_eq!(moved, (2, 1, 2), "n={n}: every move made on the master");
        assert!(waits_on_master_of(&keys(&b).pending).await > before);
        match (n, error) {
            (1, None) => {}
            (
                2,
                Some(
                    e @ BrokerError::NotReplicated {
                        acked: 1,
                        wanted: 2,
                    },
                ),
            ) => {
                assert!(e.to_string().contains("CONFQ_REDIS_WAIT_REPLICAS"), "{e}");
            }
            (n, other) => panic!("n={n}: {other:?}"),
        }
        common::cleanup(&b).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_element_dead_lettered_by_fetch_waits_for_a_replica() {
    let _one = ONE_AT_A_TIME.lock().await;
    for n in [1, 2] {
        let seed = seeder().await;
        let k = keys(&seed);
        let mut con = raw(&seed).await;
        let _: () = con.lpush(&k.pending, "not json").await.expect("seed");
        let b = waiting(&seed, n).await;
        let c = b.consumer(vec![queue()], worker()).await.expect("consumer");
        let before = waits_on_master_of(&k.dead).await;
        // A failed WAIT is logged, not returned: the element is dead-lettered on the master.
        assert!(c.fetch(1).await.expect("fetch").is_empty());
        assert_eq!(common::dead_letters(&b).await.len(), 1, "n={n}");
        assert!(waits_on_master_of(&k.dead).await > before, "n={n}: no WAIT");
        common::cleanup(&b).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requeuing_dead_letters_waits_for_a_replica_and_fails_clearly_when_too_few_exist() {
    let _one = ONE_AT_A_TIME.lock().await;
    let seed = seeder().await;
    let p = seed.producer();
    let tasks = [task(1), task(2), task(3)];
    p.enqueue_many(&queue(), &tasks).await.expect("enqueue");
    let c = seed.consumer(vec![queue()], worker()).await.expect("c");
    for d in c.fetch(3).await.expect("fetch") {
        c.dead_letter(&d, "seeded").await.expect("dead letter");
    }
    let one = waiting(&seed, 1).await.dead_letters();
    assert!(one.requeue(&queue(), &tasks[0].id).await.expect("requeue"));
    let two = waiting(&seed, 2).await.dead_letters();
    let err = two.requeue(&queue(), &tasks[1].id).await.unwrap_err();
    assert!(
        matches!(
            err,
            BrokerError::NotReplicated {
                acked: 1,
                wanted: 2
            }
        ),
        "{err:?}"
    );
    assert!(err.is_transient());
    // The move was made on the master; what is left requeues with one replica's acknowledgement.
    assert_eq!(one.requeue_all(&queue()).await.expect("requeue all"), 1);
    let pending = seed.stats(&queue()).await.expect("stats").pending;
    assert_eq!(pending, 3);
    common::cleanup(&seed).await;
}
