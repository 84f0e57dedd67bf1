//! Time limits: how long one delivery may run before its cancellation token fires and, after a
//! short grace, it is abandoned as a `timeout` failure (the retry policy decides what follows).
//! The envelope's `time_limit` (seconds) wins over the worker's default per task type
//! (`CONFQ_TIME_LIMITS='ingest.parse_upload=1800,confq.sleep=60'`).

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use broker::Envelope;
use serde_json::Value;

/// The envelope field holding a delivery's time limit in seconds.
pub const TIME_LIMIT: &str = "time_limit";

/// The time limit of each task type that has one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeLimits(BTreeMap<String, Duration>);

/// A `CONFQ_TIME_LIMITS` entry that is not `task=seconds` with positive seconds.
#[derive(Debug, thiserror::Error)]
#[error(
    "time limit {entry:?} must be TASK=SECONDS with SECONDS a positive number (e.g. ingest.parse_upload=1800)"
)]
pub struct TimeLimitError {
    entry: String,
}

impl FromStr for TimeLimits {
    type Err = TimeLimitError;

    /// Parses `task=seconds,task=seconds` (empty: no limits).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut limits = BTreeMap::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let invalid = || TimeLimitError {
                entry: entry.to_owned(),
            };
            let (task, secs) = entry.split_once('=').ok_or_else(invalid)?;
            let secs: f64 = secs.trim().parse().map_err(|_| invalid())?;
            let limit = positive(secs).ok_or_else(invalid)?;
            limits.insert(task.trim().to_owned(), limit);
        }
        Ok(Self(limits))
    }
}

impl TimeLimits {
    /// The limit of one delivery: the envelope's `time_limit`, else the task type's default.
    ///
    /// # Errors
    /// The dead-letter reason when the envelope's `time_limit` is not a positive number.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use worker::time_limit::TimeLimits;
    ///
    /// let limits: TimeLimits = "confq.sleep=60".parse().unwrap();
    /// let mut envelope = broker::Envelope::new("confq.sleep", serde_json::Map::new());
    /// assert_eq!(limits.of(&envelope), Ok(Some(Duration::from_secs(60))));
    /// envelope.extra.insert("time_limit".into(), 1.5.into());
    /// assert_eq!(limits.of(&envelope), Ok(Some(Duration::from_millis(1500))));
    /// envelope.extra.insert("time_limit".into(), 0.into());
    /// assert!(limits.of(&envelope).is_err());
    /// ```
    pub fn of(&self, envelope: &Envelope) -> Result<Option<Duration>, String> {
        match envelope.extra.get(TIME_LIMIT) {
            None | Some(Value::Null) => Ok(self.0.get(&envelope.task).copied()),
            Some(value) => value.as_f64().and_then(positive).map(Some).ok_or_else(|| {
                format!("field `{TIME_LIMIT}` must be a positive number of seconds, not {value}")
            }),
        }
    }
}

fn positive(secs: f64) -> Option<Duration> {
    (secs.is_finite() && secs > 0.0)
        .then(|| Duration::try_from_secs_f64(secs).ok())
        .flatten()
}

/// Waits until `limit` passes (for ever without one).
pub(crate) async fn expiry(limit: Option<Duration>) {
    match limit {
        Some(limit) => tokio::time::sleep(limit).await,
        None => std::future::pending().await,
    }
}

/// How a time limit reads in a failure message: `time limit of 1800 s exceeded`.
pub(crate) fn exceeded(limit: Duration) -> String {
    format!("time limit of {} s exceeded", limit.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{TimeLimits, exceeded};

    #[test]
    fn the_setting_reads_task_equals_seconds() {
        let limits: TimeLimits = "ingest.parse_upload=1800, confq.sleep=0.5".parse().unwrap();
        let e = broker::Envelope::new("ingest.parse_upload", serde_json::Map::new());
        assert_eq!(limits.of(&e), Ok(Some(Duration::from_secs(1800))));
        assert!("confq.sleep".parse::<TimeLimits>().is_err());
        assert!("confq.sleep=-1".parse::<TimeLimits>().is_err());
        assert!("confq.sleep=abc".parse::<TimeLimits>().is_err());
        assert_eq!("".parse::<TimeLimits>().unwrap(), TimeLimits::default());
        assert_eq!(
            exceeded(Duration::from_secs(1800)),
            "time limit of 1800 s exceeded"
        );
    }

    #[test]
    fn an_envelope_limit_that_is_not_a_positive_number_is_refused() {
        let mut e = broker::Envelope::new("confq.noop", serde_json::Map::new());
        for bad in [
            serde_json::json!("60"),
            serde_json::json!(-3),
            serde_json::json!(true),
        ] {
            e.extra.insert("time_limit".into(), bad);
            assert!(TimeLimits::default().of(&e).is_err());
        }
    }
}
