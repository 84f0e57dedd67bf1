//! Surviving a Redis outage in a loop: capped exponential backoff and one log line per outage.

use std::time::{Duration, Instant};

use tracing::{info, warn};

use crate::error::BrokerError;

/// Tracks one loop's outage: call `failed` on each transient error (returns how long to wait)
/// and `recovered` on each success. Logs once when an outage starts and once when it ends.
#[derive(Debug)]
pub struct Outage {
    what: &'static str,
    since: Option<Instant>,
    next: Duration,
    min: Duration,
    max: Duration,
}

impl Outage {
    /// A tracker for the loop named `what`, backing off from 100 ms up to 5 s.
    pub fn new(what: &'static str) -> Self {
        Self::with_bounds(what, Duration::from_millis(100), Duration::from_secs(5))
    }

    /// A tracker with explicit backoff bounds.
    pub fn with_bounds(what: &'static str, min: Duration, max: Duration) -> Self {
        Self {
            what,
            since: None,
            next: min,
            min,
            max,
        }
    }

    /// Records a failure and returns the pause before the next attempt.
    pub fn failed(&mut self, error: &BrokerError) -> Duration {
        if self.since.is_none() {
            self.since = Some(Instant::now());
            warn!(loop_name = self.what, error = %crate::report::Chain(error), "Redis unavailable; retrying with backoff");
        }
        let pause = self.next;
        self.next = (self.next * 2).min(self.max);
        pause
    }

    /// Records a success; logs the end of an outage if one was going on.
    pub fn recovered(&mut self) {
        if let Some(since) = self.since.take() {
            info!(loop_name = self.what, down_for = ?since.elapsed(), "Redis reachable again");
        }
        self.next = self.min;
    }

    /// True while an outage is going on.
    pub fn is_down(&self) -> bool {
        self.since.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::Outage;
    use crate::error::BrokerError;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets_on_recovery() {
        let mut o =
            Outage::with_bounds("t", Duration::from_millis(100), Duration::from_millis(350));
        let e = BrokerError::Config("x".into());
        let pauses: Vec<u128> = (0..4).map(|_| o.failed(&e).as_millis()).collect();
        assert_eq!(pauses, [100, 200, 350, 350]);
        assert!(o.is_down());
        o.recovered();
        assert!(!o.is_down());
        assert_eq!(o.failed(&e).as_millis(), 100);
    }
}
