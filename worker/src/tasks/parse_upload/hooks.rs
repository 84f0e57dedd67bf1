//! The run row's side of the runner's bookkeeping: heartbeats, retries and final failures are
//! written to `ingestion_runs`, fenced by the attempt this delivery began.

use entity::store::{Fence, Run, RunId, RunMetrics, Store};
use futures::future::BoxFuture;

use crate::failure::TaskFailure;
use crate::hooks::RunHooks;

/// Hooks bound to one run and one attempt.
pub struct IngestHooks {
    store: Store,
    run: RunId,
    fence: Fence,
}

impl IngestHooks {
    /// Hooks for `run` at attempt `fence`.
    pub fn new(store: Store, run: &Run, fence: Fence) -> Self {
        Self {
            store,
            run: run.id,
            fence,
        }
    }
}

/// The run's `error_message` for a final failure.
pub fn final_message(failure: &TaskFailure, error_type: &str, retries: u32) -> String {
    match error_type {
        "permanent" => format!("Permanent error: {}", failure.message),
        _ => format!("Failed after {retries} retries: {}", failure.message),
    }
}

impl RunHooks for IngestHooks {
    fn heartbeat(&self) -> BoxFuture<'_, Result<(), TaskFailure>> {
        Box::pin(async move {
            self.store
                .heartbeat(self.run, self.fence)
                .await
                .map_err(|error| TaskFailure::transient(&error))
        })
    }

    fn released(&self) -> BoxFuture<'_, Result<(), TaskFailure>> {
        Box::pin(async move {
            self.store
                .release_attempt(self.run, self.fence)
                .await
                .map_err(|error| TaskFailure::transient(&error))
        })
    }

    fn retrying<'a>(
        &'a self,
        failure: &'a TaskFailure,
        retry_number: u32,
    ) -> BoxFuture<'a, Result<(), TaskFailure>> {
        Box::pin(async move {
            let message = format!(
                "Transient error (retry {retry_number}): {}",
                failure.message
            );
            let retries = i32::try_from(retry_number).unwrap_or(i32::MAX);
            self.store
                .schedule_retry(self.run, self.fence, &message, &failure.traceback, retries)
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
            // Tests make recording the verdict fail once here; compiled out of release builds.
            fail::fail_point!("ingest.record_failure", |_| {
                Err(TaskFailure::message(
                    crate::failure::FailureClass::Transient,
                    "database unavailable (injected fault)",
                ))
            });
            let message = final_message(failure, error_type, retries);
            let metrics = RunMetrics {
                files_parsed: 0,
                stanzas_created: 0,
                duration_seconds: 0.0,
                parse_errors: 0,
                retry_count: i64::from(retries),
                error_type: Some(error_type.to_owned()),
            };
            self.store
                .fail(self.run, self.fence, &message, &failure.traceback, metrics)
                .await
                .map_err(|error| TaskFailure::transient(&error))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::final_message;
    use crate::failure::{FailureClass, TaskFailure};

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
    }
}
