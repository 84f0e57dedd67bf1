//! Dead letters: a zset per queue of JSON records (reason, last error, the raw element),
//! scored by a sequence number that grows with the time they died (`cursor`); list page by page,
//! requeue one or all, purge.

mod cursor;

pub use cursor::{DeadCursor, DeadCursorError};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::broker::Broker;
use crate::config::millis;
use crate::envelope::Envelope;
use crate::error::Result;
use crate::names::{QueueName, TaskId};
use crate::scripts::{self, DeadCap};

/// What is stored per dead letter (the zset member).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct DeadRecord {
    pub reason: String,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub task_id: Option<TaskId>,
    pub raw: String,
}

impl DeadRecord {
    pub(crate) fn new(raw: &str, envelope: Option<&Envelope>, reason: &str) -> Self {
        Self {
            reason: reason.to_owned(),
            last_error: envelope.and_then(|e| e.last_error().map(str::to_owned)),
            task_id: envelope.map(|e| e.id),
            raw: raw.to_owned(),
        }
    }

    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

pub(crate) fn cap(broker: &Broker) -> DeadCap {
    DeadCap {
        max_len: broker.config().dead_max_len,
        max_age_ms: millis(broker.config().dead_max_age),
    }
}

/// One dead letter as operators see it.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    /// The task id, when the element had one.
    pub task_id: Option<TaskId>,
    /// The queue it died in.
    pub queue: QueueName,
    /// Why it was dead-lettered.
    pub reason: String,
    /// The last failure recorded in the envelope.
    pub last_error: Option<String>,
    /// When it was dead-lettered (Redis clock).
    pub dead_at: DateTime<Utc>,
    /// The element as it was.
    pub raw: String,
    /// The parsed element, when it is a valid envelope.
    pub envelope: Option<Envelope>,
}

/// One page of dead letters, newest first.
#[derive(Debug, Clone)]
pub struct DeadPage {
    /// The dead letters of the page.
    pub items: Vec<DeadLetter>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<DeadCursor>,
}

/// Dead-letter operations of every queue.
#[derive(Debug, Clone)]
pub struct DeadLetters {
    broker: Broker,
}

impl DeadLetters {
    pub(crate) fn new(broker: Broker) -> Self {
        Self { broker }
    }

    /// Up to `limit` dead letters of `q` older than `after` (all, without it), newest first.
    /// A dead letter that arrives or leaves between two pages shifts no other: each one present
    /// throughout a walk is listed exactly once.
    ///
    /// # Errors
    /// `Redis` when a command fails.
    ///
    /// # Examples
    /// Every dead letter of a queue, page by page, each permanent one requeued:
    /// ```no_run
    /// use broker::{Broker, QueueName};
    ///
    /// # async fn example(broker: Broker) -> Result<(), broker::BrokerError> {
    /// let queue = QueueName::parse("ingest")?;
    /// let dead = broker.dead_letters();
    /// let mut after = None;
    /// loop {
    ///     let page = dead.list(&queue, after, 100).await?;
    ///     for letter in &page.items {
    ///         println!("{:?}: {}", letter.task_id, letter.reason);
    ///         if let (Some(id), true) = (letter.task_id, letter.reason.starts_with("permanent")) {
    ///             dead.requeue(&queue, &id).await?;
    ///         }
    ///     }
    ///     match page.next {
    ///         Some(next) => after = Some(next),
    ///         None => break,
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list(
        &self,
        q: &QueueName,
        after: Option<DeadCursor>,
        limit: usize,
    ) -> Result<DeadPage> {
        let keys = self.broker.queue_keys(q);
        let mut con = self.broker.connection();
        scripts::upgrade_dead(&mut con, &keys).await?;
        let max = after.map_or_else(|| "+inf".to_owned(), DeadCursor::exclusive_bound);
        let mut rows: Vec<(String, f64)> = redis::cmd("ZRANGE")
            .arg(&keys.dead)
            .arg(max)
            .arg("-inf")
            .arg("BYSCORE")
            .arg("REV")
            .arg("LIMIT")
            .arg(0)
            .arg(limit.saturating_add(1))
            .arg("WITHSCORES")
            .query_async(&mut con)
            .await?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = rows
            .last()
            .filter(|_| more)
            .map(|(_, score)| DeadCursor::from_score(*score));
        let items = rows
            .into_iter()
            .map(|(member, score)| letter(q, member, score))
            .collect();
        Ok(DeadPage { items, next })
    }

    /// Puts the newest dead letter of task `id` back on pending with attempt 0 (a fresh budget).
    ///
    /// # Errors
    /// `Redis` when a command fails; `NotReplicated` when `wait_replicas` replicas did not
    /// acknowledge the move in time (it was made on the master).
    pub async fn requeue(&self, q: &QueueName, id: &TaskId) -> Result<bool> {
        for (member, score) in self.all_rows(q).await? {
            let dl = letter(q, member.clone(), score);
            if let (Some(envelope), true) = (dl.envelope, dl.task_id.as_ref() == Some(id)) {
                let moved = self.requeue_member(q, &member, envelope).await?;
                self.replicated(q, usize::from(moved)).await?;
                return Ok(moved);
            }
        }
        Ok(false)
    }

    /// Puts every dead letter that is a valid envelope back on pending; returns how many.
    ///
    /// # Errors
    /// `Redis` when a command fails; `NotReplicated` as for [`DeadLetters::requeue`].
    pub async fn requeue_all(&self, q: &QueueName) -> Result<usize> {
        let mut count = 0;
        // oldest first, so the queue keeps their original order
        for (member, score) in self.all_rows(q).await?.into_iter().rev() {
            if let Some(envelope) = letter(q, member.clone(), score).envelope {
                count += usize::from(self.requeue_member(q, &member, envelope).await?);
            }
        }
        self.replicated(q, count).await?;
        Ok(count)
    }

    /// Deletes the dead letters of task `id` (its work was re-enqueued under another task);
    /// returns whether there was one.
    ///
    /// # Errors
    /// `Redis` when a command fails.
    pub async fn remove(&self, q: &QueueName, id: &TaskId) -> Result<bool> {
        let key = self.broker.queue_keys(q).dead;
        let mut removed = false;
        for (member, score) in self.all_rows(q).await? {
            if letter(q, member.clone(), score).task_id.as_ref() == Some(id) {
                let n: usize = redis::cmd("ZREM")
                    .arg(&key)
                    .arg(member)
                    .query_async(&mut self.broker.connection())
                    .await?;
                removed |= n > 0;
            }
        }
        Ok(removed)
    }

    /// Deletes every dead letter of `q`; returns how many there were.
    ///
    /// # Errors
    /// `Redis` when the command fails.
    pub async fn purge(&self, q: &QueueName) -> Result<usize> {
        let key = self.broker.queue_keys(q).dead;
        let (count,): (usize,) = redis::pipe()
            .atomic()
            .zcard(&key)
            .del(&key)
            .ignore()
            .query_async(&mut self.broker.connection())
            .await?;
        Ok(count)
    }

    /// Every record of `q` with its score, newest first.
    async fn all_rows(&self, q: &QueueName) -> Result<Vec<(String, f64)>> {
        let rows: Vec<(String, f64)> = redis::cmd("ZRANGE")
            .arg(&self.broker.queue_keys(q).dead)
            .arg(0)
            .arg(-1)
            .arg("REV")
            .arg("WITHSCORES")
            .query_async(&mut self.broker.connection())
            .await?;
        Ok(rows)
    }

    async fn requeue_member(
        &self,
        q: &QueueName,
        member: &str,
        mut envelope: Envelope,
    ) -> Result<bool> {
        envelope.attempt = 0;
        let keys = self.broker.queue_keys(q);
        scripts::requeue_dead(
            &mut self.broker.connection(),
            &keys,
            member,
            &envelope.to_json(),
            &envelope.id.to_string(),
        )
        .await
    }

    /// With `wait_replicas`, `WAIT`s for the requeues of `q` (one `WAIT` covers them all).
    async fn replicated(&self, q: &QueueName, requeued: usize) -> Result<()> {
        if requeued == 0 {
            return Ok(());
        }
        self.broker
            .replicated(&self.broker.queue_keys(q).pending)
            .await
    }
}

fn letter(q: &QueueName, member: String, score: f64) -> DeadLetter {
    let dead_at = DeadCursor::from_score(score).dead_at();
    let record = serde_json::from_str::<DeadRecord>(&member).unwrap_or_else(|_| DeadRecord {
        reason: "unreadable dead-letter record".to_owned(),
        last_error: None,
        task_id: None,
        raw: member,
    });
    let envelope = Envelope::parse(&record.raw).ok();
    DeadLetter {
        task_id: record.task_id.or(envelope.as_ref().map(|e| e.id)),
        queue: q.clone(),
        reason: record.reason,
        last_error: record.last_error,
        dead_at,
        raw: record.raw,
        envelope,
    }
}
