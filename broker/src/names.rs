//! Validated identifiers: queue names, task ids and worker ids.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::BrokerError;

/// A queue name: 1–64 characters of `A-Z a-z 0-9 _ - .` (it lands inside a `{…}` hash tag),
/// optionally followed by kombu's priority separator `\x06\x16` and one digit: the queue behind a
/// Celery priority list (`celery\x06\x163`, see `celery::lists`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct QueueName(String);

impl QueueName {
    /// Checks and wraps a queue name.
    ///
    /// # Errors
    /// `BrokerError::Config` when the name is empty, too long or has other characters.
    ///
    /// # Examples
    /// ```
    /// use broker::QueueName;
    ///
    /// assert_eq!(QueueName::parse("reports.daily").unwrap().as_str(), "reports.daily");
    /// assert!(QueueName::parse("a{b}").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, BrokerError> {
        let base = match s.as_bytes() {
            [head @ .., 0x06, 0x16, digit] if digit.is_ascii_digit() => &s[..head.len()],
            _ => s,
        };
        let valid = !base.is_empty()
            && base.len() <= 64
            && base
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(BrokerError::Config(format!(
                "invalid queue name {s:?}: use 1-64 characters of A-Z a-z 0-9 _ - ."
            )))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QueueName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for QueueName {
    type Err = BrokerError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for QueueName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A task id (a UUID; redelivery keeps it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskId(pub uuid::Uuid);

impl TaskId {
    /// A fresh, time-ordered id (UUID v7).
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }
}

impl Default for TaskId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for TaskId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s).map(Self)
    }
}

/// A worker process's id in the registry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkerId(String);

impl WorkerId {
    /// Wraps an id chosen by the caller.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// `<host>-<pid>-<random>`, unique enough for a live registry.
    pub fn generate(host: &str) -> Self {
        let suffix: u32 = rand::random();
        Self(format!("{host}-{}-{suffix:08x}", std::process::id()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::QueueName;

    #[test]
    fn queue_names_that_could_break_a_key_are_rejected() {
        for bad in ["", "a{b", "a}b", "a:b", "a b", &"x".repeat(65)] {
            assert!(QueueName::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            QueueName::parse("ingest.v2-high_1").unwrap().as_str(),
            "ingest.v2-high_1"
        );
        // kombu's priority lists, and nothing else with control bytes.
        assert!(QueueName::parse("celery\x06\x169").is_ok());
        for bad in [
            "\x06\x169",
            "celery\x06\x16",
            "celery\x06\x16x",
            "celery\x069",
        ] {
            assert!(QueueName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
