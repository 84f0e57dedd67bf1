//! Heartbeats: while a task makes progress, renew its Redis lease and let the task record
//! `last_heartbeat`. A task that stops progressing stops renewing, so the reaper redelivers it; a
//! lost lease cancels the task so it abandons its work without writing. [`Heartbeat`] has the
//! shape of every loop here: `new`, `run` until told to stop, and a one-pass `tick` tests call.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use broker::{BrokerError, Consumer, Delivery};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, warn};

use crate::hooks::HookSlot;
use crate::progress::Progress;

/// Heartbeat settings.
#[derive(Debug, Clone, Copy)]
pub struct HeartbeatConfig {
    /// How often to renew (`CONFQ_HEARTBEAT_SECS`).
    pub interval: Duration,
    /// A task idle for longer than this is considered stalled and stops renewing.
    pub stall_after: Duration,
}

impl HeartbeatConfig {
    /// Settings for a lease of `lease` renewed every `interval`: a task counts as stalled once it
    /// has shown no progress for a whole lease minus one interval, so a stalled task's lease runs
    /// out about one lease after its last progress.
    pub fn new(interval: Duration, lease: Duration) -> Self {
        Self {
            interval,
            stall_after: lease.saturating_sub(interval).max(interval),
        }
    }
}

/// The lease a heartbeat renews: one delivery on one consumer, and the token it cancels when the
/// lease turns out to be lost.
#[derive(Clone)]
pub struct Lease {
    /// The consumer that holds the delivery.
    pub consumer: Arc<Consumer>,
    /// The delivery whose lease is renewed.
    pub delivery: Arc<Delivery>,
    /// Cancelled once the lease is lost: the task must stop without writing.
    pub lost: CancellationToken,
}

/// What one heartbeat did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    /// The lease was renewed (and the task's own record written, unless a write is in flight).
    Renewed,
    /// The task showed no progress for longer than the stall limit: not renewed.
    Stalled,
    /// Redis could not be asked; the next beat tries again.
    Failed,
    /// The lease moved on (the reaper took the task back): the task is told to stop.
    LeaseLost,
}

/// Renews one delivery's lease while its task makes progress.
pub struct Heartbeat {
    lease: Lease,
    progress: Progress,
    hooks: HookSlot,
    config: HeartbeatConfig,
    /// The task's own heartbeat record being written, if any: at most one at a time.
    recording: Mutex<Option<JoinHandle<()>>>,
}

impl Heartbeat {
    /// A heartbeat for `lease`, renewing while `progress` moves and reporting through `hooks`.
    pub fn new(config: HeartbeatConfig, lease: Lease, progress: Progress, hooks: HookSlot) -> Self {
        Self {
            lease,
            progress,
            hooks,
            config,
            recording: Mutex::new(None),
        }
    }

    /// Beats every interval until `done` is cancelled or the lease is lost. Dropping the future
    /// stops it too (a record being written is then aborted, as when `done` fires).
    pub async fn run(self, done: CancellationToken) {
        loop {
            tokio::select! {
                () = done.cancelled() => break,
                () = tokio::time::sleep(self.config.interval) => {}
            }
            if self.tick().await == Beat::LeaseLost {
                break;
            }
        }
    }

    /// Starts beating on a tokio task of its own, first beat at once: for a task that has run
    /// one interval already (its lease is due for renewal). Stop it with [`Beating::stop`].
    pub fn start(self) -> Beating {
        let done = CancellationToken::new();
        let stopped = done.clone();
        let beats = async move {
            if self.tick().await != Beat::LeaseLost {
                self.run(stopped).await;
            }
        };
        Beating {
            handle: tokio::spawn(beats.in_current_span()),
            done,
        }
    }

    /// One beat: renews the lease unless the task stalled, and starts writing the task's own
    /// heartbeat record in the background. That write never holds up a renewal: a database busy
    /// with the task's own big transaction (SQLite has one writer) must not let the lease expire
    /// while the task is working.
    pub async fn tick(&self) -> Beat {
        let idle = self.progress.idle();
        if idle > self.config.stall_after {
            warn!(
                idle_secs = idle.as_secs(),
                "task made no progress: not renewing its lease"
            );
            return Beat::Stalled;
        }
        match self.lease.consumer.extend_lease(&self.lease.delivery).await {
            Ok(()) => debug!("lease renewed"),
            Err(BrokerError::LeaseLost { .. }) => {
                warn!("lease lost (the reaper took the task back): abandoning it without writing");
                self.lease.lost.cancel();
                return Beat::LeaseLost;
            }
            Err(error) => {
                warn!(error = %broker::report::Chain(&error), "could not renew the lease; will retry");
                return Beat::Failed;
            }
        }
        self.record();
        Beat::Renewed
    }

    /// Starts writing the task's heartbeat record unless the previous write is still going.
    fn record(&self) {
        let Some(hooks) = self.hooks.get() else {
            return;
        };
        let mut recording = self.recording_slot();
        if recording
            .as_ref()
            .is_some_and(|record| !record.is_finished())
        {
            debug!("the previous heartbeat record is still being written");
            return;
        }
        *recording = Some(tokio::spawn(
            async move {
                if let Err(failure) = hooks.heartbeat().await {
                    warn!(error = %failure.message, "could not record the heartbeat");
                }
            }
            .in_current_span(),
        ));
    }

    fn recording_slot(&self) -> std::sync::MutexGuard<'_, Option<JoinHandle<()>>> {
        self.recording
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A heartbeat running on its own tokio task ([`Heartbeat::start`]).
pub struct Beating {
    handle: JoinHandle<()>,
    done: CancellationToken,
}

impl Beating {
    /// Stops the beats and waits for the last one to end.
    pub async fn stop(self) {
        self.done.cancel();
        let _ = self.handle.await;
    }
}

impl Drop for Heartbeat {
    /// A heartbeat record still being written when the task ends is not written late.
    fn drop(&mut self) {
        if let Some(record) = self.recording_slot().take() {
            record.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stall_threshold_leaves_one_interval_of_lease() {
        let config = HeartbeatConfig::new(Duration::from_secs(30), Duration::from_secs(120));
        assert_eq!(config.stall_after, Duration::from_secs(90));
        let short = HeartbeatConfig::new(Duration::from_secs(30), Duration::from_secs(20));
        assert_eq!(short.stall_after, Duration::from_secs(30));
    }
}
