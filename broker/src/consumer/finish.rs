//! Finishing a leased task: renew, ack, retry later, dead-letter or release it. Every change is
//! fenced by the delivery's lease token, so a worker that lost its lease changes nothing.

use std::time::Duration;

use serde_json::Value;
use tracing::instrument;

use super::Consumer;
use crate::celery::Status;
use crate::config::millis;
use crate::dead::{self, DeadRecord};
use crate::delivery::Delivery;
use crate::error::{BrokerError, Result};
use crate::scripts;
use crate::settled::Settled;

/// Failure type recorded by `retry_later`.
pub const TRANSIENT: &str = "transient";
/// Failure type counted by a plain `dead_letter`.
const UNSPECIFIED: &str = "unspecified";

impl Consumer {
    /// Heartbeat: renews the lease for another `lease`.
    ///
    /// # Errors
    /// `LeaseLost` when the lease is no longer ours; `Redis` when the command fails.
    #[instrument(name = "broker.extend_lease", level = "debug", skip_all, err(Debug), fields(task.id = %d.envelope.id))]
    pub async fn extend_lease(&self, d: &Delivery) -> Result<()> {
        let lease = millis(self.broker.config().lease);
        let ok = scripts::extend_lease(
            &mut self.broker.connection(),
            &self.keys(d),
            &d.raw,
            d.token.as_str(),
            lease,
        )
        .await?;
        fenced(ok, d)
    }

    /// Finishes a task.
    ///
    /// # Errors
    /// `LeaseLost` when the token is stale (nothing changes); `Redis` when the command fails.
    pub async fn ack(&self, d: &Delivery) -> Result<()> {
        self.ack_with(d, &Value::Null).await
    }

    /// Finishes a task that returned `result`: its state is `succeeded` with that result for
    /// the result TTL (`BrokerConfig::result_ttl`; nothing is kept with `results` off).
    ///
    /// # Errors
    /// `LeaseLost` when the token is stale (nothing changes); `Redis` when the command fails.
    #[instrument(name = "broker.ack", level = "debug", skip_all, err(Debug), fields(task.id = %d.envelope.id))]
    pub async fn ack_with(&self, d: &Delivery, result: &Value) -> Result<()> {
        let state = self.broker.state_args(&d.envelope);
        let ok = scripts::ack(
            &mut self.broker.connection(),
            &self.keys(d),
            &d.raw,
            d.token.as_str(),
            &state,
            &result.to_string(),
        )
        .await?;
        fenced(ok, d)?;
        self.celery_settled(d, Status::Success, result).await;
        Ok(())
    }

    /// A running task a cancel reached has stopped: it leaves processing and its state is
    /// `cancelled` (never retried).
    ///
    /// # Errors
    /// `LeaseLost` when the token is stale (nothing changes); `Redis` when the command fails.
    #[instrument(name = "broker.cancelled", level = "debug", skip_all, err(Debug), fields(task.id = %d.envelope.id))]
    pub async fn cancelled(&self, d: &Delivery) -> Result<()> {
        let state = self.broker.state_args(&d.envelope);
        let ok = scripts::cancelled(
            &mut self.broker.connection(),
            &self.keys(d),
            &d.raw,
            d.token.as_str(),
            &state,
        )
        .await?;
        fenced(ok, d)?;
        self.celery_revoked(d).await;
        Ok(())
    }

    /// Finishes many tasks in one round trip per queue; `true` where acked, `false` where the
    /// token was stale (that task is left unchanged).
    ///
    /// # Errors
    /// `Redis` when a command fails.
    pub async fn ack_many(&self, ds: &[Delivery]) -> Result<Vec<bool>> {
        let done: Vec<(&Delivery, &Value)> = ds.iter().map(|d| (d, &Value::Null)).collect();
        self.ack_many_with(&done).await
    }

    /// As [`Consumer::ack_many`], each task with the result it returned (as
    /// [`Consumer::ack_with`]): one `ack_many.lua` call per queue for the whole batch; then the
    /// Celery result of each acked Celery task.
    ///
    /// # Errors
    /// `Redis` when a command fails (tasks of queues already answered may be acked).
    pub async fn ack_many_with(&self, done: &[(&Delivery, &Value)]) -> Result<Vec<bool>> {
        let mut acked = vec![false; done.len()];
        for (q, k) in self.queues.iter() {
            let index: Vec<usize> = (0..done.len()).filter(|&i| &done[i].0.queue == q).collect();
            if index.is_empty() {
                continue;
            }
            let items: Vec<_> = index
                .iter()
                .map(|&i| {
                    let (d, result) = done[i];
                    let state = self.broker.state_args(&d.envelope);
                    (d.raw.as_str(), d.token.as_str(), state, result.to_string())
                })
                .collect();
            let ttl = self.broker.config().state_ttl_ms();
            let flags = scripts::ack_many(&mut self.broker.connection(), k, &items, ttl).await?;
            for (i, ok) in index.into_iter().zip(flags) {
                acked[i] = ok;
            }
        }
        for (&(d, result), _) in done.iter().zip(&acked).filter(|(_, ok)| **ok) {
            self.celery_settled(d, Status::Success, result).await;
        }
        Ok(acked)
    }

    /// A failed attempt to retry after `delay`: attempt+1, `error` recorded, into the delayed set
    /// (or `cancelled`, when a cancel reached the task while it ran).
    ///
    /// # Errors
    /// `LeaseLost` when the token is stale; `Redis` when the command fails.
    pub async fn retry_later(&self, d: &Delivery, delay: Duration, error: &str) -> Result<Settled> {
        self.retry_later_as(d, delay, TRANSIENT, error).await
    }

    /// Like [`Consumer::retry_later`], recording the failure as `error_type` (for example
    /// `timeout` or `permanent` when a policy retries those) in the envelope's
    /// `last_error_type` and the queue's `failed:<type>` counter. A task a cancel reached while
    /// it ran is not retried: it ends `cancelled` ([`Settled::Cancelled`]).
    ///
    /// # Errors
    /// `LeaseLost` when the token is stale; `Redis` when the command fails.
    #[instrument(name = "broker.retry_later", level = "debug", skip_all, err(Debug), fields(task.id = %d.envelope.id, error_type))]
    pub async fn retry_later_as(
        &self,
        d: &Delivery,
        delay: Duration,
        error_type: &str,
        error: &str,
    ) -> Result<Settled> {
        let next = d.envelope.failed(error_type, error).to_json();
        let mut con = self.broker.connection();
        let keys = self.keys(d);
        let state = self.broker.state_args(&d.envelope);
        let settled = scripts::retry_later(
            &mut con,
            &keys,
            &d.raw,
            d.token.as_str(),
            &next,
            millis(delay),
            error_type,
            &state,
        )
        .await?;
        let settled = fenced_as(settled, d)?;
        match settled {
            Settled::Done => {
                self.celery_failed(d, Status::Retry, error_type, error)
                    .await
            }
            Settled::Cancelled => self.celery_revoked(d).await,
        }
        con.replicated(&keys.delayed, self.broker.config().wait_replicas)
            .await?;
        Ok(settled)
    }

    /// Gives up on a task: it goes to the dead letters with `reason`.
    ///
    /// # Errors
    /// `LeaseLost` when the token is stale; `Redis` when the command fails.
    pub async fn dead_letter(&self, d: &Delivery, reason: &str) -> Result<()> {
        self.dead_letter_as(d, UNSPECIFIED, reason).await
    }

    /// Like [`Consumer::dead_letter`], counting the failure under `error_type` (for example
    /// `permanent`, `transient_exhausted`, `unknown_task`) in the queue's `failed:<type>` counter.
    ///
    /// # Errors
    /// `LeaseLost` when the token is stale; `Redis` when the command fails.
    #[instrument(name = "broker.dead_letter", level = "debug", skip_all, err(Debug), fields(task.id = %d.envelope.id, error_type))]
    pub async fn dead_letter_as(&self, d: &Delivery, error_type: &str, reason: &str) -> Result<()> {
        let record = DeadRecord::new(&d.raw, Some(&d.envelope), reason).to_json();
        let cap = dead::cap(&self.broker);
        let mut con = self.broker.connection();
        let keys = self.keys(d);
        let state = self.broker.state_args(&d.envelope);
        let ok = scripts::dead_letter(
            &mut con,
            &keys,
            d.raw.as_bytes(),
            d.token.as_str(),
            &record,
            cap,
            error_type,
            &state,
        )
        .await?;
        fenced(ok, d)?;
        self.celery_failed(d, Status::Failure, error_type, reason)
            .await;
        con.replicated(&keys.dead, self.broker.config().wait_replicas)
            .await
    }

    /// Graceful shutdown: gives the task back to the front of pending now, same attempt (or
    /// ends it `cancelled`, when a cancel reached it while it ran).
    ///
    /// # Errors
    /// `LeaseLost` when the token is stale; `Redis` when the command fails.
    #[instrument(name = "broker.release", level = "debug", skip_all, err(Debug), fields(task.id = %d.envelope.id))]
    pub async fn release(&self, d: &Delivery) -> Result<Settled> {
        let state = self.broker.state_args(&d.envelope);
        let settled = scripts::release(
            &mut self.broker.connection(),
            &self.keys(d),
            &d.raw,
            d.token.as_str(),
            &state,
        )
        .await?;
        let settled = fenced_as(settled, d)?;
        if settled == Settled::Cancelled {
            self.celery_revoked(d).await;
        }
        Ok(settled)
    }
}

/// The script's [`Settled`], or `LeaseLost` when the token was stale.
fn fenced_as(settled: Option<Settled>, d: &Delivery) -> Result<Settled> {
    settled.ok_or(BrokerError::LeaseLost {
        task_id: d.envelope.id,
    })
}

/// `Ok` when the script applied the change, `LeaseLost` when the token was stale.
fn fenced(ok: bool, d: &Delivery) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(BrokerError::LeaseLost {
            task_id: d.envelope.id,
        })
    }
}
