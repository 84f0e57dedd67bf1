//! Enqueuing: LPUSH onto pending with a PUBLISH on the queue's wake channel (one script), or ZADD
//! into the delayed set. The global queue set is written
//! by its own command, once per broker handle and queue (`Broker::note_queue`), so every command
//! touches one slot on a cluster. With `wait_replicas` set, each returns only once that many
//! replicas have the write (`WAIT`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::instrument;

use crate::broker::Broker;
use crate::config::millis;
use crate::envelope::Envelope;
use crate::error::Result;
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
    ///
    /// # Examples
    /// Now, and in ten seconds (the reaper makes it pending when due):
    /// ```no_run
    /// use std::time::Duration;
    ///
    /// use broker::{Broker, Envelope, QueueName};
    ///
    /// # async fn example(broker: Broker) -> Result<(), broker::BrokerError> {
    /// let queue = QueueName::parse("ingest")?;
    /// let args = serde_json::json!({"ms": 100}).as_object().cloned().unwrap_or_default();
    /// broker.producer().enqueue(&queue, &Envelope::new("confq.sleep", args.clone())).await?;
    /// let later = Envelope::new("confq.sleep", args);
    /// broker.producer().enqueue_in(&queue, &later, Duration::from_secs(10)).await?;
    /// # Ok(())
    /// # }
    /// ```
    #[instrument(name = "broker.enqueue", level = "debug", skip_all, err(Debug), fields(queue = %q, task.id = %e.id))]
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
        self.broker.note_queue(q).await?;
        let keys = self.broker.queue_keys(q);
        let mut con = self.broker.connection();
        scripts::enqueue(&mut con, &keys, &raws).await?;
        con.replicated(&keys.pending, self.broker.config().wait_replicas)
            .await
    }

    /// Schedules an envelope to become pending after `delay` (measured on the Redis clock).
    ///
    /// # Errors
    /// `Redis` when the command fails.
    #[instrument(name = "broker.enqueue_in", level = "debug", skip_all, err(Debug), fields(queue = %q, task.id = %e.id))]
    pub async fn enqueue_in(&self, q: &QueueName, e: &Envelope, delay: Duration) -> Result<()> {
        self.broker.note_queue(q).await?;
        let mut con = self.broker.connection();
        let keys = self.broker.queue_keys(q);
        scripts::enqueue_in(&mut con, &keys, &e.to_json(), millis(delay)).await?;
        con.replicated(&keys.delayed, self.broker.config().wait_replicas)
            .await
    }

    /// Schedules an envelope to become pending at `at`.
    ///
    /// # Errors
    /// `Redis` when the command fails.
    #[instrument(name = "broker.enqueue_at", level = "debug", skip_all, err(Debug), fields(queue = %q, task.id = %e.id))]
    pub async fn enqueue_at(&self, q: &QueueName, e: &Envelope, at: DateTime<Utc>) -> Result<()> {
        self.broker.note_queue(q).await?;
        let delayed = self.broker.queue_keys(q).delayed;
        let mut con = self.broker.connection();
        redis::cmd("ZADD")
            .arg(&delayed)
            .arg(at.timestamp_millis())
            .arg(e.to_json())
            .query_async::<()>(&mut con)
            .await?;
        con.replicated(&delayed, self.broker.config().wait_replicas)
            .await
    }
}
