//! The run row's side of the runner's bookkeeping: heartbeats, retries and final failures are
//! written to `ingestion_runs`, fenced by the attempt this delivery began.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use entity::store::{Fence, RunId, Store};
use futures::future::BoxFuture;
use protocol::error_type;

use super::tally::Tally;
use worker::failure::TaskFailure;
use worker::hooks::RunHooks;

/// Hooks bound to one run and one attempt.
pub(crate) struct IngestHooks {
    store: Store,
    run: RunId,
    fence: Fence,
    tally: Arc<Tally>,
    /// Set once the run is complete: its row is final, the hooks write nothing more (indexing
    /// the complete run's settings may still fail and be retried by a redelivery).
    complete: AtomicBool,
}

impl IngestHooks {
    /// Hooks for `run` at attempt `fence`, reporting what `tally` reached when it fails.
    pub(crate) fn new(store: Store, run: RunId, fence: Fence, tally: Arc<Tally>) -> Self {
        Self {
            store,
            run,
            fence,
            tally,
            complete: AtomicBool::new(false),
        }
    }

    /// The run is complete: from now on the hooks leave its row alone.
    pub(super) fn completed(&self) {
        self.complete.store(true, Ordering::Release);
    }

    fn is_complete(&self) -> bool {
        self.complete.load(Ordering::Acquire)
    }
}

/// The run's `error_message` when a failure will be retried: `retries` is the retry count of the
/// attempt that failed (the seed's first failure reads "Transient error (retry 0): …").
pub(crate) fn retry_message(failure: &TaskFailure, retries: u32) -> String {
    format!("Transient error (retry {retries}): {}", failure.message)
}

/// The run's `error_message` for a final failure after `retries` retries.
pub(crate) fn final_message(failure: &TaskFailure, error_type: &str, retries: u32) -> String {
    match error_type {
        error_type::PERMANENT => format!("Permanent error: {}", failure.message),
        _ => format!("Failed after {retries} retries: {}", failure.message),
    }
}

impl RunHooks for IngestHooks {
    fn heartbeat(&self) -> BoxFuture<'_, Result<(), TaskFailure>> {
        Box::pin(async move {
            if self.is_complete() {
                return Ok(());
            }
            self.store
                .heartbeat(self.run, self.fence)
                .await
                .map_err(|error| TaskFailure::transient(&error))
        })
    }

    fn released(&self) -> BoxFuture<'_, Result<(), TaskFailure>> {
        Box::pin(async move {
            if self.is_complete() {
                return Ok(());
            }
            self.store
                .release_attempt(self.run, self.fence)
                .await
                .map_err(|error| TaskFailure::transient(&error))
        })
    }

    fn cancelled(&self) -> BoxFuture<'_, Result<(), TaskFailure>> {
        Box::pin(async move {
            self.store
                .cancel_run(self.run)
                .await
                .map(|_| ())
                .map_err(|error| TaskFailure::transient(&error))
        })
    }

    fn retrying<'a>(
        &'a self,
        failure: &'a TaskFailure,
        retry_number: u32,
    ) -> BoxFuture<'a, Result<(), TaskFailure>> {
        Box::pin(async move {
            if self.is_complete() {
                return Ok(());
            }
            let message = retry_message(failure, retry_number.saturating_sub(1));
            let retry_count = i32::try_from(retry_number).unwrap_or(i32::MAX);
            self.store
                .schedule_retry(
                    self.run,
                    self.fence,
                    &message,
                    &failure.traceback,
                    retry_count,
                )
                .await
                .map_err(|error| TaskFailure::transient(&error))
        })
    }

    fn failed<'a>(
        &'a self,
        failure: &'a TaskFailure,
        error_type: &'a str,
        retries: u32,
    ) -> BoxFuture<'a, Result<(), TaskFailure>> {
        Box::pin(async move {
            if self.is_complete() {
                return Ok(());
            }
            // Tests make recording the verdict fail once here ([`crate::fault`]).
            if crate::fault::fails("ingest.record_failure").await {
                return Err(TaskFailure::message(
                    worker::failure::FailureClass::Transient,
                    "database unavailable (injected fault)",
                ));
            }
            let message = final_message(failure, error_type, retries);
            let metrics = self.tally.metrics(retries, Some(error_type));
            self.store
                .fail(self.run, self.fence, &message, &failure.traceback, metrics)
                .await
                .map_err(|error| TaskFailure::transient(&error))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{final_message, retry_message};
    use worker::failure::{FailureClass, TaskFailure};

    #[test]
    fn final_messages_follow_the_contract() {
        let failure = TaskFailure::message(FailureClass::Transient, "Connection timeout");
        assert_eq!(
            final_message(&failure, "transient_exhausted", 3),
            "Failed after 3 retries: Connection timeout"
        );
        assert_eq!(
            final_message(&failure, "permanent", 0),
            "Permanent error: Connection timeout"
        );
        let storage = TaskFailure::message(FailureClass::Transient, "Storage retrieval failed");
        assert_eq!(
            retry_message(&storage, 0),
            "Transient error (retry 0): Storage retrieval failed",
            "the seed's first transient failure"
        );
    }
}
