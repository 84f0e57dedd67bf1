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
        ack_batch(&consumer, std::mem::take(&mut batch)).await;
    }
}

/// Acks one batch in one call per queue and answers each task. When that call fails, each task
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
