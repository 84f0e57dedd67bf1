//! One breaker's state machine, pure and driven by tokio's clock: closed → open after
//! `threshold` transient failures within `window` → half-open while a probe (or,
//! with no probe, a trial task) runs → closed on success, or open again with a doubled wait.

use std::collections::VecDeque;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::time::{Duration, Instant};

use super::config::BreakerConfig;
use super::dependency::Dependency;

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// The dependency answers: tasks that need it run.
    Closed,
    /// The dependency failed repeatedly: tasks that need it stay queued.
    Open,
    /// A probe (or a trial task) is finding out whether the dependency is back.
    HalfOpen,
}

impl BreakerState {
    /// `closed`, `open` or `half_open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

impl fmt::Display for BreakerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A change of one breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Whose breaker.
    pub dependency: Dependency,
    /// The state before.
    pub from: BreakerState,
    /// The state after.
    pub to: BreakerState,
    /// When this outage began (the breaker first opened); kept until it closes.
    pub opened_at: DateTime<Utc>,
}

/// One dependency's breaker.
#[derive(Debug)]
pub(crate) struct Breaker {
    dependency: Dependency,
    state: BreakerState,
    /// Failures while closed, oldest first (older than the window are dropped). Successes in
    /// between do not reset them: a task that read its input before the outage began may still
    /// succeed, and the bound on retries spent (`threshold − 1` per worker) must hold anyway.
    failures: VecDeque<Instant>,
    opened_at: Option<DateTime<Utc>>,
    wait: Duration,
    next_probe: Instant,
}

impl Breaker {
    pub(crate) fn new(dependency: Dependency) -> Self {
        Self {
            dependency,
            state: BreakerState::Closed,
            failures: VecDeque::new(),
            opened_at: None,
            wait: Duration::ZERO,
            next_probe: Instant::now(),
        }
    }

    pub(crate) fn state(&self) -> BreakerState {
        self.state
    }

    /// When an open breaker is next probed.
    pub(crate) fn next_probe(&self) -> Option<Instant> {
        (self.state == BreakerState::Open).then_some(self.next_probe)
    }

    /// A transient failure of the dependency (a task's, or a trial task's in half-open).
    pub(crate) fn failure(&mut self, now: Instant, config: &BreakerConfig) -> Option<Transition> {
        match self.state {
            BreakerState::Closed => {
                self.failures.push_back(now);
                while self
                    .failures
                    .front()
                    .is_some_and(|&at| now.duration_since(at) > config.window)
                {
                    self.failures.pop_front();
                }
                if self.failures.len() < config.threshold.max(1) as usize {
                    return None;
                }
                self.failures.clear();
                self.opened_at = Some(Utc::now());
                self.wait = config.probe_initial;
                Some(self.go(BreakerState::Open, now))
            }
            BreakerState::HalfOpen => {
                self.wait = (self.wait * 2)
                    .min(config.probe_max)
                    .max(config.probe_initial);
                Some(self.go(BreakerState::Open, now))
            }
            BreakerState::Open => None,
        }
    }

    /// A success of a task that needs the dependency: it answers.
    pub(crate) fn success(&mut self, now: Instant) -> Option<Transition> {
        match self.state {
            BreakerState::Closed => None,
            BreakerState::HalfOpen => Some(self.go(BreakerState::Closed, now)),
            // Decided by the probe: a task that began before the outage proves little.
            BreakerState::Open => None,
        }
    }

    /// An open breaker whose wait is over starts probing.
    pub(crate) fn probe_due(&mut self, now: Instant) -> Option<Transition> {
        (self.state == BreakerState::Open && now >= self.next_probe)
            .then(|| self.go(BreakerState::HalfOpen, now))
    }

    fn go(&mut self, to: BreakerState, now: Instant) -> Transition {
        let from = self.state;
        self.state = to;
        self.next_probe = now + self.wait;
        let opened_at = self.opened_at.unwrap_or_else(Utc::now);
        if to == BreakerState::Closed {
            self.opened_at = None;
            self.failures.clear();
        }
        Transition {
            dependency: self.dependency,
            from,
            to,
            opened_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BreakerConfig {
        BreakerConfig {
            threshold: 3,
            window: Duration::from_secs(10),
            probe_initial: Duration::from_secs(1),
            probe_max: Duration::from_secs(4),
            ..BreakerConfig::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_threshold_failures_within_the_window() {
        let c = config();
        let mut b = Breaker::new(Dependency::DATABASE);
        let t0 = Instant::now();
        assert!(b.failure(t0, &c).is_none());
        // The first failure falls out of the window: still two within it.
        assert!(b.failure(t0 + Duration::from_secs(11), &c).is_none());
        assert!(b.failure(t0 + Duration::from_secs(12), &c).is_none());
        let t = b.failure(t0 + Duration::from_secs(13), &c).unwrap();
        assert_eq!((t.from, t.to), (BreakerState::Closed, BreakerState::Open));
        assert_eq!(b.state(), BreakerState::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn successes_in_between_do_not_reset_the_count() {
        let c = config();
        let mut b = Breaker::new(Dependency::STORAGE);
        let t0 = Instant::now();
        b.failure(t0, &c);
        b.failure(t0, &c);
        assert!(b.success(t0).is_none());
        assert_eq!(b.failure(t0, &c).unwrap().to, BreakerState::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn probes_back_off_and_a_success_closes() {
        let c = config();
        let mut b = Breaker::new(Dependency::DATABASE);
        let t0 = Instant::now();
        for _ in 0..3 {
            b.failure(t0, &c);
        }
        assert!(b.probe_due(t0).is_none());
        let mut at = t0;
        let mut waits = Vec::new();
        for _ in 0..4 {
            let due = b.next_probe().unwrap();
            waits.push(due.duration_since(at).as_secs());
            at = due;
            assert_eq!(b.probe_due(at).unwrap().to, BreakerState::HalfOpen);
            assert_eq!(b.failure(at, &c).unwrap().to, BreakerState::Open);
        }
        assert_eq!(waits, [1, 2, 4, 4]);
        b.probe_due(b.next_probe().unwrap()).unwrap();
        let closed = b.success(at).unwrap();
        assert_eq!(
            (closed.from, closed.to),
            (BreakerState::HalfOpen, BreakerState::Closed)
        );
        assert_eq!(b.state(), BreakerState::Closed);
        assert!(b.next_probe().is_none());
    }
}
