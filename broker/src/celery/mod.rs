//! Celery interoperability: a worker started with `--celery-queue NAME` also takes the Celery
//! protocol v2 messages Python's `send_task` pushes onto the Redis list `NAME` and its priority
//! lists, runs them as v1 envelopes on confq's reliable path, and writes their results in
//! Celery's Redis result-backend format (docs/celery.md).
//!
//! Each Celery list is its own internal queue named as the list (`celery`, `celery\x06\x163`…),
//! so its confq keys (`confq:{celery\x06\x163}:processing`…) share the list's cluster slot and
//! every script stays single-slot; the lists of one Celery queue are taken highest priority
//! first (`Selection::with_celery`).

mod lists;
mod message;
mod reaped;
mod result;

use std::collections::HashMap;

pub use lists::{PRIORITY_STEPS, lists};
pub use message::{CELERY, Refusal};
pub(crate) use message::{fields, from_message, time};
pub(crate) use reaped::reaped;
pub(crate) use result::revoked;
pub use result::{CeleryResults, Status, broker_exc_type, document, exception};

/// Whether `envelope` came from Celery and its caller wants a result (no `ignore_result`).
pub(crate) fn answers(envelope: &crate::envelope::Envelope) -> bool {
    fields(envelope).is_some_and(|f| f.get("ignore_result") != Some(&serde_json::Value::Bool(true)))
}

/// What a consumer of Celery lists needs besides the lists themselves.
#[derive(Debug, Clone)]
pub struct CeleryOptions {
    /// Celery task name → confq task name (`CONFQ_CELERY_TASK_MAP`); other names run as they are.
    pub task_map: HashMap<String, String>,
    /// Where results go.
    pub results: CeleryResults,
    /// Record `STARTED` for every task (Celery's `task_track_started`); a message may also ask
    /// for it with a `track_started` header.
    pub track_started: bool,
    /// The Python exception class of a failure type (`permanent` → `PermanentError`…).
    pub exc_type: fn(&str) -> &'static str,
}

impl CeleryOptions {
    /// No aliases, no `STARTED`, the broker's exception names, results through `results`.
    pub fn new(results: CeleryResults) -> Self {
        Self {
            task_map: HashMap::new(),
            results,
            track_started: false,
            exc_type: broker_exc_type,
        }
    }
}
