//! A private Redis (AOF on) restarted mid-run: consumers and the reaper reconnect by themselves
//! and every task is processed exactly once.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use broker::{Broker, BrokerConfig, CancellationToken, Consumer, Envelope, Outage};
use common::{PrivateRedis, fast_config, queue, task, worker};

const N: usize = 2_000;

/// Fetches and acks until `shutdown`; waits without fetching while `hold` is set.
async fn consume(
    c: Consumer,
    acked: Arc<AtomicUsize>,
    hold: Arc<AtomicBool>,
    shutdown: CancellationToken,
) {
    let mut outage = Outage::with_bounds(
        "test consumer",
        Duration::from_millis(20),
        Duration::from_millis(500),
    );
    while !shutdown.is_cancelled() {
        if hold.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        }
        match c.fetch(8).await {
            Ok(batch) => {
                outage.recovered();
                for d in batch {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    if c.ack(&d).await.is_ok() {
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            Err(e) => {
                assert!(
                    e.is_transient(),
                    "only transient errors during an outage: {e}"
                );
                tokio::time::sleep(outage.failed(&e)).await;
            }
        }
    }
}

async fn drained(b: &Broker) -> bool {
    match b.stats(&queue()).await {
        Ok(s) => s.processed == N as u64 && s.pending + s.processing + s.delayed == 0,
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn consumers_reconnect_after_a_redis_restart_and_finish_with_nothing_lost() {
    let server = PrivateRedis::start();
    let config = BrokerConfig {
        lease: Duration::from_millis(500),
        ..fast_config(&server.url())
    };
    let b = Broker::connect(config).await.unwrap();
    let tasks: Vec<Envelope> = (0..N).map(task).collect();
    b.producer().enqueue_many(&queue(), &tasks).await.unwrap();

    let shutdown = CancellationToken::new();
    let acked = Arc::new(AtomicUsize::new(0));
    // Set from a quarter of the way until Redis is down, so the restart is always mid-run.
    let hold = Arc::new(AtomicBool::new(false));
    let reaper = tokio::spawn(common::reaper_retrying(&b, 1_000).run(shutdown.clone(), ()));
    let mut loops = Vec::new();
    for _ in 0..4 {
        let c = b.consumer(vec![queue()], worker()).await.unwrap();
        loops.push(tokio::spawn(consume(
            c,
            acked.clone(),
            hold.clone(),
            shutdown.clone(),
        )));
    }
    while acked.load(Ordering::SeqCst) < N / 4 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    hold.store(true, Ordering::SeqCst);
    let unhold = hold.clone();
    let server = tokio::task::spawn_blocking(move || {
        let mut server = server;
        server.stop();
        // The consumers run into the outage: fetches fail and back off.
        unhold.store(false, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(700));
        server.restart();
        server
    })
    .await
    .unwrap();
    let at_restart = acked.load(Ordering::SeqCst);
    assert!(at_restart < N, "the restart happened mid-run");

    let what = "the queue to drain after the restart";
    testenv::wait::until(Duration::from_secs(60), what, || drained(&b)).await;
    shutdown.cancel();
    for l in loops {
        l.await.unwrap();
    }
    reaper.await.unwrap();
    let stats = b.stats(&queue()).await.unwrap();
    assert_eq!((stats.processed, stats.dead), (N as u64, 0));
    drop(server);
}
