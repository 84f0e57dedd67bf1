//! The no-op workload both broker benches run: enqueue N `confq.noop` envelopes, drain them with C
//! tasks in flight (fetch + claim + batched ack), and read Redis CPU time (`INFO cpu`) of nodes.

use std::sync::Arc;

use broker::{Broker, Delivery, Envelope, QueueName, WorkerId};
use chrono::Utc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// Any error of a bench.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Enqueues `n` no-op envelopes on `queue`, 1,000 per call.
pub async fn enqueue(broker: &Broker, queue: &QueueName, n: usize) -> Result<(), Failure> {
    let producer = broker.producer();
    let mut done = 0;
    while done < n {
        let batch: Vec<Envelope> = (done..n.min(done + 1000))
            .map(|_| Envelope::new("confq.noop", serde_json::Map::new()))
            .collect();
        producer.enqueue_many(queue, &batch).await?;
        done += batch.len();
    }
    Ok(())
}

/// Fetches from `queue` with up to `c` tasks in flight; a task runs (noop) on its own tokio task and its
/// delivery goes to one acker that acks in batches. Returns enqueue→start latencies in µs.
pub async fn drain(
    broker: &Broker,
    queue: &QueueName,
    n: usize,
    c: usize,
) -> Result<Vec<u64>, Failure> {
    let consumer = broker
        .consumer(vec![queue.clone()], WorkerId::generate("bench"))
        .await?;
    let permits = Arc::new(Semaphore::new(c));
    let (tx, mut rx) = mpsc::unbounded_channel::<(Delivery, OwnedSemaphorePermit)>();
    let acker_consumer = consumer.clone();
    let acker = tokio::spawn(async move {
        let mut buf = Vec::new();
        let mut acked = 0usize;
        while rx.recv_many(&mut buf, 1024).await > 0 {
            let ds: Vec<Delivery> = buf.iter().map(|(d, _)| d.clone()).collect();
            acked += acker_consumer
                .ack_many(&ds)
                .await?
                .into_iter()
                .filter(|ok| *ok)
                .count();
            buf.clear();
        }
        Ok::<usize, broker::BrokerError>(acked)
    });
    let mut latencies = Vec::with_capacity(n);
    while latencies.len() < n {
        let mut held = vec![permits.clone().acquire_owned().await?];
        while held.len() < 512 {
            match permits.clone().try_acquire_owned() {
                Ok(p) => held.push(p),
                Err(_) => break,
            }
        }
        for d in consumer.fetch(held.len()).await? {
            let created = d.envelope.created_at.unwrap_or_else(Utc::now);
            latencies.push(
                (Utc::now() - created)
                    .num_microseconds()
                    .unwrap_or(0)
                    .max(0) as u64,
            );
            let permit = held.pop().ok_or("more deliveries than permits")?;
            let tx = tx.clone();
            tokio::spawn(async move {
                // confq.noop: nothing to do
                let _ = tx.send((d, permit));
            });
        }
    }
    drop(tx);
    let acked = acker.await??;
    if acked != n {
        return Err(format!("acked {acked} of {n}").into());
    }
    Ok(latencies)
}

/// Seconds of CPU (user + system) the Redis at `url` has used since it started.
pub async fn redis_cpu(url: &str) -> Result<f64, Failure> {
    let client = redis::Client::open(url)?;
    let mut con = client.get_multiplexed_async_connection().await?;
    let info: String = redis::cmd("INFO").arg("cpu").query_async(&mut con).await?;
    Ok(info
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| *k == "used_cpu_sys" || *k == "used_cpu_user")
        .filter_map(|(_, v)| v.trim().parse::<f64>().ok())
        .sum())
}
