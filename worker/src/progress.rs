//! A task's progress marker, on tokio's clock (so tests can pause and advance it): the handler
//! ticks it as it works, and the heartbeat stops renewing the lease of a task that stopped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// How often [`Progress::while_pending`] records progress.
const KEEP_ALIVE_TICK: Duration = Duration::from_millis(100);

/// A task's progress marker: the handler calls [`Progress::tick`] as it works.
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// use worker::Progress;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let progress = Progress::new();
/// for _chunk in 0..3 {
///     // ... one bounded piece of work ...
///     progress.tick();
/// }
/// // A step that cannot tick from inside counts as progress while it runs.
/// let answer = progress
///     .while_pending(async {
///         tokio::time::sleep(Duration::from_millis(5)).await;
///         42
///     })
///     .await;
/// assert_eq!(answer, 42);
/// assert!(progress.idle() < Duration::from_secs(60));
/// # }
/// ```
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn progress_resets_idle_time() {
        let progress = Progress::new();
        tokio::time::advance(Duration::from_millis(300)).await;
        assert_eq!(progress.idle(), Duration::from_millis(300));
        progress.tick();
        assert_eq!(progress.idle(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn work_in_flight_counts_as_progress_until_it_ends() {
        let progress = Progress::new();
        let watcher = progress.clone();
        let idle_during = progress
            .while_pending(async move {
                tokio::time::sleep(Duration::from_millis(450)).await;
                watcher.idle()
            })
            .await;
        assert!(
            idle_during <= KEEP_ALIVE_TICK,
            "idle {idle_during:?} while working"
        );
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(
            progress.idle() >= Duration::from_secs(5),
            "no ticks once the work is done"
        );
    }
}
