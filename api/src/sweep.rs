//! The sweep of unqueued runs: a run row written whose task never reached Redis (Redis was
//! down after the insert, or the process died in between) stays `stored` forever unless
//! someone enqueues it. The sweep finds `stored` runs older than a threshold, checks that
//! their task is nowhere in the queue (pending, processing, delayed, dead: the broker's
//! `Broker::find_tasks`), and enqueues it
//! again under the same task id. A double enqueue is harmless: ingestion is idempotent.

use std::collections::BTreeMap;
use std::time::Duration;

use broker::{Broker, QueueName, TaskId};
use entity::Store;
use entity::store::Run;
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;

/// Runs looked at per pass.
const BATCH: u64 = 500;

/// Enqueues the task of every run still `stored` after `older_than` whose task id is in none
/// of its queue's lists (the run's recorded queue, else `queue`); returns how many were enqueued.
///
/// # Errors
/// [`ApiError::Unavailable`] when Redis or the database does not answer.
pub async fn sweep_unqueued(
    store: &Store,
    broker: &Broker,
    queue: &QueueName,
    older_than: Duration,
) -> Result<usize, ApiError> {
    let stale = store.stale_unfinished_runs(older_than, BATCH).await?;
    if stale.is_empty() {
        return Ok(0);
    }
    // Each run goes back to the queue it was sent to (`queue` for runs that recorded none).
    let mut by_queue: BTreeMap<QueueName, Vec<Run>> = BTreeMap::new();
    for run in stale {
        by_queue.entry(run.queue_or(queue)).or_default().push(run);
    }
    let mut enqueued = 0;
    for (queue, runs) in by_queue {
        let wanted: Vec<TaskId> = runs.iter().filter_map(|r| r.task_id).map(TaskId).collect();
        let queued = broker.find_tasks(&queue, &wanted).await?;
        for run in runs {
            if run.task_id.is_some_and(|id| queued.contains(&TaskId(id))) {
                continue;
            }
            enqueue_again(store, broker, &queue, &run).await?;
            enqueued += 1;
        }
    }
    Ok(enqueued)
}

async fn enqueue_again(
    store: &Store,
    broker: &Broker,
    queue: &QueueName,
    run: &Run,
) -> Result<(), ApiError> {
    let task_id = run.task_id.map_or_else(TaskId::new, TaskId);
    entity::submit::enqueue(&broker.producer(), queue, run.id, task_id).await?;
    // Also moves `updated_at`, so the next pass leaves this run alone for `older_than`.
    store.set_task_id(run.id, task_id.0).await?;
    tracing::warn!(run.id = %run.id, task.id = %task_id, "enqueued a stored run whose task was not in the queue");
    Ok(())
}

/// The background loop `serve` starts: one sweep every `interval` until `stop`.
#[derive(Debug, Clone)]
pub struct Sweeper {
    store: Store,
    broker: Broker,
    queue: QueueName,
    interval: Duration,
    older_than: Duration,
}

impl Sweeper {
    /// A sweeper of `queue`.
    pub fn new(
        store: Store,
        broker: Broker,
        queue: QueueName,
        interval: Duration,
        older_than: Duration,
    ) -> Self {
        Self {
            store,
            broker,
            queue,
            interval,
            older_than,
        }
    }

    /// One pass; returns how many runs were enqueued.
    ///
    /// # Errors
    /// [`ApiError::Unavailable`] when Redis or the database does not answer.
    pub async fn tick(&self) -> Result<usize, ApiError> {
        sweep_unqueued(&self.store, &self.broker, &self.queue, self.older_than).await
    }

    /// Sweeps every `interval` until `stop` is cancelled; failures are logged once per outage.
    pub async fn run(self, stop: CancellationToken) {
        let mut failing = false;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(self.interval) => {}
            }
            match self.tick().await {
                Ok(_) => failing = false,
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %broker::report::Chain(&e), "sweep of unqueued runs failed; will retry");
                }
                Err(_) => {}
            }
        }
    }
}
