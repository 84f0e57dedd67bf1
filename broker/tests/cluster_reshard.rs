//! The broker while a queue's slot moves to another master of a Redis Cluster (a reshard): calls
//! follow the `ASK` redirections during the migration, retry the `TRYAGAIN`s of scripts whose keys
//! are split between the two nodes, and follow `MOVED` afterwards. With the reaper running, as in
//! production, nothing enqueued is lost. The test starts its own cluster (`testenv::cluster`),
//! since it moves one of its slots.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use broker::{BrokerConfig, QueueName, keys::QueueKeys};
use common::{broker_with, fast_config, reaper, task, worker};
use testenv::cluster::Cluster;
use tokio_util::sync::CancellationToken;

const TASKS: usize = 1_500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_goes_on_while_the_queue_slot_moves_to_another_master() {
    let cluster = Cluster::start_without_replicas();
    let b = broker_with(BrokerConfig {
        lease: Duration::from_secs(2),
        orphan_grace: Duration::from_secs(2),
        ..fast_config(&cluster.url())
    })
    .await;
    let q = QueueName::parse("ingest").unwrap();
    let key = QueueKeys::new(&b.config().key_prefix, &q).pending;
    // The reaper brings back what a call cut short left in processing (a claim whose reply was
    // lost to a timeout during the migration), as it does in production.
    let stop = CancellationToken::new();
    let reaping = tokio::spawn(reaper(&b).run(stop.clone(), ()));

    let started = Instant::now();
    let producer = {
        let (b, q) = (b.clone(), q.clone());
        tokio::spawn(async move {
            let mut ids = Vec::with_capacity(TASKS);
            for i in 0..TASKS {
                let envelope = task(i);
                ids.push(envelope.id);
                b.producer()
                    .enqueue(&q, &envelope)
                    .await
                    .expect("enqueue during the reshard");
                if i % 10 == 0 {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
            eprintln!("producer done after {:?}", started.elapsed());
            ids
        })
    };
    let consumer = {
        let (b, q) = (b.clone(), q.clone());
        tokio::spawn(async move {
            let c = b.consumer(vec![q], worker()).await.expect("consumer");
            let mut acked = Vec::with_capacity(TASKS);
            let mut unique = HashSet::new();
            while unique.len() < TASKS {
                for d in c.fetch(16).await.expect("fetch during the reshard") {
                    c.ack(&d).await.expect("ack during the reshard");
                    unique.insert(d.envelope.id);
                    acked.push(d.envelope.id);
                }
            }
            acked
        })
    };
    // Start moving once the queue has keys to move (some tasks enqueued, some in flight).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let moved = {
        let key = key.clone();
        tokio::task::spawn_blocking(move || {
            let moved = cluster.move_slot_of(&key, 1, Duration::from_millis(30));
            (cluster, moved)
        })
    };
    let (cluster, (from, to)) = moved.await.unwrap();
    eprintln!(
        "slot of {key} moved from {from} to {to}, done after {:?}",
        started.elapsed()
    );
    let sent = producer.await.unwrap();
    let acked = tokio::time::timeout(Duration::from_secs(120), consumer)
        .await
        .expect("every task acknowledged within 2 minutes")
        .unwrap();
    stop.cancel();
    reaping.await.unwrap();

    assert_eq!(
        tokio::task::block_in_place(|| cluster.master_of(&key)),
        Some(to),
        "the queue now lives on the new master"
    );
    let unique: HashSet<_> = acked.iter().collect();
    assert_eq!(unique, sent.iter().collect(), "acknowledged = enqueued");
    eprintln!(
        "{} tasks, {} acknowledgements ({} redelivered by the reaper)",
        TASKS,
        acked.len(),
        acked.len() - unique.len()
    );
    let stats = b.stats(&q).await.unwrap();
    assert_eq!((stats.pending, stats.processing), (0, 0), "{stats:?}");
}
