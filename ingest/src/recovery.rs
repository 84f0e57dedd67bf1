//! The recovery requeue of ingestion: when a worker's breaker closes, runs that exhausted their
//! retries during the outage are re-enqueued with a fresh budget and their dead letters dropped.
//! The database is the fence: `reset_for_retry` moves a run out of `failed` in a transaction
//! that locks its row, so of several workers recovering at once only one re-enqueues each run.

use broker::{Broker, QueueName, TaskId};
use chrono::{DateTime, Utc};
use entity::StoreError;
use entity::store::{Run, Store};
use futures::future::BoxFuture;
use tracing::{debug, warn};
use worker::breaker::{Dependency, Recovery};

/// Re-enqueues runs that ended `transient_exhausted`, once across the fleet.
#[derive(Debug, Clone)]
pub struct RecoverRuns {
    /// Where the runs are.
    pub store: Store,
    /// Where their tasks go.
    pub broker: Broker,
    /// The queue of a run that does not name one.
    pub default_queue: QueueName,
}

impl Recovery for RecoverRuns {
    fn recover(
        &self,
        dependency: Dependency,
        since: DateTime<Utc>,
    ) -> BoxFuture<'static, Result<usize, String>> {
        let this = self.clone();
        Box::pin(async move {
            let runs = this
                .store
                .exhausted_since(since)
                .await
                .map_err(|error| broker::report::one_line(&error))?;
            let mut requeued = 0;
            for run in runs {
                match this.requeue(&run).await {
                    Ok(true) => requeued += 1,
                    Ok(false) => {}
                    Err(error) => {
                        warn!(run.id = run.id.0, %dependency, %error, "could not re-enqueue a run after the outage")
                    }
                }
            }
            Ok(requeued)
        })
    }
}

impl RecoverRuns {
    /// Re-enqueues `run` unless another worker already did (false then).
    async fn requeue(&self, run: &Run) -> Result<bool, String> {
        let task_id = TaskId::new();
        let reset = match self.store.reset_for_retry(run.id, task_id.0).await {
            Ok(reset) => reset,
            Err(StoreError::NotFailed(_)) => return Ok(false),
            Err(error) => return Err(broker::report::one_line(&error)),
        };
        let queue = reset.queue_or(&self.default_queue);
        // Stored but not enqueued when this fails: the API's sweep enqueues it.
        entity::submit::enqueue(&self.broker.producer(), &queue, reset.id, task_id)
            .await
            .map_err(|error| broker::report::one_line(&error))?;
        if let Some(old) = run.task_id {
            let dead = self.broker.dead_letters();
            if let Err(error) = dead.remove(&queue, &TaskId(old)).await {
                warn!(run.id = run.id.0, error = %broker::report::Chain(&error), "could not drop the dead letter of a re-enqueued run");
            }
        }
        debug!(run.id = run.id.0, task.id = %task_id, "re-enqueued after the outage with a fresh retry budget");
        Ok(true)
    }
}
