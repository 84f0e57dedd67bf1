//! The failover scenario: the master that serves `{ingest}` is `SIGKILL`ed in the middle of 2,000
//! no-op tasks that one producer enqueues and one consumer (with a reaper) processes; its replica
//! takes over and the work resumes by itself. What the failover cost is counted and printed: the
//! acknowledged enqueues lost (expected without `WAIT`: replication is asynchronous), the
//! enqueues refused, the tasks processed twice, and how long after the promotion the consumer
//! acknowledged again. With `wait_replicas = 1` no acknowledged enqueue may be lost.
//!
//! An enqueue is lost when its task was never handed to the consumer and is not waiting either.
//! Delivery, not a confirmed ack, is what counts: an ack the old master ran (and replicated)
//! just before it died may never be confirmed to the consumer (the reply dies with the node, or
//! the client retries the script on the promoted replica, which no longer holds the task and
//! answers "not held"), yet the task was processed and is rightly gone.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use broker::{Broker, BrokerConfig, QueueName, keys::QueueKeys};
use common::{broker_with, fast_config, task, worker};
use testenv::cluster::Cluster;
use tokio::sync::Mutex;

const TASKS: usize = 2_000;
/// How long after the promotion the consumer must acknowledge again (generous: the machine is
/// shared; the observed time is printed).
const RESUME_BOUND: Duration = Duration::from_secs(30);

/// One scenario at a time: each runs its own six-node cluster, and failure detection is timed.
static SERIAL: Mutex<()> = Mutex::const_new(());

/// What one run of the scenario counted.
#[derive(Debug)]
struct Outcome {
    acknowledged: usize,
    /// Delivered tasks whose ack was never confirmed (see the module doc).
    unconfirmed: usize,
    refused: usize,
    lost: usize,
    duplicated: usize,
    resumed_after: Duration,
}

/// The task number of an element (`args.i`).
fn number(raw: &str) -> Option<usize> {
    let v: serde_json::Value = serde_json::from_str(raw).ok()?;
    usize::try_from(v["args"]["i"].as_u64()?).ok()
}

/// Task numbers still in pending, processing or delayed (not lost: a worker or the reaper gets
/// to them).
async fn waiting(b: &Broker, q: &QueueName) -> HashSet<usize> {
    let k = QueueKeys::new(&b.config().key_prefix, q);
    let mut con = b.connection();
    let mut out = HashSet::new();
    for list in [&k.pending, &k.processing] {
        let items: Vec<String> = redis::cmd("LRANGE")
            .arg(list)
            .arg(0)
            .arg(-1)
            .query_async(&mut con)
            .await
            .expect("LRANGE");
        out.extend(items.iter().filter_map(|r| number(r)));
    }
    let delayed: Vec<String> = redis::cmd("ZRANGE")
        .arg(&k.delayed)
        .arg(0)
        .arg(-1)
        .query_async(&mut con)
        .await
        .expect("ZRANGE");
    out.extend(delayed.iter().filter_map(|r| number(r)));
    out
}

async fn scenario(wait_replicas: usize) -> Outcome {
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::start();
    let b = broker_with(BrokerConfig {
        lease: Duration::from_secs(2),
        orphan_grace: Duration::from_secs(1),
        reaper_interval: Duration::from_millis(200),
        block_timeout: Duration::from_millis(200),
        wait_replicas,
        ..fast_config(&cluster.url())
    })
    .await;
    let q = QueueName::parse("ingest").expect("the scenario step");
    let key = QueueKeys::new(&b.config().key_prefix, &q).pending;

    // The producer: 2,000 enqueues, paced over a few seconds; an error is a refusal (the producer
    // knows the task was not taken), not retried.
    let producer_done = Arc::new(AtomicBool::new(false));
    let producer = tokio::spawn({
        let (b, q, done) = (b.clone(), q.clone(), producer_done.clone());
        async move {
            let p = b.producer();
            let (mut acked, mut refused) = (HashSet::new(), 0);
            for i in 0..TASKS {
                match p.enqueue(&q, &task(i)).await {
                    Ok(()) => {
                        acked.insert(i);
                    }
                    Err(_) => refused += 1,
                }
                // With WAIT N, a promoted master whose only replica was the failed node refuses
                // every enqueue (after the WAIT timeout each): stop after a few.
                if refused == 5 {
                    refused += TASKS - i - 1;
                    break;
                }
                if i % 10 == 9 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            done.store(true, Ordering::SeqCst);
            (acked, refused)
        }
    });

    // The consumer: fetch and ack; errors (during the failover) are waited out.
    let processed = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let acks_at = Arc::new(std::sync::Mutex::new(Vec::<Instant>::new()));
    let consumer = tokio::spawn({
        let (b, q, processed, stop, acks_at) = (
            b.clone(),
            q.clone(),
            processed.clone(),
            stop.clone(),
            acks_at.clone(),
        );
        async move {
            let c = b
                .consumer(vec![q], worker())
                .await
                .expect("the scenario step");
            let (mut seen, mut delivered) = (HashMap::<usize, usize>::new(), HashSet::new());
            while !stop.load(Ordering::SeqCst) {
                let Ok(got) = c.fetch(50).await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                delivered.extend(got.iter().filter_map(|d| number(&d.envelope.to_json())));
                let Ok(flags) = c.ack_many(&got).await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                for (d, ok) in got.iter().zip(flags) {
                    if ok && let Some(i) = number(&d.envelope.to_json()) {
                        *seen.entry(i).or_default() += 1;
                        processed.fetch_add(1, Ordering::SeqCst);
                    }
                }
                acks_at.lock().expect("ack times").push(Instant::now());
            }
            (seen, delivered)
        }
    });
    let reaper = tokio::spawn({
        let (b, q, stop) = (b.clone(), q.clone(), stop.clone());
        async move {
            let r = broker::Reaper::new(b, vec![q], Arc::new(common::Immediate { max_retries: 3 }));
            while !stop.load(Ordering::SeqCst) {
                let _ = r.tick().await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    });

    let started = Instant::now();
    while processed.load(Ordering::SeqCst) < 500 {
        assert!(
            started.elapsed() < RESUME_BOUND,
            "only {} tasks processed before the failover",
            processed.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "500 processed; killing the master (producer finished: {})",
        producer_done.load(Ordering::SeqCst)
    );
    let killed = tokio::task::block_in_place(|| cluster.kill_master_of(&key));
    let promoted = tokio::task::block_in_place(|| cluster.wait_promoted(&key, killed));
    let promoted_at = Instant::now();
    eprintln!("master {killed} killed; replica {promoted} promoted");

    // Work resumes by itself.
    let resumed_after = loop {
        if let Some(t) = acks_at
            .lock()
            .expect("ack times")
            .iter()
            .find(|t| **t > promoted_at)
        {
            break t.duration_since(promoted_at);
        }
        assert!(
            promoted_at.elapsed() < RESUME_BOUND,
            "no acknowledgement within {RESUME_BOUND:?} of the promotion"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    // Drain: the producer finishes, then the queue empties (the reaper returns leases the
    // failover stranded), or the bound passes and what is left is counted as waiting.
    let (acked, refused) = producer.await.expect("the scenario step");
    assert!(producer_done.load(Ordering::SeqCst));
    let started = Instant::now();
    while started.elapsed() < RESUME_BOUND {
        let s = b.stats(&q).await.expect("the scenario step");
        if s.pending + s.processing + s.delayed == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::SeqCst);
    let (seen, delivered) = consumer.await.expect("the scenario step");
    reaper.await.expect("the scenario step");
    let left = waiting(&b, &q).await;
    let lost = acked
        .iter()
        .filter(|i| !delivered.contains(i) && !left.contains(i))
        .count();
    let unconfirmed = delivered
        .iter()
        .filter(|i| !seen.contains_key(i) && !left.contains(i))
        .count();
    let duplicated = seen.values().filter(|n| **n > 1).count();
    let outcome = Outcome {
        acknowledged: acked.len(),
        unconfirmed,
        refused,
        lost,
        duplicated,
        resumed_after,
    };
    eprintln!(
        "failover with CONFQ_REDIS_WAIT_REPLICAS={wait_replicas}: {} enqueues acknowledged, {} \
         refused, {} acknowledged and lost, {} delivered with their ack unconfirmed, {} processed \
         twice, {} still waiting; acks resumed {:?} after the promotion",
        outcome.acknowledged,
        outcome.refused,
        outcome.lost,
        outcome.unconfirmed,
        outcome.duplicated,
        left.len(),
        outcome.resumed_after
    );
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_resumes_after_the_master_of_the_queue_fails_and_losses_are_counted() {
    let outcome = scenario(0).await;
    assert!(outcome.resumed_after < RESUME_BOUND);
    assert_eq!(outcome.acknowledged + outcome.refused, TASKS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_wait_replicas_no_acknowledged_enqueue_is_lost_to_a_failover() {
    let outcome = scenario(1).await;
    assert_eq!(
        outcome.lost, 0,
        "an enqueue acknowledged after WAIT 1 was lost: {outcome:?}"
    );
    assert!(outcome.acknowledged > 0, "{outcome:?}");
}
