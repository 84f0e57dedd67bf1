//! Heartbeats: while a task makes progress, renew its Redis lease and let the task record
//! `last_heartbeat`. A task that stops progressing stops renewing, so the reaper redelivers it; a
//! lost lease cancels the task so it abandons its work without writing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use broker::{BrokerError, Consumer, Delivery};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, warn};

use crate::hooks::HookSlot;

/// How often [`Progress::while_pending`] records progress.
const KEEP_ALIVE_TICK: Duration = Duration::from_millis(100);

/// A task's progress marker: the handler calls [`Progress::tick`] as it works.
#[derive(Clone, Debug)]
pub struct Progress {
    started: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    /// A marker that counts as fresh progress now.
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Records progress now.
    pub fn tick(&self) {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.fetch_max(now, Ordering::Relaxed);
    }

    /// Awaits `work`, counting it as progress for as long as it runs: for bounded steps that
    /// cannot tick from inside (one big database transaction, parsing one large archive member),
    /// whose own limits and timeouts end them. Without it a step longer than the stall threshold
    /// lost its lease while working, and every redelivery lost it again.
    pub async fn while_pending<F: std::future::Future>(&self, work: F) -> F::Output {
        let mut work = std::pin::pin!(work);
        loop {
            self.tick();
            tokio::select! {
                output = &mut work => return output,
                () = tokio::time::sleep(KEEP_ALIVE_TICK) => {}
            }
        }
    }

    /// How long since the last recorded progress.
    pub fn idle(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }
}

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

/// Renews `delivery`'s lease every interval until `done` is cancelled. Cancels `abandon` when the
/// lease turns out to be lost.
///
/// The task's own heartbeat record (`last_heartbeat`) is written in the background, at most one
/// write at a time: a database busy with the task's own big transaction (SQLite has one writer)
/// must never hold up the lease renewal, or the lease expires while the task is working.
pub async fn beat(
    consumer: Arc<Consumer>,
    delivery: Arc<Delivery>,
    progress: Progress,
    hooks: HookSlot,
    config: HeartbeatConfig,
    done: CancellationToken,
    abandon: CancellationToken,
) {
    let mut recording: Option<JoinHandle<()>> = None;
    renew_until_done(
        &consumer,
        &delivery,
        &progress,
        &hooks,
        config,
        &done,
        &abandon,
        &mut recording,
    )
    .await;
    if let Some(record) = recording {
        record.abort();
    }
}

#[allow(clippy::too_many_arguments)]
async fn renew_until_done(
    consumer: &Consumer,
    delivery: &Delivery,
    progress: &Progress,
    hooks: &HookSlot,
    config: HeartbeatConfig,
    done: &CancellationToken,
    abandon: &CancellationToken,
    recording: &mut Option<JoinHandle<()>>,
) {
    loop {
        tokio::select! {
            () = done.cancelled() => return,
            () = tokio::time::sleep(config.interval) => {}
        }
        if progress.idle() > config.stall_after {
            warn!(
                idle_secs = progress.idle().as_secs(),
                "task made no progress: not renewing its lease"
            );
            continue;
        }
        match consumer.extend_lease(delivery).await {
            Ok(()) => debug!("lease renewed"),
            Err(BrokerError::LeaseLost { .. }) => {
                warn!("lease lost (the reaper took the task back): abandoning it without writing");
                abandon.cancel();
                return;
            }
            Err(error) => {
                warn!(error = %broker::report::Chain(&error), "could not renew the lease; will retry");
                continue;
            }
        }
        if recording
            .as_ref()
            .is_some_and(|record| !record.is_finished())
        {
            debug!("the previous heartbeat record is still being written");
            continue;
        }
        if let Some(hooks) = hooks.get() {
            *recording = Some(tokio::spawn(
                async move {
                    if let Err(failure) = hooks.heartbeat().await {
                        warn!(error = %failure.message, "could not record the heartbeat");
                    }
                }
                .in_current_span(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_resets_idle_time() {
        let progress = Progress::new();
        std::thread::sleep(Duration::from_millis(300));
        assert!(progress.idle() >= Duration::from_millis(300));
        progress.tick();
        assert!(progress.idle() < Duration::from_millis(300));
    }

    #[tokio::test]
    async fn work_in_flight_counts_as_progress_until_it_ends() {
        let progress = Progress::new();
        let watcher = progress.clone();
        let idle_during = progress
            .while_pending(async move {
                tokio::time::sleep(Duration::from_millis(400)).await;
                watcher.idle()
            })
            .await;
        assert!(
            idle_during < Duration::from_millis(300),
            "idle {idle_during:?} while working"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(
            progress.idle() >= Duration::from_millis(150),
            "no ticks once the work is done"
        );
    }

    #[test]
    fn stall_threshold_leaves_one_interval_of_lease() {
        let config = HeartbeatConfig::new(Duration::from_secs(30), Duration::from_secs(120));
        assert_eq!(config.stall_after, Duration::from_secs(90));
        let short = HeartbeatConfig::new(Duration::from_secs(30), Duration::from_secs(20));
        assert_eq!(short.stall_after, Duration::from_secs(30));
    }
}
