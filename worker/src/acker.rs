//! Acknowledging finished tasks together. Every success of a worker goes through its one
//! [`Acker`], which sends whatever has arrived while its previous call was in flight as one
//! `ack_many.lua` call per queue. Nothing waits for a batch to fill: the first ack after a quiet
//! moment leaves at once; under load, tasks finishing during one round trip share the next.
//! Each task's ack stays fenced by its own lease token, exactly as a single `ack` is.
//!
//! An execution hands its success over and ends; the acker settles it: it logs the task's
//! success (or why its ack was refused) in the task's span, counts it, and only then frees the
//! task's slot, so a worker never holds more unacknowledged tasks than it has slots.

use std::sync::Arc;

use broker::{BrokerError, Consumer, Delivery};
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio::task::JoinHandle;
use tracing::{Span, debug, error, info, warn};

use crate::execute::{Outcome, report_settlement};
use crate::runner::RunnerStats;

/// Most acks sent in one batch.
const MAX_BATCH: usize = 1024;

/// One task whose handler succeeded, waiting for its ack.
pub(crate) struct Finished {
    pub(crate) delivery: Arc<Delivery>,
    /// What the handler set as its result (kept with the task's `succeeded` state).
    pub(crate) result: Value,
    /// How long the handler ran, logged with the success.
    pub(crate) seconds: f64,
    /// The task's span: the acker's lines about it are the task's.
    pub(crate) span: Span,
    /// The task's slot, freed once its ack is answered (`None` where no slot is counted).
    pub(crate) slot: Option<OwnedSemaphorePermit>,
}

/// The handle executions ack through; cheap to clone. The batching task ends once every handle
/// is dropped and what they sent is settled; it returns what it counted (succeeded, released).
#[derive(Clone)]
pub(crate) struct Acker {
    tx: mpsc::UnboundedSender<Finished>,
}

impl Acker {
    /// Starts the batching task on `consumer`.
    pub(crate) fn start(consumer: Arc<Consumer>) -> (Self, JoinHandle<RunnerStats>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx }, tokio::spawn(batches(consumer, rx)))
    }

    /// Hands `finished` over: it is acked together with whatever else finished meanwhile, then
    /// counted `succeeded`, or `released` when its lease had moved on or Redis could not be
    /// asked (its lease then expires and the task is redelivered, as for any unacked task).
    pub(crate) fn finish(&self, finished: Finished) {
        if let Err(mpsc::error::SendError(finished)) = self.tx.send(finished) {
            // Only if the batching task died (a panic): the lease expires and the reaper
            // redelivers the task, as for a worker that died.
            finished.span.in_scope(|| {
                error!("the acker is gone: the task stays unacknowledged and will be redelivered");
            });
        }
    }
}

/// Receives finished tasks and settles each batch of what has arrived.
async fn batches(
    consumer: Arc<Consumer>,
    mut rx: mpsc::UnboundedReceiver<Finished>,
) -> RunnerStats {
    let mut stats = RunnerStats::default();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        for same_queue in by_queue(std::mem::take(&mut batch)) {
            for (finished, answer) in ack_batch(&consumer, same_queue).await {
                stats.count(settled(finished, answer));
            }
        }
    }
    stats
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

/// Acks one queue's batch in one call and pairs each task with its answer. When that call
/// fails, each task is acked on its own, so that every task gets its own answer (and a
/// transient failure of one call does not fail the others).
async fn ack_batch(
    consumer: &Consumer,
    batch: Vec<Finished>,
) -> Vec<(Finished, Result<(), BrokerError>)> {
    let done: Vec<(&Delivery, &Value)> = batch
        .iter()
        .map(|f| (f.delivery.as_ref(), &f.result))
        .collect();
    let flags = consumer.ack_many_with(&done).await;
    drop(done);
    match flags {
        Ok(flags) => batch
            .into_iter()
            .zip(flags)
            .map(|(finished, acked)| {
                let answer = if acked {
                    Ok(())
                } else {
                    Err(BrokerError::LeaseLost {
                        task_id: finished.delivery.envelope.id,
                    })
                };
                (finished, answer)
            })
            .collect(),
        Err(error) => {
            warn!(error = %broker::report::Chain(&error), tasks = batch.len(), "a batched ack failed; acking each task on its own");
            let mut answers = Vec::with_capacity(batch.len());
            for finished in batch {
                let answer = consumer
                    .ack_with(&finished.delivery, &finished.result)
                    .await;
                answers.push((finished, answer));
            }
            answers
        }
    }
}

/// Logs how the task's ack was answered, in its span, and frees its slot.
fn settled(finished: Finished, answer: Result<(), BrokerError>) -> Outcome {
    let Finished {
        delivery,
        seconds,
        span,
        slot,
        ..
    } = finished;
    let _entered = span.enter();
    let outcome = match answer {
        Ok(()) => {
            if crate::tasks::is_builtin(&delivery.envelope.task) {
                debug!(seconds, "task succeeded");
            } else {
                info!(seconds, "task succeeded");
            }
            Outcome::Succeeded
        }
        Err(error) => {
            report_settlement(Err(error));
            Outcome::Released
        }
    };
    drop(slot);
    outcome
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::time::Duration;

    use broker::keys::QueueKeys;
    use broker::{Broker, BrokerConfig, Envelope, QueueName, WorkerId};
    use tokio::sync::Semaphore;

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

        // On this single-threaded runtime all six are handed over before the batching task
        // first runs, so they arrive as one batch. Each holds a slot until it is settled.
        let slots = Arc::new(Semaphore::new(6));
        let (acker, batching) = Acker::start(consumer.clone());
        for delivery in deliveries {
            acker.finish(Finished {
                delivery: Arc::new(delivery),
                result: Value::Null,
                seconds: 0.0,
                span: Span::none(),
                slot: Some(slots.clone().try_acquire_owned().unwrap()),
            });
        }
        assert_eq!(slots.available_permits(), 0);
        drop(acker);
        let stats = batching.await.unwrap();

        // `a`'s three are acked once and counted so; `b`'s three stay unacknowledged (their
        // leases will expire and the reaper redelivers them).
        assert_eq!(stats.succeeded, 3, "{stats:?}");
        assert_eq!(stats.released, 3, "{stats:?}");
        assert_eq!(
            slots.available_permits(),
            6,
            "every slot is freed once settled"
        );
        let processed: Option<u64> = redis::cmd("HGET")
            .arg(QueueKeys::new(&prefix, &a).stats)
            .arg("processed")
            .query_async(&mut con)
            .await
            .unwrap();
        assert_eq!(processed, Some(3));
        testenv::redis::delete_prefix(&testenv::redis::url(), &prefix).await;
    }
}
