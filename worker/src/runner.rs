//! The worker loop: fetch envelopes in batches, run up to `concurrency` of them at once, each with
//! its heartbeat, then ack, retry later or dead-letter by the retry policy; stop in two stages.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use broker::{Broker, CancelSignals, Consumer, Delivery, Outage, WorkerId};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, error, info, info_span, warn};

use crate::acker::Acker;
use crate::breaker::{Breakers, Gate};
use crate::cancel::InFlight;
use crate::config::WorkerConfig;
use crate::error::WorkerError;
use crate::execute::{Execution, Outcome};
use crate::heartbeat::HeartbeatConfig;
use crate::registration::Live;
use crate::shutdown::Shutdown;
use crate::task::Registry;

/// What a runner did before it stopped.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunnerStats {
    /// Tasks acknowledged as done.
    pub succeeded: u64,
    /// Tasks scheduled for a retry.
    pub retried: u64,
    /// Tasks that failed for good (dead-lettered).
    pub failed: u64,
    /// Tasks given back to their queue at shutdown or abandoned after losing their lease.
    pub released: u64,
    /// Tasks cancelled while they ran.
    pub cancelled: u64,
}

impl RunnerStats {
    /// Counts one task's outcome here and in `confq_worker_tasks_total{outcome}` (served by
    /// `confq worker --metrics-bind`). `Acking` is not an outcome yet: the acker counts it.
    pub(crate) fn count(&mut self, outcome: Outcome) {
        let (count, label) = match outcome {
            Outcome::Succeeded => (&mut self.succeeded, "succeeded"),
            Outcome::Retried => (&mut self.retried, "retried"),
            Outcome::Failed => (&mut self.failed, "failed"),
            Outcome::Released => (&mut self.released, "released"),
            Outcome::Cancelled => (&mut self.cancelled, "cancelled"),
            Outcome::Acking => return,
        };
        *count += 1;
        metrics::counter!(protocol::metrics::WORKER_TASKS, "outcome" => label).increment(1);
    }

    /// Adds what `other` counted.
    fn add(&mut self, other: Self) {
        self.succeeded += other.succeeded;
        self.retried += other.retried;
        self.failed += other.failed;
        self.released += other.released;
        self.cancelled += other.cancelled;
    }
}

/// A worker: one consumer, a task registry and the policy to run them.
pub struct Runner {
    consumer: Arc<Consumer>,
    registry: Arc<Registry>,
    config: WorkerConfig,
    /// Renewal period and stall limit, from the worker's heartbeat and the broker's lease.
    heartbeat: HeartbeatConfig,
    worker_id: WorkerId,
    breakers: Breakers,
    /// How many tasks are in flight (for the registry entry).
    in_flight: Arc<AtomicUsize>,
    /// The tasks in flight, which cancel requests find by id.
    running: InFlight,
    /// The subscription to the cancel channels of the queues (dropped with the runner).
    _cancels: CancelSignals,
}

impl Runner {
    /// Opens the consumer for the configured queues, weights and priority rule. The lease its
    /// heartbeats renew is the broker's (`BrokerConfig::lease`): one value for both sides.
    ///
    /// # Errors
    /// When Redis cannot be reached.
    pub async fn new(
        broker: &Broker,
        registry: Registry,
        config: WorkerConfig,
        worker_id: WorkerId,
    ) -> Result<Self, WorkerError> {
        let selection = config.selection().map_err(WorkerError::Broker)?;
        let consumer = broker
            .consumer_with(selection, worker_id.clone())
            .await
            .map_err(WorkerError::Broker)?;
        let consumer = crate::celery::attach(consumer, broker, &config.celery)
            .await
            .map_err(WorkerError::Broker)?;
        let heartbeat = HeartbeatConfig::new(config.heartbeat, broker.config().lease);
        let breakers = registry.breakers(config.breaker.clone(), worker_id.as_str());
        let running = InFlight::default();
        let listener = running.clone();
        let cancels = broker
            .listen_for_cancels(
                &config.all_queues(),
                Arc::new(move |id| listener.cancel(&id)),
            )
            .await
            .map_err(WorkerError::Broker)?;
        Ok(Self {
            breakers,
            in_flight: Arc::new(AtomicUsize::new(0)),
            running,
            _cancels: cancels,
            consumer: Arc::new(consumer),
            registry: Arc::new(registry),
            config,
            heartbeat,
            worker_id,
        })
    }

    /// This worker's id.
    pub fn worker_id(&self) -> &WorkerId {
        &self.worker_id
    }

    /// Its breakers and in-flight count, for its registry entry.
    pub fn live(&self) -> Live {
        Live {
            breakers: self.breakers.clone(),
            in_flight: self.in_flight.clone(),
        }
    }

    /// Runs until `shutdown`: fetches while there is room, and on the graceful signal lets
    /// in-flight tasks finish within the grace period before giving the rest back.
    ///
    /// # Errors
    /// Never for Redis outages (they are waited out); only for a broken setup.
    pub async fn run(self, shutdown: Shutdown) -> Result<RunnerStats, WorkerError> {
        let slots = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let stop_tasks = CancellationToken::new();
        let mut tasks: JoinSet<Outcome> = JoinSet::new();
        let mut stats = RunnerStats::default();
        let mut outage = Outage::new("fetching tasks");
        let mut gate = Gate::new(self.breakers.clone(), self.registry.clone());
        let stop_probes = CancellationToken::new();
        let probes = tokio::spawn(self.breakers.clone().run_probes(stop_probes.clone()));
        let (acker, acks) = Acker::start(self.consumer.clone());
        // The breakers keep tasks waiting in any queue the consumer takes from, Celery lists too.
        let queues = self.config.all_queues();
        info!(worker = %self.worker_id, concurrency = self.config.concurrency, "worker started");

        while !shutdown.graceful.is_cancelled() {
            while let Some(done) = tasks.try_join_next() {
                record(&mut stats, done);
            }
            let Some(room) = self.wait_for_room(&slots, &shutdown).await else {
                break;
            };
            let Some(skip) = gate.queues_to_skip(&queues, &shutdown).await else {
                continue;
            };
            let batch = room.min(self.config.fetch_batch);
            match self.consumer.fetch_except(batch, &skip).await {
                Ok(deliveries) => {
                    outage.recovered();
                    for delivery in deliveries {
                        let Some(delivery) = gate.admit(&self.consumer, delivery).await else {
                            stats.released += 1;
                            continue;
                        };
                        let Ok(permit) = slots.clone().try_acquire_owned() else {
                            // Cannot happen: we never fetch more than the free slots.
                            error!("no free slot for a fetched task; giving it back");
                            let _ = self.consumer.release(&delivery).await;
                            continue;
                        };
                        let execution = self.execution(
                            delivery,
                            stop_tasks.child_token(),
                            acker.clone(),
                            permit,
                        );
                        let in_flight = self.in_flight.clone();
                        in_flight.fetch_add(1, Ordering::Relaxed);
                        // Boxed: the execution's state machine is large, and tokio copies a
                        // task's future (and reads its output) by value.
                        let execution = Box::pin(execution.run());
                        tasks.spawn(async move {
                            let outcome = execution.await;
                            in_flight.fetch_sub(1, Ordering::Relaxed);
                            outcome
                        });
                    }
                }
                Err(error) => {
                    let pause = outage.failed(&error);
                    tokio::select! {
                        () = shutdown.graceful.cancelled() => {}
                        () = tokio::time::sleep(pause) => {}
                    }
                }
            }
        }

        while let Some(done) = tasks.try_join_next() {
            record(&mut stats, done);
        }
        info!(
            in_flight = tasks.len(),
            grace_secs = self.config.shutdown_grace.as_secs(),
            "stopping: no more fetches"
        );
        self.drain(&mut tasks, &mut stats, &shutdown, &stop_tasks)
            .await;
        // Every execution (and its acker handle) has ended: the batching task acks what is
        // left, stops and says what it counted.
        drop(acker);
        match acks.await {
            Ok(acked) => stats.add(acked),
            Err(error) => {
                error!(%error, "the acker panicked; unacknowledged tasks will be redelivered")
            }
        }
        stop_probes.cancel();
        let _ = probes.await;
        info!(?stats, "worker stopped");
        Ok(stats)
    }

    /// Waits until at least one slot is free; returns how many are, or `None` on shutdown.
    async fn wait_for_room(&self, slots: &Arc<Semaphore>, shutdown: &Shutdown) -> Option<usize> {
        if slots.available_permits() == 0 {
            tokio::select! {
                () = shutdown.graceful.cancelled() => return None,
                permit = slots.acquire() => drop(permit),
            }
        }
        Some(slots.available_permits().max(1))
    }

    fn execution(
        &self,
        delivery: Delivery,
        cancel: CancellationToken,
        acker: Acker,
        slot: OwnedSemaphorePermit,
    ) -> Execution {
        let span = info_span!(
            "task",
            task.id = %delivery.envelope.id,
            task.name = %delivery.envelope.task,
            attempt = delivery.envelope.attempt,
            queue = %delivery.queue,
            run.id = tracing::field::Empty,
        );
        Execution {
            consumer: self.consumer.clone(),
            acker,
            registry: self.registry.clone(),
            cancel_request: self.running.watch(delivery.envelope.id),
            delivery: Arc::new(delivery),
            retry: self.config.retry.clone(),
            breakers: self.breakers.clone(),
            heartbeat: self.heartbeat,
            cancel,
            time_limits: self.config.time_limits.clone(),
            stop_grace: self.config.stop_grace,
            span,
            slot: Some(slot),
        }
    }

    /// After the graceful signal: waits up to the grace period (or the immediate signal), then
    /// cancels what is left; cancelled tasks give their envelopes back to pending.
    async fn drain(
        &self,
        tasks: &mut JoinSet<Outcome>,
        stats: &mut RunnerStats,
        shutdown: &Shutdown,
        stop_tasks: &CancellationToken,
    ) {
        let deadline = Instant::now() + self.config.shutdown_grace;
        while !tasks.is_empty() {
            tokio::select! {
                done = tasks.join_next() => if let Some(done) = done { record(stats, done) },
                () = tokio::time::sleep_until(deadline) => break,
                () = shutdown.immediate.cancelled() => break,
            }
        }
        if !tasks.is_empty() {
            warn!(
                unfinished = tasks.len(),
                "giving unfinished tasks back to their queue"
            );
            stop_tasks.cancel();
        }
        let span = info_span!("drain");
        async {
            while let Some(done) = tasks.join_next().await {
                record(stats, done);
            }
        }
        .instrument(span)
        .await;
        debug!("all tasks settled");
    }
}

/// Counts a finished task in `stats` and in `confq_worker_tasks_total{outcome}`.
fn record(stats: &mut RunnerStats, done: Result<Outcome, tokio::task::JoinError>) {
    match done {
        Ok(outcome) => stats.count(outcome),
        Err(error) => {
            error!(%error, "a task panicked; its lease will expire and the reaper will redeliver it");
        }
    }
}
