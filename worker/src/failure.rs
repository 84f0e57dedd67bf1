//! The outcome of a failed task as a type: permanent, transient or timeout, with its message and
//! the full cause chain that ends up in `error_traceback`.

use std::error::Error as StdError;
use std::fmt;

use protocol::error_type;

use crate::breaker::Dependency;

/// The class of a failure; decides whether and how a task is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureClass {
    /// Bad input or bad data: retrying cannot help.
    Permanent,
    /// A dependency (Redis, database, storage) was unavailable: retry later.
    Transient,
    /// The task stopped making progress and lost its lease.
    Timeout,
}

impl FailureClass {
    /// The `error_type` written into run metrics for a failure of this class.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Permanent => error_type::PERMANENT,
            Self::Transient => error_type::TRANSIENT,
            Self::Timeout => error_type::TIMEOUT,
        }
    }
}

impl FailureClass {
    /// The class of a failure recorded with `error_type`: `permanent`, `timeout`, and anything
    /// else (`transient`, an unknown type) transient.
    ///
    /// # Examples
    /// ```
    /// use worker::FailureClass;
    ///
    /// assert_eq!(FailureClass::from_error_type("permanent"), FailureClass::Permanent);
    /// assert_eq!(FailureClass::from_error_type("transient_exhausted"), FailureClass::Transient);
    /// assert_eq!(FailureClass::Timeout.as_str(), "timeout");
    /// ```
    pub fn from_error_type(error_type: &str) -> Self {
        match error_type {
            error_type::PERMANENT => Self::Permanent,
            error_type::TIMEOUT => Self::Timeout,
            _ => Self::Transient,
        }
    }
}

impl fmt::Display for FailureClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A task's failure: its class, a one-line message and the cause chain.
///
/// # Examples
/// ```
/// use worker::{FailureClass, TaskFailure};
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("cannot reach the catalogue")]
/// struct Unreachable(#[source] std::io::Error);
///
/// let error = Unreachable(std::io::Error::other("connection refused"));
/// let failure = TaskFailure::transient(&error);
/// assert_eq!(failure.class, FailureClass::Transient);
/// assert_eq!(failure.message, "cannot reach the catalogue: connection refused");
/// assert_eq!(failure.traceback, "cannot reach the catalogue\ncaused by: connection refused");
///
/// let bad_input = TaskFailure::message(FailureClass::Permanent, "no such product");
/// assert_eq!(bad_input.to_string(), "permanent failure: no such product");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailure {
    /// Permanent, transient or timeout.
    pub class: FailureClass,
    /// What went wrong, in one line (the whole cause chain, `outer: cause: root`), with
    /// credentials redacted.
    pub message: String,
    /// The full cause chain, one cause per line, with credentials redacted.
    pub traceback: String,
    /// The dependency that failed, when a transient failure is an outage of one (its breaker
    /// counts it); see [`TaskFailure::on`].
    pub dependency: Option<Dependency>,
}

impl TaskFailure {
    /// A permanent failure from any error, keeping its cause chain.
    pub fn permanent(error: &(dyn StdError + 'static)) -> Self {
        Self::from_error(FailureClass::Permanent, error)
    }

    /// A transient failure from any error, keeping its cause chain.
    pub fn transient(error: &(dyn StdError + 'static)) -> Self {
        Self::from_error(FailureClass::Transient, error)
    }

    /// A failure of `class` with a plain message and no deeper cause.
    pub fn message(class: FailureClass, message: impl Into<String>) -> Self {
        let message = crate::redact::redact(&message.into());
        Self {
            class,
            traceback: message.clone(),
            message,
            dependency: None,
        }
    }

    /// The same failure, blamed on `dependency` (its breaker counts it when it is transient).
    ///
    /// # Examples
    /// ```
    /// use worker::breaker::Dependency;
    /// use worker::{FailureClass, TaskFailure};
    ///
    /// let failure = TaskFailure::message(FailureClass::Transient, "catalogue timed out")
    ///     .on(Dependency::new("catalogue"));
    /// assert_eq!(failure.dependency, Some(Dependency::new("catalogue")));
    /// ```
    #[must_use]
    pub fn on(mut self, dependency: Dependency) -> Self {
        self.dependency = Some(dependency);
        self
    }

    fn from_error(class: FailureClass, error: &(dyn StdError + 'static)) -> Self {
        Self {
            class,
            message: broker::report::one_line(error),
            traceback: cause_chain(error),
            dependency: None,
        }
    }
}

impl fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failure: {}", self.class, self.message)
    }
}

/// Renders an error and all its sources, one per line (`caused by: …`), each cause once and
/// with credentials redacted (see [`broker::report`]).
pub fn cause_chain(error: &(dyn StdError + 'static)) -> String {
    broker::report::traceback(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer failed")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn traceback_lists_every_cause() {
        let error = Outer(std::io::Error::other("inner broke"));
        let failure = TaskFailure::transient(&error);
        assert_eq!(failure.message, "outer failed: inner broke");
        assert_eq!(failure.traceback, "outer failed\ncaused by: inner broke");
        assert_eq!(failure.class, FailureClass::Transient);
    }

    #[test]
    fn credentials_are_redacted_from_messages() {
        let failure = TaskFailure::message(
            FailureClass::Transient,
            "cannot reach postgres://app:s3cret@db:5432/confq",
        );
        assert!(!failure.message.contains("s3cret"), "{}", failure.message);
        assert!(!failure.traceback.contains("s3cret"));
    }
}
