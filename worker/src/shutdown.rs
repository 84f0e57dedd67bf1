//! The two-stage stop of a worker: a first signal stops fetching and lets in-flight tasks finish
//! within the grace period; a second stops at once.

use tokio_util::sync::CancellationToken;

/// Shutdown tokens shared by the runner and whoever listens for signals.
///
/// # Examples
/// ```
/// use worker::Shutdown;
///
/// let shutdown = Shutdown::new();
/// // What SIGTERM does (`listen_for_signals`), and a second signal after it:
/// shutdown.escalate();
/// assert!(shutdown.graceful.is_cancelled() && !shutdown.immediate.is_cancelled());
/// shutdown.escalate();
/// assert!(shutdown.immediate.is_cancelled());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    /// Stop fetching; finish in-flight tasks within the grace period.
    pub graceful: CancellationToken,
    /// Stop now: give every in-flight task back to its queue.
    pub immediate: CancellationToken,
}

impl Shutdown {
    /// Fresh, untriggered tokens.
    pub fn new() -> Self {
        Self::default()
    }

    /// Escalates: the first call is graceful, the second immediate.
    pub fn escalate(&self) {
        if self.graceful.is_cancelled() {
            self.immediate.cancel();
        } else {
            self.graceful.cancel();
        }
    }

    /// Listens for SIGINT and SIGTERM and escalates on each, until the immediate stop.
    pub async fn listen_for_signals(self) {
        loop {
            if wait_for_signal().await.is_err() {
                return;
            }
            self.escalate();
            if self.immediate.is_cancelled() {
                return;
            }
        }
    }
}

#[cfg(unix)]
async fn wait_for_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}

#[cfg(not(unix))]
async fn wait_for_signal() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}

#[cfg(test)]
mod tests {
    use super::Shutdown;

    #[test]
    fn second_signal_escalates_to_immediate() {
        let shutdown = Shutdown::new();
        shutdown.escalate();
        assert!(shutdown.graceful.is_cancelled() && !shutdown.immediate.is_cancelled());
        shutdown.escalate();
        assert!(shutdown.immediate.is_cancelled());
    }
}
