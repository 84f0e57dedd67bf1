//! Fetching tasks: claim in batches, block only when every queue is empty, dead-letter what
//! cannot be decoded. One queue blocks on `BLMOVE`; several are in `several` (weighted or strict
//! claims, pipelined, and the wake subscription). Finishing them (renew, ack, retry, dead letter,
//! release) is in `finish`.

mod celery;
mod finish;
mod several;

pub use finish::TRANSIENT;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tracing::warn;

use crate::blocking::Pooled;
use crate::broker::{Broker, MIN_BLOCK};
use crate::celery::CeleryOptions;
use crate::config::millis;
use crate::dead::{self, DeadRecord};
use crate::delivery::{Delivery, LeaseToken};
use crate::envelope::decode_element;
use crate::error::Result;
use crate::keys::QueueKeys;
use crate::names::{QueueName, WorkerId};
use crate::scripts::{self, Claimed};
use crate::selection::Selection;
use crate::wake::Waker;

/// Failure type counted for malformed elements found by `fetch`.
pub const MALFORMED: &str = "malformed";

/// Takes tasks from queues. Clone it freely: clones share the one blocking connection it holds
/// from the broker's pool (given back when the last clone is dropped), and every method but
/// `fetch`'s `BLMOVE` runs on the broker's shared connection.
#[derive(Debug, Clone)]
pub struct Consumer {
    broker: Broker,
    queues: Arc<[(QueueName, QueueKeys)]>,
    selection: Arc<Selection>,
    worker: WorkerId,
    /// The `BLMOVE` connection of a consumer of one queue (`None` until needed, or after an error).
    blocking: Arc<Mutex<Option<Pooled>>>,
    /// The wake subscription of a consumer of several queues.
    waker: Option<Arc<Waker>>,
    /// Task names and the result writer of a consumer of Celery lists (`None`: no Celery list).
    celery: Option<Arc<CeleryOptions>>,
}

impl Consumer {
    pub(crate) async fn new(
        broker: Broker,
        selection: Selection,
        worker: WorkerId,
    ) -> Result<Self> {
        let prefix = &broker.config().key_prefix;
        let queues: Arc<[(QueueName, QueueKeys)]> = selection
            .queues()
            .iter()
            .enumerate()
            .map(|(i, w)| match selection.is_celery(i) {
                true => (w.queue.clone(), QueueKeys::celery(prefix, &w.queue)),
                false => (w.queue.clone(), broker.queue_keys(&w.queue)),
            })
            .collect();
        let celery = celery::options(&broker, &selection).await?;
        let (blocking, waker) = if queues.len() == 1 {
            (Some(broker.blocking().get().await?), None)
        } else {
            let channels = queues.iter().map(|(_, k)| k.wake.clone()).collect();
            let waker = Waker::start(&broker.config().redis_url, channels).await?;
            (None, Some(Arc::new(waker)))
        };
        Ok(Self {
            queues,
            selection: Arc::new(selection),
            broker,
            worker,
            blocking: Arc::new(Mutex::new(blocking)),
            waker,
            celery,
        })
    }

    /// The worker this consumer fetches for.
    pub fn worker(&self) -> &WorkerId {
        &self.worker
    }

    /// Up to `max` leased tasks. One queue: one claim script, and when it is empty a BLMOVE of up
    /// to `block_timeout`. Several: each queue's share of `max` by the selection (weighted or
    /// strict), one claim script per queue, pipelined; when all are empty it waits for a wake
    /// message (or `block_timeout`) and claims once more. Returns what arrived (possibly
    /// nothing). Malformed elements are dead-lettered on the way and never returned.
    ///
    /// # Errors
    /// `Redis` (transient) when Redis is unreachable; the caller backs off and calls again.
    pub async fn fetch(&self, max: usize) -> Result<Vec<Delivery>> {
        self.fetch_except(max, &[]).await
    }

    /// [`Consumer::fetch`] leaving the queues of `skip` alone (a worker whose circuit breaker
    /// keeps their tasks waiting). Skipping every queue claims nothing and returns at once.
    ///
    /// # Errors
    /// As [`Consumer::fetch`].
    pub async fn fetch_except(&self, max: usize, skip: &[QueueName]) -> Result<Vec<Delivery>> {
        let max = max.max(1);
        let mut out = Vec::new();
        if self.queues.iter().all(|(q, _)| skip.contains(q)) {
            return Ok(out);
        }
        let claimed = self.fetch_into(max, skip, &mut out).await;
        match claimed {
            Ok(()) => Ok(out),
            // Tasks already leased must reach the caller, or they would sit unrun until their
            // lease expired and count a timeout they never had. The error shows on the next call.
            Err(error) if !out.is_empty() => {
                warn!(error = %crate::report::Chain(&error), claimed = out.len(), "fetch failed part-way; returning what was claimed");
                Ok(out)
            }
            Err(error) => Err(error),
        }
    }

    async fn fetch_into(
        &self,
        max: usize,
        skip: &[QueueName],
        out: &mut Vec<Delivery>,
    ) -> Result<()> {
        if self.queues.len() > 1 {
            return self.fetch_several(max, skip, out).await;
        }
        let (q, k) = &self.queues[0];
        let claimed = self.claim(k, max).await?;
        self.accept(q, k, claimed, out).await;
        if out.is_empty() {
            self.fetch_blocking(max, out).await?;
        }
        Ok(())
    }

    async fn fetch_blocking(&self, max: usize, out: &mut Vec<Delivery>) -> Result<()> {
        let (q, k) = &self.queues[0];
        let wait = self.broker.config().block_timeout.max(MIN_BLOCK);
        let Some(raw) = self.blocking_move(k, wait).await? else {
            return Ok(());
        };
        let token = new_token(1);
        let lease = millis(self.broker.config().lease);
        if scripts::claim_one(&mut self.broker.connection(), k, &raw, lease, &token).await? {
            self.accept(q, k, vec![(raw, token)], out).await;
        }
        if max > out.len() {
            let more = self.claim(k, max - out.len()).await?;
            self.accept(q, k, more, out).await;
        }
        Ok(())
    }

    // Only this method uses the pooled connection; after an error it is discarded, and the next
    // call takes another from the pool.
    async fn blocking_move(&self, k: &QueueKeys, wait: Duration) -> Result<Option<Vec<u8>>> {
        let mut guard = self.blocking.lock().await;
        let con = match guard.as_mut() {
            Some(con) => con,
            None => guard.insert(self.broker.blocking().get().await?),
        };
        let mut blmove = redis::cmd("BLMOVE");
        blmove
            .arg(&k.pending)
            .arg(&k.processing)
            .arg("RIGHT")
            .arg("LEFT")
            .arg(wait.as_secs_f64());
        let moved = con.query(&blmove, Broker::blocking_limit(wait)).await;
        if moved.is_err()
            && let Some(con) = guard.take()
        {
            con.discard();
        }
        moved
    }

    async fn claim(&self, k: &QueueKeys, max: usize) -> Result<Claimed> {
        let lease = millis(self.broker.config().lease);
        scripts::claim(&mut self.broker.connection(), k, max, lease, &new_token(0)).await
    }

    /// Turns claimed elements into deliveries; malformed ones are dead-lettered. A failed
    /// dead-letter call is logged and skipped: the element keeps its lease, so the reaper meets
    /// it again when the lease expires and dead-letters it then; the valid ones still run.
    async fn accept(
        &self,
        q: &QueueName,
        k: &QueueKeys,
        claimed: Claimed,
        out: &mut Vec<Delivery>,
    ) {
        for (bytes, token) in claimed {
            match decode_element(bytes) {
                Ok((raw, envelope)) => {
                    let d = Delivery {
                        envelope,
                        queue: q.clone(),
                        token: LeaseToken(token),
                        raw,
                    };
                    // A Celery task may be held (eta), revoked (expired) or renamed first.
                    if let Some(d) = self.admit(k, d).await {
                        out.push(d);
                    }
                }
                Err((raw, reason)) => {
                    warn!(queue = %q, %reason, "dead-lettering malformed element");
                    let record =
                        DeadRecord::new(&String::from_utf8_lossy(&raw), None, &reason).to_json();
                    match self.dead_letter_malformed(k, &raw, &token, &record).await {
                        Ok(()) => self.refused(&raw).await,
                        Err(error) => {
                            warn!(queue = %q, error = %crate::report::Chain(&error), "could not dead-letter a malformed element; the reaper will");
                        }
                    }
                }
            }
        }
    }

    /// Moves a claimed element that is not an envelope to the dead letters (then `WAIT`s, with
    /// `wait_replicas`).
    async fn dead_letter_malformed(
        &self,
        k: &QueueKeys,
        raw: &[u8],
        token: &str,
        record: &str,
    ) -> Result<()> {
        let cap = dead::cap(&self.broker);
        let mut con = self.broker.connection();
        // No envelope, so no task state (TTL 0: nothing is written).
        let state = scripts::StateArgs {
            id: String::new(),
            ttl_ms: 0,
            cancel_ttl_ms: 0,
            task: "\"\"".to_owned(),
            attempt: 0,
        };
        if scripts::dead_letter(&mut con, k, raw, token, record, cap, MALFORMED, &state).await? {
            self.broker.replicated(&k.dead).await?;
        }
        Ok(())
    }

    /// The keys of the queue `d` came from: this consumer's own (no allocation per task), or
    /// spelled anew for a delivery of another queue.
    fn keys(&self, d: &Delivery) -> Cow<'_, QueueKeys> {
        match self.queues.iter().find(|(q, _)| *q == d.queue) {
            Some((_, k)) => Cow::Borrowed(k),
            None => Cow::Owned(self.broker.queue_keys(&d.queue)),
        }
    }
}

/// A token base unique per call; scripts append `:<n>` per element.
fn new_token(n: u32) -> String {
    let id = uuid::Uuid::new_v4().simple();
    if n == 0 {
        id.to_string()
    } else {
        format!("{id}:{n}")
    }
}
