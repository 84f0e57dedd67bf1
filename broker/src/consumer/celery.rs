//! The Celery side of a consumer: admitting a claimed Celery task (rename it, hold it until its
//! `eta`, revoke it when it expired, record `STARTED`), and writing its Celery result once its
//! state change in confq went through (`Consumer::celery_settled`, called by `finish`).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use tracing::warn;

use super::Consumer;
use crate::broker::Broker;
use crate::celery::{self, CeleryOptions, CeleryResults, Status};
use crate::delivery::Delivery;
use crate::error::Result;
use crate::keys::QueueKeys;
use crate::scripts;
use crate::selection::Selection;

/// How often an idle consumer of Celery lists looks at them again (kombu pushes without a wake
/// message).
pub(crate) const POLL: Duration = Duration::from_millis(20);

/// The default options of a consumer whose selection has Celery lists: results on the broker's
/// Redis for the result TTL, no aliases. The Celery lists are added to the set of known queues,
/// so the reaper looks after their leases and delayed tasks.
pub(super) async fn options(
    broker: &Broker,
    selection: &Selection,
) -> Result<Option<Arc<CeleryOptions>>> {
    let mut any = false;
    for (i, w) in selection.queues().iter().enumerate() {
        if selection.is_celery(i) {
            broker.note_queue(&w.queue).await?;
            any = true;
        }
    }
    let results = CeleryResults::new(broker, broker.config().result_ttl);
    Ok(any.then(|| Arc::new(CeleryOptions::new(results))))
}

impl Consumer {
    /// The same consumer with `options` for its Celery lists (task aliases, where results go);
    /// no effect on a consumer without Celery lists.
    pub fn with_celery(mut self, options: CeleryOptions) -> Self {
        if self.celery.is_some() {
            self.celery = Some(Arc::new(options));
        }
        self
    }

    /// How long an idle consumer of several queues waits for a wake message.
    pub(super) fn idle_wait(&self) -> Duration {
        let wait = self.broker.config().block_timeout;
        match self.celery {
            Some(_) => wait.min(POLL),
            None => wait,
        }
    }

    /// The delivery to run, or `None` when this Celery task must not run now: it expired (ends
    /// `cancelled`, REVOKED for the caller) or its `eta` is ahead (waits in the delayed set).
    /// Any other delivery passes unchanged.
    pub(super) async fn admit(&self, k: &QueueKeys, mut d: Delivery) -> Option<Delivery> {
        let (Some(options), Some(fields)) = (&self.celery, celery::fields(&d.envelope)) else {
            return Some(d);
        };
        let fields = fields.clone();
        if let Some(to) = options.task_map.get(&d.envelope.task) {
            d.envelope.task = to.clone();
        }
        let now = Utc::now();
        if celery::time(&fields, "expires").is_some_and(|t| t <= now) {
            // `cancelled` records the state and writes REVOKED.
            if let Err(error) = self.cancelled(&d).await {
                warn!(task.id = %d.envelope.id, error = %crate::report::Chain(&error), "could not revoke an expired Celery task");
            }
            return None;
        }
        if let Some(eta) = celery::time(&fields, "eta").filter(|t| *t > now) {
            let mut later = d.envelope.clone();
            if let Some(Value::Object(f)) = later.extra.get_mut(celery::CELERY) {
                f.remove("eta");
            }
            let held = scripts::celery_defer(
                &mut self.broker.connection(),
                k,
                &d.raw,
                d.token.as_str(),
                &later.to_json(),
                eta.timestamp_millis(),
            )
            .await;
            if let Err(error) = held {
                warn!(task.id = %d.envelope.id, error = %crate::report::Chain(&error), "could not hold a Celery task until its eta; its lease will expire and it comes back");
            }
            return None;
        }
        if options.track_started
            || fields
                .get("track_started")
                .is_some_and(|v| v == &Value::Bool(true))
        {
            self.celery_settled(&d, Status::Started, &Value::Null).await;
        }
        Some(d)
    }

    /// A Celery message that was dead-lettered because it cannot run: its caller gets a FAILURE
    /// (when its id is readable).
    pub(super) async fn refused(&self, raw: &[u8]) {
        let Some(options) = &self.celery else {
            return;
        };
        let Some(Err(refusal)) = std::str::from_utf8(raw).ok().and_then(celery::from_message)
        else {
            return;
        };
        let Some(id) = &refusal.id else {
            return;
        };
        let result = celery::exception(refusal.exc_type, &refusal.message);
        options.results.answer(id, Status::Failure, &result).await;
    }

    /// After a state change of `d` went through: its Celery result (nothing for a native task).
    pub(super) async fn celery_settled(&self, d: &Delivery, status: Status, result: &Value) {
        let Some(options) = &self.celery else {
            return;
        };
        if !celery::answers(&d.envelope) {
            return;
        }
        options
            .results
            .answer(&d.envelope.id.to_string(), status, result)
            .await;
    }

    /// [`Consumer::celery_settled`] for a task that ended `cancelled`: REVOKED, as `expired`
    /// when its `expires` passed.
    pub(super) async fn celery_revoked(&self, d: &Delivery) {
        let expired = celery::fields(&d.envelope)
            .and_then(|f| celery::time(f, "expires"))
            .is_some_and(|t| t <= Utc::now());
        let why = if expired { "expired" } else { "revoked" };
        self.celery_settled(d, Status::Revoked, &celery::revoked(why))
            .await;
    }

    /// [`Consumer::celery_settled`] for a failure recorded as `error_type` with `reason`.
    pub(super) async fn celery_failed(
        &self,
        d: &Delivery,
        status: Status,
        error_type: &str,
        reason: &str,
    ) {
        let message = reason
            .strip_prefix(error_type)
            .and_then(|m| m.strip_prefix(": "))
            .unwrap_or(reason);
        let Some(options) = &self.celery else {
            return;
        };
        let result = celery::exception((options.exc_type)(error_type), message);
        self.celery_settled(d, status, &result).await;
    }
}
