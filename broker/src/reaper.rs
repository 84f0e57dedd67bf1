//! The reaper's tick: fails expired leases (error type `timeout`, retried as its policy says),
//! requeues orphans, promotes due delayed tasks, applies the dead-letter caps, and records its
//! heartbeat. Each step is one atomic script, so several reapers can run at once; with
//! `wait_replicas` a queue's moves are confirmed by one `WAIT`. The loop that runs it is in
//! `reaper_loop.rs`.

use std::sync::Arc;
use std::time::Duration;

use tracing::instrument;

use crate::broker::Broker;
use crate::config::millis;
use crate::dead::{self, DeadRecord};
use crate::envelope::{Envelope, decode_element};
use crate::error::{BrokerError, Result};
use crate::keys::QueueKeys;
use crate::names::QueueName;
use crate::policy::RetryDecider;
use crate::results_walk::ResultWalks;
use crate::scripts::{self, Reap, StateArgs};
use crate::settled::Settled;

/// Failure type recorded on an expired lease.
pub const TIMEOUT: &str = "timeout";
/// Elements handled per script call.
const BATCH: usize = 1000;
/// Promotion calls per tick (bounds one tick's work).
const MAX_PROMOTE_ROUNDS: usize = 20;

/// One expired lease the reaper failed.
#[derive(Debug, Clone)]
pub struct ExpiredTask {
    /// Its queue.
    pub queue: QueueName,
    /// The envelope after the change (attempt already +1, last error `timeout`).
    pub envelope: Envelope,
    /// True when retries were used up and the task went to the dead letters.
    pub dead_lettered: bool,
    /// The backoff before its retry, when it was not dead-lettered.
    pub retry_in: Option<Duration>,
    /// True when a cancel had reached the task while it ran: it ended `cancelled` instead
    /// (neither retried nor dead-lettered).
    pub cancelled: bool,
}

/// What one reaper pass did.
#[derive(Debug, Clone, Default)]
pub struct ReapOutcome {
    /// Expired leases, each retried or dead-lettered.
    pub expired: Vec<ExpiredTask>,
    /// Unleased elements put back on pending after the grace period.
    pub orphans_requeued: usize,
    /// Due delayed elements moved to pending.
    pub promoted: usize,
    /// Dead letters dropped by the caps (age, count) with no new arrival.
    pub dead_trimmed: usize,
    /// Recorded task states dropped after their result TTL.
    pub results_trimmed: usize,
}

/// Periodic repair of the queues it is given and of every queue producers have used.
#[derive(Debug, Clone)]
pub struct Reaper {
    broker: Broker,
    queues: Vec<QueueName>,
    policy: Arc<dyn RetryDecider>,
    /// Where its walks over the queues' results stand.
    walks: ResultWalks,
}

impl Reaper {
    /// A reaper of `queues` that retries or dead-letters expired leases as `policy` decides.
    pub fn new(broker: Broker, queues: Vec<QueueName>, policy: Arc<dyn RetryDecider>) -> Self {
        Self {
            broker,
            queues,
            policy,
            walks: ResultWalks::default(),
        }
    }

    /// One pass over every queue.
    ///
    /// # Errors
    /// `Redis` when a script fails (work done before the failure stays done).
    #[instrument(name = "broker.reap", skip_all, err(Debug))]
    pub async fn tick(&self) -> Result<ReapOutcome> {
        match self.tick_partial().await {
            (outcome, None) => Ok(outcome),
            (_, Some(error)) => Err(error),
        }
    }

    /// One pass over its queues and every queue producers have used since (re-read each tick, so
    /// a new queue is looked after without a restart), going on past a failing queue; a pass
    /// that went through records the reaper's heartbeat (`confq reaper --check`). Always returns
    /// what it did, with the first error: expired leases it moved are in the outcome even when a
    /// later step failed, since the broker will not report them again and a caller that records
    /// them elsewhere (the run rows) must see them.
    pub async fn tick_partial(&self) -> (ReapOutcome, Option<BrokerError>) {
        let mut outcome = ReapOutcome::default();
        let mut queues = match self.broker.queues().await {
            Ok(known) => known,
            Err(error) => return (outcome, Some(error)),
        };
        for queue in &self.queues {
            if !queues.contains(queue) {
                queues.push(queue.clone());
            }
        }
        let mut first_error = None;
        for q in &queues {
            let k = self.broker.queue_keys(q);
            if let Err(error) = self.reap_queue(q, &k, &mut outcome).await {
                first_error.get_or_insert(error);
            }
        }
        // The reaper's heartbeat: only a tick that went through counts.
        if first_error.is_none() {
            first_error = self
                .broker
                .record_reaper_tick(chrono::Utc::now())
                .await
                .err();
        }
        (outcome, first_error)
    }

    /// The broker it reaps.
    pub(crate) fn broker(&self) -> &Broker {
        &self.broker
    }

    async fn reap_queue(
        &self,
        q: &QueueName,
        k: &QueueKeys,
        outcome: &mut ReapOutcome,
    ) -> Result<()> {
        let expired = self.reap_expired(q, k, outcome).await?;
        let grace = millis(self.broker.config().orphan_grace);
        let orphans = scripts::requeue_orphans(&mut self.broker.connection(), k, grace).await?;
        outcome.orphans_requeued += orphans;
        let promoted = self.promote_due(k).await?;
        outcome.promoted += promoted;
        let cap = dead::cap(&self.broker);
        outcome.dead_trimmed += scripts::trim_dead(&mut self.broker.connection(), k, cap).await?;
        outcome.results_trimmed += self.trim_results(q, k).await?;
        // One `WAIT` covers every move of this queue (they all went to its master).
        if expired + orphans + promoted > 0 {
            self.broker.replicated(&k.pending).await?;
        }
        Ok(())
    }

    async fn reap_expired(
        &self,
        q: &QueueName,
        k: &QueueKeys,
        outcome: &mut ReapOutcome,
    ) -> Result<usize> {
        let mut con = self.broker.connection();
        let mut moved = 0;
        for (bytes, token) in scripts::expired(&mut con, k, BATCH).await? {
            let (raw, next, delay, reason) = match decode_element(bytes) {
                Ok((raw, e)) => {
                    let next = e.failed(TIMEOUT, "lease expired before the task finished");
                    let delay = self.policy.retry_delay(&next, TIMEOUT);
                    let reason = "retries exhausted (last error: timeout)".to_owned();
                    (raw.into_bytes(), Some(next), delay, reason)
                }
                Err((raw, reason)) => (raw, None, None, reason),
            };
            let dead = delay.is_none();
            let new_raw = next
                .as_ref()
                .map_or_else(|| raw.clone(), |n| n.to_json().into_bytes());
            let record =
                DeadRecord::new(&String::from_utf8_lossy(&raw), next.as_ref(), &reason).to_json();
            let current = decode_element(raw.clone()).ok().map(|(_, e)| e);
            let state = match &current {
                Some(e) => self.broker.state_args(e),
                None => StateArgs {
                    id: String::new(),
                    ttl_ms: 0,
                    cancel_ttl_ms: 0,
                    task: "\"\"".to_owned(),
                    attempt: 0,
                },
            };
            let reap = Reap {
                raw: &raw,
                token: &token,
                new_raw: &new_raw,
                delay_ms: delay.map(millis),
                record: &record,
                cap: dead::cap(&self.broker),
                state,
            };
            let Some(settled) = scripts::reap_expired(&mut con, k, &reap).await? else {
                continue;
            };
            moved += 1;
            let cancelled = settled == Settled::Cancelled;
            if let Some(envelope) = &next {
                crate::celery::reaped(&self.broker, envelope, dead, cancelled).await;
            }
            if let Some(envelope) = next {
                outcome.expired.push(ExpiredTask {
                    queue: q.clone(),
                    envelope,
                    dead_lettered: dead && !cancelled,
                    retry_in: delay.filter(|_| !cancelled),
                    cancelled,
                });
            }
        }
        Ok(moved)
    }

    /// Goes on with the walk over `q`'s results hash, up to [`MAX_PROMOTE_ROUNDS`] steps.
    async fn trim_results(&self, q: &QueueName, k: &QueueKeys) -> Result<usize> {
        let Some(mut cursor) = self.walks.position(q, std::time::Instant::now()) else {
            return Ok(0);
        };
        let mut total = 0;
        for _ in 0..MAX_PROMOTE_ROUNDS {
            let (next, n) =
                scripts::trim_results(&mut self.broker.connection(), k, &cursor, BATCH).await?;
            total += n;
            self.walks
                .advance(q, next.clone(), std::time::Instant::now());
            if next == "0" {
                break;
            }
            cursor = next;
        }
        Ok(total)
    }

    async fn promote_due(&self, k: &QueueKeys) -> Result<usize> {
        let mut total = 0;
        for _ in 0..MAX_PROMOTE_ROUNDS {
            let n = scripts::promote_due(&mut self.broker.connection(), k, BATCH).await?;
            total += n;
            if n < BATCH {
                break;
            }
        }
        Ok(total)
    }
}
