//! A worker's breakers, shared by its runner, executions, probe loop and registration: every
//! state change is logged once, counted in Prometheus, announced to watchers and, when a breaker
//! closes, followed by the recovery requeue.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{info, warn};

use super::config::BreakerConfig;
use super::dependency::Dependency;
use super::probe::Probe;
use super::recovery::Recovery;
use super::state::{Breaker, BreakerState, Transition};

/// The breakers of one worker, one per dependency. Clones share them.
#[derive(Clone)]
pub struct Breakers {
    inner: Arc<Inner>,
}

struct Inner {
    config: BreakerConfig,
    worker: String,
    probes: BTreeMap<Dependency, Arc<dyn Probe>>,
    recoveries: Vec<Arc<dyn Recovery>>,
    breakers: Mutex<BTreeMap<Dependency, Breaker>>,
    changed: watch::Sender<u64>,
}

impl Breakers {
    /// Closed breakers for `dependencies` of worker `worker` (its id, a metrics label), probed
    /// by `probes` and followed on closing by `recoveries` (when `config.recovery_requeue`).
    pub fn new(
        config: BreakerConfig,
        worker: impl Into<String>,
        dependencies: impl IntoIterator<Item = Dependency>,
        probes: BTreeMap<Dependency, Arc<dyn Probe>>,
        recoveries: Vec<Arc<dyn Recovery>>,
    ) -> Self {
        let worker = worker.into();
        let breakers: BTreeMap<_, _> = dependencies
            .into_iter()
            .chain(probes.keys().copied())
            .map(|d| (d, Breaker::new(d)))
            .collect();
        for dependency in breakers.keys() {
            metrics::gauge!(protocol::metrics::BREAKER_OPEN, "worker" => worker.clone(), "dependency" => dependency.as_str())
                .set(0.0);
        }
        Self {
            inner: Arc::new(Inner {
                config,
                worker,
                probes,
                recoveries,
                breakers: Mutex::new(breakers),
                changed: watch::Sender::new(0),
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> &BreakerConfig {
        &self.inner.config
    }

    /// The state of the breaker of `dependency` (closed when there is none).
    pub fn state(&self, dependency: Dependency) -> BreakerState {
        self.lock()
            .get(&dependency)
            .map_or(BreakerState::Closed, Breaker::state)
    }

    /// Every breaker's state by dependency name (what the worker's registry entry shows).
    pub fn states(&self) -> BTreeMap<String, BreakerState> {
        self.lock()
            .iter()
            .map(|(d, b)| (d.as_str().to_owned(), b.state()))
            .collect()
    }

    /// Whether tasks that need `dependency` may run: closed, or half-open with no probe (a
    /// trial task is the probe then).
    pub fn admits(&self, dependency: Dependency) -> bool {
        match self.state(dependency) {
            BreakerState::Closed => true,
            BreakerState::HalfOpen => !self.inner.probes.contains_key(&dependency),
            BreakerState::Open => false,
        }
    }

    /// The first of `dependencies` whose breaker does not admit tasks.
    pub fn blocking(&self, dependencies: &[Dependency]) -> Option<Dependency> {
        dependencies.iter().copied().find(|&d| !self.admits(d))
    }

    /// Records a transient failure of `dependency`.
    pub fn failure(&self, dependency: Dependency) {
        let config = &self.inner.config;
        let transition = self
            .lock()
            .entry(dependency)
            .or_insert_with(|| Breaker::new(dependency))
            .failure(Instant::now(), config);
        self.emit(transition);
    }

    /// Records a success of a task (or probe) that needed `dependency`.
    pub fn success(&self, dependency: Dependency) {
        let transition = self
            .lock()
            .get_mut(&dependency)
            .and_then(|b| b.success(Instant::now()));
        self.emit(transition);
    }

    /// A receiver that sees every state change (the value counts them).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.changed.subscribe()
    }

    pub(crate) fn next_probe(&self) -> Option<Instant> {
        self.lock().values().filter_map(Breaker::next_probe).min()
    }

    /// Moves every open breaker whose wait is over to half-open; returns their dependencies.
    pub(crate) fn due(&self, now: Instant) -> Vec<Dependency> {
        let transitions: Vec<Transition> = self
            .lock()
            .values_mut()
            .filter_map(|b| b.probe_due(now))
            .collect();
        let due = transitions.iter().map(|t| t.dependency).collect();
        for transition in transitions {
            self.emit(Some(transition));
        }
        due
    }

    pub(crate) fn probe(&self, dependency: Dependency) -> Option<Arc<dyn Probe>> {
        self.inner.probes.get(&dependency).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Dependency, Breaker>> {
        self.inner
            .breakers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Logs, counts and announces a state change; after a close, starts the recovery requeue.
    fn emit(&self, transition: Option<Transition>) {
        let Some(t) = transition else { return };
        let worker = self.inner.worker.clone();
        let dependency = t.dependency.as_str();
        let open = if t.to == BreakerState::Closed {
            0.0
        } else {
            1.0
        };
        metrics::gauge!(protocol::metrics::BREAKER_OPEN, "worker" => worker.clone(), "dependency" => dependency)
            .set(open);
        metrics::counter!(protocol::metrics::BREAKER_TRANSITIONS, "worker" => worker, "dependency" => dependency, "to" => t.to.as_str())
            .increment(1);
        self.inner.changed.send_modify(|n| *n += 1);
        match (t.from, t.to) {
            (BreakerState::Closed, BreakerState::Open) => warn!(
                dependency,
                threshold = self.inner.config.threshold,
                "breaker opened: tasks that need {dependency} stay queued until it answers"
            ),
            (_, BreakerState::Closed) => {
                let down_secs = (chrono::Utc::now() - t.opened_at).as_seconds_f64();
                info!(
                    dependency,
                    down_secs, "breaker closed: {dependency} answers again"
                );
                self.recover(t);
            }
            // Probe cycles (open ⇄ half-open) are not news: one line per outage, not per probe.
            _ => tracing::debug!(dependency, from = %t.from, to = %t.to, "breaker state"),
        }
    }

    fn recover(&self, t: Transition) {
        if !self.inner.config.recovery_requeue {
            return;
        }
        let lookback = chrono::Duration::from_std(self.inner.config.recovery_lookback)
            .unwrap_or(chrono::Duration::zero());
        let since = t.opened_at - lookback;
        for recovery in &self.inner.recoveries {
            let requeue = recovery.recover(t.dependency, since);
            let dependency = t.dependency;
            tokio::spawn(async move {
                match requeue.await {
                    Ok(0) => {}
                    Ok(requeued) => {
                        info!(%dependency, requeued, "re-enqueued work that exhausted its retries during the outage")
                    }
                    Err(error) => {
                        warn!(%dependency, %error, "could not re-enqueue work that exhausted its retries during the outage")
                    }
                }
            });
        }
    }
}
