//! Health checks of a dependency (`SELECT 1`, a HEAD on the storage) and the loop that runs them
//! for open breakers, with a backoff between probes.

use std::future::Future;

use futures::future::BoxFuture;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::set::Breakers;

/// A cheap check that a dependency answers.
pub trait Probe: Send + Sync + 'static {
    /// Resolves to `Ok` when the dependency answers, or to why it does not.
    fn check(&self) -> BoxFuture<'static, Result<(), String>>;
}

/// A [`Probe`] from a closure returning a future.
///
/// # Examples
/// ```
/// use worker::breaker::ProbeFn;
///
/// let always_up = ProbeFn(|| async { Ok::<(), String>(()) });
/// # let _ = always_up;
/// ```
pub struct ProbeFn<F>(pub F);

impl<F, Fut> Probe for ProbeFn<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    fn check(&self) -> BoxFuture<'static, Result<(), String>> {
        Box::pin((self.0)())
    }
}

impl Breakers {
    /// Probes each open breaker when its wait is over, until `stop`: a breaker with a probe
    /// closes when the probe answers (and opens again, waiting twice as long, when it does not);
    /// one without lets a trial task through (half-open).
    pub async fn run_probes(self, stop: CancellationToken) {
        let mut changed = self.subscribe();
        loop {
            let next = self.next_probe();
            let sleep = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = stop.cancelled() => return,
                () = sleep => {}
                _ = changed.changed() => continue,
            }
            for dependency in self.due(Instant::now()) {
                let Some(probe) = self.probe(dependency) else {
                    continue;
                };
                let timeout = self.config().probe_timeout;
                let answer = match tokio::time::timeout(timeout, probe.check()).await {
                    Ok(answer) => answer,
                    Err(_) => Err(format!("no answer within {timeout:?}")),
                };
                match answer {
                    Ok(()) => self.success(dependency),
                    Err(reason) => {
                        tracing::debug!(dependency = %dependency, %reason, "probe failed");
                        self.failure(dependency);
                    }
                }
            }
        }
    }
}
