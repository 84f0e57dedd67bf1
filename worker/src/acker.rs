//! Acknowledging finished tasks together. Every success of a worker goes through its one
//! [`Acker`], which sends whatever has arrived while its previous call was in flight as one
//! `ack_many.lua` call per queue. Nothing waits for a batch to fill: the first ack after a quiet
//! moment leaves at once; under load, tasks finishing during one round trip share the next.
//! Each task's ack stays fenced by its own lease token, exactly as a single `ack` is.

use std::sync::Arc;

use broker::{BrokerError, Consumer, Delivery};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::warn;

/// Most acks sent in one batch.
const MAX_BATCH: usize = 1024;

/// One finished task waiting for its ack.
struct Finished {
    delivery: Arc<Delivery>,
    result: Value,
    reply: oneshot::Sender<Result<(), BrokerError>>,
}

/// The handle executions ack through; cheap to clone. The batching task ends once every handle
/// is dropped and what they sent is acked.
#[derive(Clone)]
pub(crate) struct Acker {
    tx: mpsc::UnboundedSender<Finished>,
}

impl Acker {
    /// Starts the batching task on `consumer`.
    pub(crate) fn start(consumer: Arc<Consumer>) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx }, tokio::spawn(batches(consumer, rx)))
    }

    /// Acks `delivery` with `result`, together with whatever else finished meanwhile.
    ///
    /// # Errors
    /// As [`Consumer::ack_with`]: `LeaseLost` when the token is stale (nothing changed), `Redis`
    /// when Redis could not be asked.
    pub(crate) async fn ack(
        &self,
        consumer: &Consumer,
        delivery: Arc<Delivery>,
        result: Value,
    ) -> Result<(), BrokerError> {
        let (reply, answer) = oneshot::channel();
        let finished = Finished {
            delivery,
            result,
            reply,
        };
        if let Err(mpsc::error::SendError(finished)) = self.tx.send(finished) {
            // The batching task is gone (it never is while handles live): ack directly.
            return consumer
                .ack_with(&finished.delivery, &finished.result)
                .await;
        }
        answer.await.unwrap_or_else(|_| {
            Err(BrokerError::Config(
                "the acker stopped before answering".to_owned(),
            ))
        })
    }
}

/// Receives finished tasks and acks each batch of what has arrived.
async fn batches(consumer: Arc<Consumer>, mut rx: mpsc::UnboundedReceiver<Finished>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        for same_queue in by_queue(std::mem::take(&mut batch)) {
            ack_batch(&consumer, same_queue).await;
        }
    }
}

/// `batch` split by queue, each part in arrival order: each queue's part is its own call, so a
/// failed call for one queue does not touch what another queue's call acked.
fn by_queue(batch: Vec<Finished>) -> Vec<Vec<Finished>> {
    let mut parts: Vec<Vec<Finished>> = Vec::new();
    for finished in batch {
        match parts
            .iter_mut()
            .find(|p| p[0].delivery.queue == finished.delivery.queue)
        {
            Some(part) => part.push(finished),
            None => parts.push(vec![finished]),
        }
    }
    parts
}

/// Acks one queue's batch in one call and answers each task. When that call fails, each task
/// is acked on its own, so that every caller gets its own answer (and a transient failure of
/// one call does not fail the others).
async fn ack_batch(consumer: &Consumer, batch: Vec<Finished>) {
    let done: Vec<(&Delivery, &Value)> = batch
        .iter()
        .map(|f| (f.delivery.as_ref(), &f.result))
        .collect();
    match consumer.ack_many_with(&done).await {
        Ok(flags) => {
            for (finished, acked) in batch.into_iter().zip(flags) {
                let answer = if acked {
                    Ok(())
                } else {
                    Err(BrokerError::LeaseLost {
                        task_id: finished.delivery.envelope.id,
                    })
                };
                let _ = finished.reply.send(answer);
            }
        }
        Err(error) => {
            warn!(error = %broker::report::Chain(&error), tasks = batch.len(), "a batched ack failed; acking each task on its own");
            for finished in batch {
                let answer = consumer
                    .ack_with(&finished.delivery, &finished.result)
                    .await;
                let _ = finished.reply.send(answer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::time::Duration;

    use broker::keys::QueueKeys;
    use broker::{Broker, BrokerConfig, Envelope, QueueName, WorkerId};

    use super::*;

    /// One ack batch holds tasks of two queues and the call for the second fails: the first
    /// queue's tasks are acked once and told so (not retried alone and misread as lease-lost).
    #[tokio::test]
    async fn a_failed_call_for_one_queue_leaves_the_other_queues_acks_standing() {
        let prefix = testenv::redis::prefix("confq-test-acker");
        let broker = Broker::connect(BrokerConfig {
            redis_url: testenv::redis::url(),
            key_prefix: prefix.clone(),
            lease: Duration::from_secs(60),
            ..BrokerConfig::default()
        })
        .await
        .expect("Redis must run for this test");
        let (a, b) = (
            QueueName::parse("acker-a").unwrap(),
            QueueName::parse("acker-b").unwrap(),
        );
        for queue in [&a, &b] {
            for _ in 0..3 {
                let envelope = Envelope::new("confq.noop", serde_json::Map::new());
                broker.producer().enqueue(queue, &envelope).await.unwrap();
            }
        }
        let consumer = Arc::new(
            broker
                .consumer(vec![a.clone(), b.clone()], WorkerId::new("acker-test"))
                .await
                .unwrap(),
        );
        let mut deliveries = Vec::new();
        while deliveries.len() < 6 {
            deliveries.extend(consumer.fetch(6 - deliveries.len()).await.unwrap());
        }
        // `b`'s token hash becomes a string: its ack script fails on its first command, before
        // writing anything.
        let tokens = QueueKeys::new(&prefix, &b).tokens;
        let mut con = broker.connection();
        let _: () = redis::pipe()
            .del(&tokens)
            .set(&tokens, "not a hash")
            .query_async(&mut con)
            .await
            .unwrap();

        // On this single-threaded runtime all six acks are sent before the batching task first
        // runs, so they arrive as one batch.
        let (acker, batching) = Acker::start(consumer.clone());
        let answers = futures::future::join_all(deliveries.into_iter().map(|d| {
            let (acker, consumer) = (acker.clone(), consumer.clone());
            async move {
                let queue = d.queue.clone();
                (queue, acker.ack(&consumer, Arc::new(d), Value::Null).await)
            }
        }))
        .await;
        drop(acker);
        batching.await.unwrap();

        for (queue, answer) in &answers {
            if *queue == a {
                assert!(
                    answer.is_ok(),
                    "a task of {a} was acked but told {answer:?}"
                );
            } else {
                assert!(
                    matches!(answer, Err(BrokerError::Redis { .. })),
                    "a task of {b} got {answer:?}"
                );
            }
        }
        let processed: Option<u64> = redis::cmd("HGET")
            .arg(QueueKeys::new(&prefix, &a).stats)
            .arg("processed")
            .query_async(&mut con)
            .await
            .unwrap();
        assert_eq!(processed, Some(3));
    }
}
