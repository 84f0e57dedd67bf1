//! The retry policy: which failure classes retry, on what schedule, how many times. Configuration,
//! not code: the defaults come from `CONFQ_MAX_RETRIES` and `CONFQ_RETRY_BACKOFF`, and each class
//! can be overridden.

use std::time::Duration;

use protocol::error_type;
use rand::Rng;

use crate::failure::FailureClass;

mod overrides;

pub use broker::{UNRECORDED_VERDICTS, marked_as_rerun, retries_before};

/// How one failure class is retried.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassPolicy {
    /// Whether failures of this class are retried at all.
    pub retry: bool,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Delay before retry 1, 2, 3, …; the last value repeats.
    pub backoff: Vec<Duration>,
}

/// The retry policy of a worker, one entry per failure class.
///
/// # Examples
/// Five transient retries after 1 s, then 10 s (repeated), without jitter; permanent failures
/// are never retried:
/// ```
/// use std::time::Duration;
///
/// use worker::FailureClass;
/// use worker::retry::{Decision, RetryPolicy, parse_backoff};
///
/// let mut policy = RetryPolicy::from_settings(5, parse_backoff("1,10").unwrap());
/// policy.jitter = 0.0;
/// assert_eq!(
///     policy.decide(FailureClass::Transient, 2, None),
///     Decision::Retry { retry_number: 3, delay: Duration::from_secs(10) }
/// );
/// assert_eq!(
///     policy.decide(FailureClass::Transient, 5, None),
///     Decision::GiveUp { error_type: "transient_exhausted" }
/// );
/// assert_eq!(
///     policy.decide(FailureClass::Permanent, 0, None),
///     Decision::GiveUp { error_type: "permanent" }
/// );
/// // An envelope's `max_retries` overrides the count.
/// assert_eq!(
///     policy.decide(FailureClass::Transient, 0, Some(0)),
///     Decision::GiveUp { error_type: "transient_exhausted" }
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Policy for transient failures (Redis, database or storage unavailable).
    pub transient: ClassPolicy,
    /// Policy for permanent failures (bad input); by default never retried.
    pub permanent: ClassPolicy,
    /// Policy for timeouts (a lease lost inside the worker, or a lease expiry the reaper
    /// noticed); `None` retries them like transient failures.
    pub timeout: Option<ClassPolicy>,
    /// Relative jitter applied to every delay (0.10 = ±10 %).
    pub jitter: f64,
}

/// What to do with a failed task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision {
    /// Run it again after `delay`; `retry_number` counts from 1.
    Retry {
        /// Which retry this is (1 for the first retry).
        retry_number: u32,
        /// How long to wait before it.
        delay: Duration,
    },
    /// Give up: the run fails with this `error_type`.
    GiveUp {
        /// `permanent`, `transient_exhausted` or `timeout`.
        error_type: &'static str,
    },
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::from_settings(3, default_backoff())
    }
}

pub use protocol::default_backoff;

impl RetryPolicy {
    /// A policy that retries transient failures `max_retries` times on `backoff` and never retries
    /// permanent ones.
    pub fn from_settings(max_retries: u32, backoff: Vec<Duration>) -> Self {
        Self {
            transient: ClassPolicy {
                retry: true,
                max_retries,
                backoff,
            },
            permanent: ClassPolicy {
                retry: false,
                max_retries: 0,
                backoff: Vec::new(),
            },
            timeout: None,
            jitter: 0.10,
        }
    }

    /// Decides what follows a failure of `class` on a delivery that `retries` retries preceded
    /// (0 for the first try; see [`retries_before`]). `max_retries` from the envelope overrides
    /// the configured count.
    pub fn decide(&self, class: FailureClass, retries: u32, max_retries: Option<u32>) -> Decision {
        let (policy, exhausted_type) = match class {
            FailureClass::Permanent => (&self.permanent, error_type::PERMANENT),
            FailureClass::Transient => (&self.transient, error_type::TRANSIENT_EXHAUSTED),
            // A timeout is retried like a transient failure unless it has its own policy.
            FailureClass::Timeout => (
                self.timeout.as_ref().unwrap_or(&self.transient),
                error_type::TIMEOUT,
            ),
        };
        let limit = max_retries.unwrap_or(policy.max_retries);
        if !policy.retry || retries >= limit {
            return Decision::GiveUp {
                error_type: exhausted_type,
            };
        }
        let retry_number = retries + 1;
        Decision::Retry {
            retry_number,
            delay: self.delay(policy, retry_number),
        }
    }

    /// How long to wait before running a task again whose final failure could not be recorded:
    /// the longest transient delay (a dependency is down), jittered.
    pub fn final_record_delay(&self) -> Duration {
        let longest = self
            .transient
            .backoff
            .iter()
            .max()
            .copied()
            .unwrap_or(Duration::from_secs(60));
        jittered(longest, self.jitter)
    }

    fn delay(&self, policy: &ClassPolicy, retry_number: u32) -> Duration {
        let index = (retry_number as usize).saturating_sub(1);
        let base = policy
            .backoff
            .get(index)
            .or(policy.backoff.last())
            .copied()
            .unwrap_or(Duration::ZERO);
        jittered(base, self.jitter)
    }
}

/// The reaper's decision on an expired lease (error type `timeout`) or any failure the broker
/// notices: the same [`RetryPolicy::decide`] the worker applies to the failures it sees.
impl broker::RetryDecider for RetryPolicy {
    fn retry_delay(&self, envelope: &broker::Envelope, error_type: &str) -> Option<Duration> {
        // The envelope is already marked failed: the delivery that failed had one retry less.
        let retries = envelope.retries().saturating_sub(1);
        match self.decide(
            FailureClass::from_error_type(error_type),
            retries,
            envelope.max_retries,
        ) {
            Decision::Retry { delay, .. } => Some(delay),
            Decision::GiveUp { .. } => None,
        }
    }
}

/// `base` scaled by a random factor in `[1 - jitter, 1 + jitter]`.
pub fn jittered(base: Duration, jitter: f64) -> Duration {
    if jitter <= 0.0 || base.is_zero() {
        return base;
    }
    let factor = rand::rng().random_range(1.0 - jitter..=1.0 + jitter);
    base.mul_f64(factor.max(0.0))
}

/// Parses a backoff list such as `60,180,600` (seconds; fractions allowed, e.g. `0.05`).
///
/// # Errors
/// Names the first value that is not a non-negative number, or an empty list.
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// use worker::retry::parse_backoff;
///
/// assert_eq!(
///     parse_backoff("0.5, 2").unwrap(),
///     [Duration::from_millis(500), Duration::from_secs(2)]
/// );
/// assert!(parse_backoff("60,soon").is_err());
/// ```
pub fn parse_backoff(text: &str) -> Result<Vec<Duration>, String> {
    let values: Result<Vec<Duration>, String> = text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<f64>()
                .ok()
                .filter(|secs| secs.is_finite() && *secs >= 0.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| format!("invalid backoff value {part:?}: expected seconds"))
        })
        .collect();
    let values = values?;
    if values.is_empty() {
        return Err("backoff list is empty: expected e.g. 60,180,600".into());
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(policy: RetryPolicy) -> RetryPolicy {
        RetryPolicy {
            jitter: 0.0,
            ..policy
        }
    }

    #[test]
    fn transient_failures_follow_the_schedule_then_exhaust() {
        let policy = exact(RetryPolicy::default());
        let delays: Vec<Decision> = (0..4)
            .map(|attempt| policy.decide(FailureClass::Transient, attempt, None))
            .collect();
        assert_eq!(
            delays,
            vec![
                Decision::Retry {
                    retry_number: 1,
                    delay: Duration::from_secs(60)
                },
                Decision::Retry {
                    retry_number: 2,
                    delay: Duration::from_secs(180)
                },
                Decision::Retry {
                    retry_number: 3,
                    delay: Duration::from_secs(600)
                },
                Decision::GiveUp {
                    error_type: "transient_exhausted"
                },
            ]
        );
    }

    #[test]
    fn permanent_failures_never_retry() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.decide(FailureClass::Permanent, 0, Some(10)),
            Decision::GiveUp {
                error_type: "permanent"
            }
        );
    }

    #[test]
    fn last_backoff_value_repeats() {
        let policy = exact(RetryPolicy::from_settings(5, parse_backoff("1,2").unwrap()));
        assert_eq!(
            policy.decide(FailureClass::Transient, 4, None),
            Decision::Retry {
                retry_number: 5,
                delay: Duration::from_secs(2)
            }
        );
    }

    #[test]
    fn envelope_max_retries_overrides_config() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.decide(FailureClass::Transient, 0, Some(0)),
            Decision::GiveUp {
                error_type: "transient_exhausted"
            }
        );
    }

    #[test]
    fn timeouts_exhaust_with_their_own_type() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.decide(FailureClass::Timeout, 3, None),
            Decision::GiveUp {
                error_type: "timeout"
            }
        );
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        for _ in 0..1000 {
            let delay = jittered(Duration::from_secs(60), 0.10);
            assert!(
                delay >= Duration::from_secs(54) && delay <= Duration::from_secs(66),
                "{delay:?}"
            );
        }
    }

    #[test]
    fn backoff_list_rejects_garbage() {
        assert!(parse_backoff("60,abc").unwrap_err().contains("\"abc\""));
        assert!(parse_backoff("").is_err());
        assert_eq!(
            parse_backoff("0.05, 0.1").unwrap()[1],
            Duration::from_millis(100)
        );
    }
}
