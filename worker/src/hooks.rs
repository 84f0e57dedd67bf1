//! Hooks a task installs so the runner can report to the task's own records (for
//! `ingest.parse_upload`: the run row) when it beats, retries or gives up.

use std::sync::{Arc, Mutex, PoisonError};

use futures::future::BoxFuture;

use crate::failure::TaskFailure;

/// The task's side of the bookkeeping the runner drives.
pub trait RunHooks: Send + Sync {
    /// Called on every heartbeat while the task progresses (writes `last_heartbeat`).
    fn heartbeat(&self) -> BoxFuture<'_, Result<(), TaskFailure>>;

    /// Called when the failure will be retried as `retry_number` after the backoff.
    fn retrying<'a>(
        &'a self,
        failure: &'a TaskFailure,
        retry_number: u32,
    ) -> BoxFuture<'a, Result<(), TaskFailure>>;

    /// Called when the task is given back to its queue unfinished (graceful shutdown).
    fn released(&self) -> BoxFuture<'_, Result<(), TaskFailure>>;

    /// Called when the task ended `cancelled` (`POST /v1/tasks/{id}/cancel` reached it while it
    /// ran). The default records nothing.
    fn cancelled(&self) -> BoxFuture<'_, Result<(), TaskFailure>> {
        Box::pin(async { Ok(()) })
    }

    /// Called when the task gives up for good with `error_type`.
    fn failed<'a>(
        &'a self,
        failure: &'a TaskFailure,
        error_type: &'a str,
        retries: u32,
    ) -> BoxFuture<'a, Result<(), TaskFailure>>;
}

/// A slot shared between a task's context and the runner, filled by the task once it knows its
/// records (for ingestion: after `begin_attempt`).
#[derive(Clone, Default)]
pub struct HookSlot(Arc<Mutex<Option<Arc<dyn RunHooks>>>>);

impl HookSlot {
    /// Installs the hooks.
    pub fn set(&self, hooks: Arc<dyn RunHooks>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(hooks);
    }

    /// The installed hooks, if any.
    pub fn get(&self) -> Option<Arc<dyn RunHooks>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
