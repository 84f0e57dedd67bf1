//! Enqueuing: LPUSH onto pending, or ZADD into the delayed set.

use std::time::Duration;

use chrono::{DateTime, Utc};
use redis::AsyncCommands;
use tracing::instrument;

use crate::broker::Broker;
use crate::config::millis;
use crate::envelope::Envelope;
use crate::error::Result;
use crate::keys;
use crate::names::QueueName;
use crate::scripts;

/// Pushes envelopes onto queues.
#[derive(Debug, Clone)]
pub struct Producer {
    broker: Broker,
}

impl Producer {
    pub(crate) fn new(broker: Broker) -> Self {
        Self { broker }
    }

    /// Pushes one envelope onto the back of the queue.
    ///
    /// # Errors
    /// `Redis` when the push fails.
    #[instrument(name = "broker.enqueue", skip_all, err(Debug), fields(queue = %q, task.id = %e.id))]
    pub async fn enqueue(&self, q: &QueueName, e: &Envelope) -> Result<()> {
        self.enqueue_many(q, std::slice::from_ref(e)).await
    }

    /// Pushes many envelopes in one round trip, in order (the first is consumed first).
    ///
    /// # Errors
    /// `Redis` when the push fails.
    pub async fn enqueue_many(&self, q: &QueueName, es: &[Envelope]) -> Result<()> {
        if es.is_empty() {
            return Ok(());
        }
        let raws: Vec<String> = es.iter().map(Envelope::to_json).collect();
        redis::pipe()
            .lpush(&self.broker.queue_keys(q).pending, raws)
            .ignore()
            .sadd(self.queues_key(), q.as_str())
            .ignore()
            .query_async::<()>(&mut self.broker.connection())
            .await?;
        Ok(())
    }

    /// Schedules an envelope to become pending after `delay` (measured on the Redis clock).
    ///
    /// # Errors
    /// `Redis` when the command fails.
    #[instrument(name = "broker.enqueue_in", skip_all, err(Debug), fields(queue = %q, task.id = %e.id))]
    pub async fn enqueue_in(&self, q: &QueueName, e: &Envelope, delay: Duration) -> Result<()> {
        let mut con = self.broker.connection();
        scripts::enqueue_in(
            &mut con,
            &self.broker.queue_keys(q),
            &e.to_json(),
            millis(delay),
        )
        .await?;
        con.sadd::<_, _, ()>(self.queues_key(), q.as_str()).await?;
        Ok(())
    }

    /// Schedules an envelope to become pending at `at`.
    ///
    /// # Errors
    /// `Redis` when the command fails.
    #[instrument(name = "broker.enqueue_at", skip_all, err(Debug), fields(queue = %q, task.id = %e.id))]
    pub async fn enqueue_at(&self, q: &QueueName, e: &Envelope, at: DateTime<Utc>) -> Result<()> {
        redis::pipe()
            .zadd(
                &self.broker.queue_keys(q).delayed,
                e.to_json(),
                at.timestamp_millis(),
            )
            .ignore()
            .sadd(self.queues_key(), q.as_str())
            .ignore()
            .query_async::<()>(&mut self.broker.connection())
            .await?;
        Ok(())
    }

    fn queues_key(&self) -> String {
        keys::queues(&self.broker.config().key_prefix)
    }
}
