//! Identifiers and enumerations of the run store: run ids, attempt fences, statuses, sources.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The id of an ingestion run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub i64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for RunId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(RunId)
    }
}

/// The attempt number returned by [`crate::Store::begin_attempt`]; writes carrying an older
/// fence are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fence(pub i64);

impl fmt::Display for Fence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a run is in its lifecycle (see docs/normalization-model.md for the state diagram).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Stored and waiting in the queue.
    Stored,
    /// A worker is parsing it.
    Parsing,
    /// Waiting for a backoff before the next attempt.
    Retrying,
    /// Parsed and written; terminal.
    Complete,
    /// Given up; only an explicit retry revives it.
    Failed,
    /// Its task was cancelled (`POST /v1/tasks/{id}/cancel`); terminal.
    Cancelled,
}

impl RunStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [RunStatus; 6] = [
        RunStatus::Stored,
        RunStatus::Parsing,
        RunStatus::Retrying,
        RunStatus::Complete,
        RunStatus::Failed,
        RunStatus::Cancelled,
    ];

    /// The lowercase name stored in the database and shown by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Stored => "stored",
            RunStatus::Parsing => "parsing",
            RunStatus::Retrying => "retrying",
            RunStatus::Complete => "complete",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the run has finished (nothing more happens to it without an explicit retry).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Complete | RunStatus::Failed | RunStatus::Cancelled
        )
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown status or source name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {0:?}")]
pub struct UnknownName(pub String);

impl FromStr for RunStatus {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

/// Who created a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunSource {
    /// `POST /v1/uploads`.
    Api,
    /// `confq ingest`.
    Cli,
    /// A producer that wrote the object itself (`{"object": key}` task args).
    External,
}

impl RunSource {
    /// The lowercase name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RunSource::Api => "api",
            RunSource::Cli => "cli",
            RunSource::External => "external",
        }
    }
}

impl FromStr for RunSource {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [RunSource::Api, RunSource::Cli, RunSource::External]
            .into_iter()
            .find(|source| source.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_round_trip() {
        for status in RunStatus::ALL {
            assert_eq!(status.as_str().parse::<RunStatus>(), Ok(status));
            let json = serde_json::to_string(&status).expect("serialize");
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
    }

    #[test]
    fn run_id_is_transparent_in_json() {
        assert_eq!(serde_json::to_string(&RunId(42)).expect("serialize"), "42");
        assert_eq!("42".parse::<RunId>(), Ok(RunId(42)));
    }
}
