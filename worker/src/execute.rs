//! One delivery's execution: look up the handler, run it beside its heartbeat, then settle the
//! envelope (ack, retry later, dead-letter or give back) and tell the task's hooks.

use std::sync::Arc;

use std::time::Duration;

use broker::{BrokerError, Consumer, Delivery, Settled};
use protocol::error_type;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, Span, error, info, warn};

use crate::acker::{Acker, Finished};
use crate::breaker::Breakers;
use crate::cancel::Watch;
use crate::failure::{FailureClass, TaskFailure};
use crate::heartbeat::{Beating, Heartbeat, HeartbeatConfig, Lease};
use crate::progress::Progress;
use crate::retry::{Decision, RetryPolicy, marked_as_rerun, retries_before};
use crate::task::{Registry, TaskContext};
use crate::time_limit::{self, TimeLimits};

/// How a delivery ended, as the runner counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Acknowledged as done.
    Succeeded,
    /// Scheduled for a retry.
    Retried,
    /// Failed for good and dead-lettered.
    Failed,
    /// Given back (shutdown) or abandoned (lease lost).
    Released,
    /// Cancelled while it ran (`POST /v1/tasks/{id}/cancel`); not retried.
    Cancelled,
    /// Its handler succeeded and it was handed to the worker's acker, which counts it
    /// (`Succeeded`, or `Released` when the ack is refused) once its ack is answered.
    Acking,
}

/// Everything one execution needs; built by the runner.
pub(crate) struct Execution {
    pub consumer: Arc<Consumer>,
    /// Acks successes together with the worker's other finished tasks.
    pub acker: Acker,
    pub registry: Arc<Registry>,
    pub delivery: Arc<Delivery>,
    pub retry: RetryPolicy,
    pub breakers: Breakers,
    pub heartbeat: HeartbeatConfig,
    pub cancel: CancellationToken,
    /// Fires when a cancel request for this task arrives.
    pub cancel_request: Watch,
    pub time_limits: TimeLimits,
    pub stop_grace: Duration,
    pub span: Span,
    /// The task's slot in the runner; a success hands it to the acker, which frees it once
    /// the ack is answered. Any other ending frees it when the execution ends.
    pub slot: Option<OwnedSemaphorePermit>,
}

enum Ending {
    Finished(Result<(), TaskFailure>),
    LeaseLost,
    Stopped,
    Cancelled,
    TimedOut(Duration),
}

impl Execution {
    /// Runs the delivery to its end inside the task's span.
    pub(crate) async fn run(self) -> Outcome {
        let span = self.span.clone();
        self.run_inner().instrument(span).await
    }

    async fn run_inner(mut self) -> Outcome {
        let envelope = &self.delivery.envelope;
        let Some(task) = self.registry.get(&envelope.task) else {
            let reason = format!(
                "unknown task {:?}: no handler is registered under that name",
                envelope.task
            );
            error!(%reason, "dead-lettering");
            report_settlement(
                self.consumer
                    .dead_letter_as(&self.delivery, error_type::UNKNOWN_TASK, &reason)
                    .await,
            );
            return Outcome::Failed;
        };
        let limit = match self.time_limits.of(envelope) {
            Ok(limit) => limit,
            Err(reason) => return self.refuse(&reason).await,
        };
        let progress = Progress::new();
        let lease = Lease {
            consumer: self.consumer.clone(),
            delivery: self.delivery.clone(),
            lost: CancellationToken::new(),
        };
        let lease_lost = lease.lost.clone();
        // The handler's token: this execution's own (a child of the runner's), fired by a
        // shutdown, a lost lease, a cancel request or the time limit. Firing it stops only this
        // task; it is fired after the ending is decided, so it does not read as a shutdown.
        let stop_handler = self.cancel.clone();
        let ctx = TaskContext::new(envelope.clone(), progress.clone(), stop_handler.clone())
            .with_lease(lease.clone());
        let envelope = ctx.envelope.clone();
        // The heartbeat starts on a tokio task of its own only once the task has run one
        // interval (its first renewal was due then anyway): a short task costs no extra task.
        let mut heartbeat = Some(Heartbeat::new(
            self.heartbeat,
            lease,
            progress,
            ctx.hooks.clone(),
        ));
        let mut beating: Option<Beating> = None;
        let first_beat = tokio::time::sleep(self.heartbeat.interval);
        tokio::pin!(first_beat);
        let started = Instant::now();
        let run = task.run(ctx.clone(), envelope.args.clone());
        tokio::pin!(run);
        let expiry = time_limit::expiry(limit);
        tokio::pin!(expiry);
        // Biased: a handler that returns because its token fired (a shutdown, a cancel) ends as
        // what fired it, not as its own failure.
        let mut ending = loop {
            tokio::select! {
                biased;
                () = lease_lost.cancelled() => break Ending::LeaseLost,
                () = self.cancel.cancelled() => break Ending::Stopped,
                () = self.cancel_request.token.cancelled() => break Ending::Cancelled,
                result = &mut run => break Ending::Finished(result),
                () = &mut expiry => break Ending::TimedOut(limit.unwrap_or_default()),
                () = &mut first_beat, if beating.is_none() => {
                    beating = heartbeat.take().map(Heartbeat::start);
                }
            }
        };
        if matches!(ending, Ending::Finished(Err(_))) {
            if self.cancel.is_cancelled() {
                ending = Ending::Stopped;
            } else if self.cancel_request.token.is_cancelled() {
                ending = Ending::Cancelled;
            }
        }
        if matches!(ending, Ending::Cancelled | Ending::TimedOut(_)) {
            // A short grace to stop on its token; then the handler is abandoned (dropped).
            stop_handler.cancel();
            let _ = tokio::time::timeout(self.stop_grace, &mut run).await;
        }
        if lease_lost.is_cancelled() {
            // Whatever the handler returned, the task belongs to another delivery now.
            ending = Ending::LeaseLost;
        }
        if let Some(beating) = beating {
            beating.stop().await;
        }
        let seconds = started.elapsed().as_secs_f64();
        metrics::histogram!(protocol::metrics::TASK_DURATION, "task" => envelope.task.clone())
            .record(seconds);
        match ending {
            Ending::Finished(Ok(())) => {
                self.dependencies_answered(task.dependencies());
                self.succeed(&ctx, seconds)
            }
            Ending::Finished(Err(failure)) => {
                if let Some(outcome) = self.give_back_on_outage(&ctx, &failure).await {
                    return outcome;
                }
                self.fail(&ctx, failure).await
            }
            Ending::Cancelled => {
                warn!("cancelled while running");
                let settled = self.consumer.cancelled(&self.delivery).await;
                let settled = settled.map(|()| Settled::Cancelled);
                self.settle(settled, &ctx)
                    .await
                    .unwrap_or(Outcome::Released)
            }
            Ending::TimedOut(limit) => {
                let message = time_limit::exceeded(limit);
                let failure = TaskFailure::message(FailureClass::Timeout, message);
                self.fail(&ctx, failure).await
            }
            Ending::LeaseLost => {
                ctx.cancel.cancel();
                warn!("abandoned after losing the lease; the new holder's attempt stands");
                Outcome::Released
            }
            Ending::Stopped => {
                warn!("stopped before finishing: giving the task back to its queue");
                if let Some(hooks) = ctx.hooks() {
                    report(hooks.released().await);
                }
                let released = self.consumer.release(&self.delivery).await;
                self.settle(released, &ctx)
                    .await
                    .unwrap_or(Outcome::Released)
            }
        }
    }

    /// Dead-letters an envelope the runtime refuses to run (a `time_limit` that is not a
    /// positive number).
    async fn refuse(&self, reason: &str) -> Outcome {
        let reason = format!("malformed element: {reason}");
        error!(%reason, "dead-lettering");
        let result = self
            .consumer
            .dead_letter_as(&self.delivery, error_type::MALFORMED, &reason)
            .await;
        report_settlement(result);
        Outcome::Failed
    }

    /// Hands the success to the acker, which acks it with the worker's other finished tasks,
    /// logs it and frees its slot.
    fn succeed(&mut self, ctx: &TaskContext, seconds: f64) -> Outcome {
        self.acker.finish(Finished {
            delivery: self.delivery.clone(),
            result: ctx.result(),
            seconds,
            span: self.span.clone(),
            slot: self.slot.take(),
        });
        Outcome::Acking
    }

    async fn fail(&self, ctx: &TaskContext, failure: TaskFailure) -> Outcome {
        let envelope = &self.delivery.envelope;
        let retries = retries_before(envelope);
        let decision = self
            .retry
            .decide(failure.class, retries, envelope.max_retries);
        let hooks = ctx.hooks();
        match decision {
            Decision::Retry {
                retry_number,
                delay,
            } => {
                warn!(error = %failure.message, class = %failure.class, retry_number, delay_secs = delay.as_secs_f64(), "task failed; will retry");
                if let Some(hooks) = &hooks {
                    report(hooks.retrying(&failure, retry_number).await);
                }
                let retried = self
                    .consumer
                    .retry_later_as(
                        &self.delivery,
                        delay,
                        failure.class.as_str(),
                        &failure.message,
                    )
                    .await;
                self.settle(retried, ctx).await.unwrap_or(Outcome::Retried)
            }
            Decision::GiveUp { error_type } => {
                error!(error = %failure.message, error_type, "task failed for good");
                if let Some(hooks) = &hooks
                    && let Err(unrecorded) = hooks.failed(&failure, error_type, retries).await
                {
                    // The verdict could not be written (say the database is down): dead-lettering
                    // now would leave the run `parsing` for ever. Run again later instead; the
                    // next attempt reaches the same verdict and records it. That run is marked as
                    // not being a retry, so the verdict counts the same retries as this one.
                    let delay = self.retry.final_record_delay();
                    warn!(error = %unrecorded.message, delay_secs = delay.as_secs_f64(),
                          "could not record the final failure; the task runs again so that it can be");
                    let rerun = self
                        .consumer
                        .retry_later_as(
                            &marked_as_rerun(&self.delivery),
                            delay,
                            failure.class.as_str(),
                            &failure.message,
                        )
                        .await;
                    return self.settle(rerun, ctx).await.unwrap_or(Outcome::Retried);
                }
                let reason = format!("{error_type}: {}", failure.message);
                report_settlement(
                    self.consumer
                        .dead_letter_as(&self.delivery, error_type, &reason)
                        .await,
                );
                Outcome::Failed
            }
        }
    }

    /// Logs what a broker call at the end of an execution returned ([`report_settlement`]), for
    /// a call a cancel may have overtaken: when the task ended `cancelled`, its hooks hear it
    /// and the outcome is `Some(Cancelled)`.
    pub(crate) async fn settle(
        &self,
        result: Result<Settled, BrokerError>,
        ctx: &TaskContext,
    ) -> Option<Outcome> {
        match result {
            Ok(Settled::Done) => None,
            Ok(Settled::Cancelled) => {
                info!("task cancelled");
                if let Some(hooks) = ctx.hooks() {
                    report(hooks.cancelled().await);
                }
                Some(Outcome::Cancelled)
            }
            Err(error) => {
                report_settlement(Err(error));
                None
            }
        }
    }
}

/// Logs what a broker call settling a task returned (in the task's span). A lost lease means
/// the reaper already gave the task to someone else: our late word is refused, which is the
/// point.
pub(crate) fn report_settlement(result: Result<(), BrokerError>) {
    match result {
        Ok(()) => {}
        Err(BrokerError::LeaseLost { .. }) => {
            warn!("late settlement refused: the lease had moved on");
        }
        Err(error) => {
            error!(error = %broker::report::Chain(&error), "could not settle the task; its lease will expire and it will be redelivered");
        }
    }
}

fn report(result: Result<(), TaskFailure>) {
    if let Err(failure) = result {
        warn!(error = %failure.message, "could not record the failure on the task's own records");
    }
}
