//! Many consumers, random lease expiries: every task is acked exactly once, by its current holder.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use broker::{BrokerConfig, BrokerError, CancellationToken, Consumer, Delivery, Envelope, TaskId};
use common::{broker_with, cleanup, fast_config, queue, redis_url, task, worker};

const N: usize = 10_000;
const CONSUMERS: usize = 8;
const STALL_RATE: f64 = 0.02;
/// Leases are 1 s (room for a loaded machine), stalls 1.5 s (past the lease).
const LEASE: Duration = Duration::from_millis(1000);
const STALL: Duration = Duration::from_millis(1500);

type Acks = Arc<Mutex<HashMap<TaskId, u32>>>;

/// Stalled acks begun and settled (acked, or refused because the lease was lost).
#[derive(Default)]
struct Stalls {
    begun: AtomicUsize,
    settled: AtomicUsize,
}

fn record(acks: &Acks, done: &AtomicUsize, d: &Delivery) {
    let mut acks = acks.lock().expect("ack map");
    *acks.entry(d.envelope.id).or_default() += 1;
    done.fetch_add(1, Ordering::SeqCst);
}

/// Acks half of a batch one by one and the rest with `ack_many`; stalls a few past their lease.
async fn consume(c: Consumer, acks: Acks, done: Arc<AtomicUsize>, stalls: Arc<Stalls>) {
    while done.load(Ordering::SeqCst) < N {
        let Ok(batch) = c.fetch(16).await else {
            continue;
        };
        let mut bulk = Vec::new();
        for d in batch {
            let roll: f64 = rand::random();
            if roll < STALL_RATE {
                stalls.begun.fetch_add(1, Ordering::SeqCst);
                let (c, acks, done, stalls) =
                    (c.clone(), acks.clone(), done.clone(), stalls.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(STALL).await;
                    match c.ack(&d).await {
                        Ok(()) => record(&acks, &done, &d),
                        Err(BrokerError::LeaseLost { .. }) => {}
                        Err(e) => panic!("unexpected ack error: {e}"),
                    }
                    stalls.settled.fetch_add(1, Ordering::SeqCst);
                });
            } else if roll < 0.5 {
                c.ack(&d).await.expect("the holder's ack succeeds");
                record(&acks, &done, &d);
            } else {
                bulk.push(d);
            }
        }
        let flags = c.ack_many(&bulk).await.expect("ack_many");
        for (d, ok) in bulk.iter().zip(flags) {
            assert!(ok, "the holder's batched ack succeeds");
            record(&acks, &done, d);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_tasks_through_eight_consumers_with_random_lease_expiries_are_each_acked_exactly_once()
 {
    let config = BrokerConfig {
        lease: LEASE,
        reaper_interval: Duration::from_millis(20),
        block_timeout: Duration::from_millis(50),
        ..fast_config(&redis_url())
    };
    let b = broker_with(config).await;
    let tasks: Vec<Envelope> = (0..N).map(task).collect();
    for chunk in tasks.chunks(1000) {
        b.producer().enqueue_many(&queue(), chunk).await.unwrap();
    }
    let shutdown = CancellationToken::new();
    let reaper = tokio::spawn(common::reaper_retrying(&b, 1_000).run(shutdown.clone(), ()));
    let (acks, done, stalls) = (
        Acks::default(),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(Stalls::default()),
    );
    let mut consumers = Vec::new();
    for _ in 0..CONSUMERS {
        let c = b.consumer(vec![queue()], worker()).await.unwrap();
        consumers.push(tokio::spawn(consume(
            c,
            acks.clone(),
            done.clone(),
            stalls.clone(),
        )));
    }
    let all = futures::future::try_join_all(consumers);
    tokio::time::timeout(Duration::from_secs(180), all)
        .await
        .expect("drained in time")
        .unwrap();
    testenv::wait::until(
        testenv::wait::LONG,
        "the stalled acks to settle",
        || async { stalls.settled.load(Ordering::SeqCst) == stalls.begun.load(Ordering::SeqCst) },
    )
    .await;
    shutdown.cancel();
    reaper.await.unwrap();

    let acks = acks.lock().unwrap().clone();
    assert_eq!(acks.len(), N, "every task acked");
    assert!(acks.values().all(|&n| n == 1), "no task acked twice");
    assert!(tasks.iter().all(|t| acks.contains_key(&t.id)));
    let stats = b.stats(&queue()).await.unwrap();
    assert_eq!(
        (
            stats.processed,
            stats.pending,
            stats.processing,
            stats.delayed,
            stats.dead
        ),
        (N as u64, 0, 0, 0, 0)
    );
    assert!(
        stalls.begun.load(Ordering::SeqCst) > 0 && stats.expired > 0,
        "leases did expire: {stats:?}"
    );
    cleanup(&b).await;
}
