//! `CONFQ_RETRY_POLICY`: per-class overrides of the retry policy, given as JSON.

use serde::Deserialize;

use super::{ClassPolicy, RetryPolicy, default_backoff, parse_backoff};

/// Per-class overrides of a policy, as written in `CONFQ_RETRY_POLICY` (JSON), e.g.
/// `{"transient": {"max_retries": 5, "backoff": [10, 60]}, "permanent": {"retry": true, "max_retries": 1}}`;
/// `timeout` (lease expiries and time limits) starts from `transient`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Overrides {
    transient: Option<ClassOverride>,
    permanent: Option<ClassOverride>,
    /// Starts from the transient policy (after its overrides) when the policy has no timeout one.
    timeout: Option<ClassOverride>,
    jitter: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassOverride {
    retry: Option<bool>,
    max_retries: Option<u32>,
    /// Seconds; fractions allowed.
    backoff: Option<Vec<f64>>,
}

impl ClassOverride {
    fn apply(self, policy: &mut ClassPolicy) -> Result<(), String> {
        if let Some(retry) = self.retry {
            policy.retry = retry;
        }
        if let Some(max_retries) = self.max_retries {
            policy.max_retries = max_retries;
        }
        if let Some(backoff) = self.backoff {
            let text: Vec<String> = backoff.iter().map(f64::to_string).collect();
            policy.backoff = parse_backoff(&text.join(","))?;
        }
        if policy.retry && policy.backoff.is_empty() {
            policy.backoff = default_backoff();
        }
        Ok(())
    }
}

impl RetryPolicy {
    /// Applies the per-class overrides of `json` (the `CONFQ_RETRY_POLICY` setting) to this policy.
    ///
    /// # Errors
    /// Names what is wrong: invalid JSON, an unknown class or field, a bad delay or jitter.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// use worker::retry::RetryPolicy;
    ///
    /// let policy = RetryPolicy::default()
    ///     .with_overrides(r#"{"transient": {"max_retries": 5, "backoff": [10, 60]}}"#)
    ///     .unwrap();
    /// assert_eq!(policy.transient.max_retries, 5);
    /// assert_eq!(policy.transient.backoff, [Duration::from_secs(10), Duration::from_secs(60)]);
    /// assert!(RetryPolicy::default().with_overrides(r#"{"fatal": {}}"#).is_err());
    /// ```
    pub fn with_overrides(mut self, json: &str) -> Result<Self, String> {
        let overrides: Overrides = serde_json::from_str(json)
            .map_err(|error| format!("invalid retry policy JSON: {error}"))?;
        if let Some(transient) = overrides.transient {
            transient.apply(&mut self.transient)?;
        }
        if let Some(permanent) = overrides.permanent {
            permanent.apply(&mut self.permanent)?;
        }
        if let Some(timeout) = overrides.timeout {
            let mut policy = self
                .timeout
                .take()
                .unwrap_or_else(|| self.transient.clone());
            timeout.apply(&mut policy)?;
            self.timeout = Some(policy);
        }
        if let Some(jitter) = overrides.jitter {
            if !(0.0..=1.0).contains(&jitter) {
                return Err(format!("jitter must be between 0 and 1, not {jitter}"));
            }
            self.jitter = jitter;
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::{Decision, default_backoff};
    use super::*;
    use crate::failure::FailureClass;

    fn exact(policy: RetryPolicy) -> RetryPolicy {
        RetryPolicy {
            jitter: 0.0,
            ..policy
        }
    }

    #[test]
    fn overrides_change_only_what_they_name() {
        let policy = exact(RetryPolicy::default())
            .with_overrides(r#"{"transient": {"max_retries": 5}, "permanent": {"retry": true, "max_retries": 1, "backoff": [2]}}"#)
            .unwrap();
        assert_eq!(policy.transient.max_retries, 5);
        assert_eq!(policy.transient.backoff, default_backoff());
        assert_eq!(
            policy.decide(FailureClass::Permanent, 0, None),
            Decision::Retry {
                retry_number: 1,
                delay: Duration::from_secs(2)
            }
        );
        assert_eq!(
            policy.decide(FailureClass::Permanent, 1, None),
            Decision::GiveUp {
                error_type: "permanent"
            }
        );
    }

    #[test]
    fn a_timeout_override_starts_from_transient_and_leaves_it_alone() {
        let policy = exact(RetryPolicy::default())
            .with_overrides(r#"{"transient": {"backoff": [7]}, "timeout": {"max_retries": 1}}"#)
            .unwrap();
        let timeouts: Vec<Decision> = (0..2)
            .map(|retries| policy.decide(FailureClass::Timeout, retries, None))
            .collect();
        let seven = Duration::from_secs(7);
        let exhausted = Decision::GiveUp {
            error_type: "timeout",
        };
        assert_eq!(
            timeouts[0],
            Decision::Retry {
                retry_number: 1,
                delay: seven
            }
        );
        assert_eq!(timeouts[1], exhausted);
        assert!(matches!(
            policy.decide(FailureClass::Transient, 2, None),
            Decision::Retry { .. }
        ));
    }

    #[test]
    fn overrides_reject_unknown_classes_and_bad_values() {
        let policy = RetryPolicy::default();
        assert!(
            policy
                .clone()
                .with_overrides(r#"{"flaky": {}}"#)
                .unwrap_err()
                .contains("flaky")
        );
        assert!(
            policy
                .clone()
                .with_overrides(r#"{"transient": {"backoff": [-1]}}"#)
                .is_err()
        );
        assert!(policy.clone().with_overrides(r#"{"jitter": 3}"#).is_err());
        assert!(policy.with_overrides("not json").is_err());
    }
}
