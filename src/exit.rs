//! Exit codes and the one line a failing command prints: 0 success, 1 runtime failure, 2 usage.

use std::fmt;
use std::process::ExitCode;

/// A command's failure: its exit code and one line saying what went wrong and what to do.
#[derive(Debug)]
pub(crate) struct Failure {
    /// 1 for runtime failures, 2 for usage errors.
    pub code: u8,
    /// The line printed on stderr.
    pub message: String,
}

impl Failure {
    /// A runtime failure (exit 1).
    pub(crate) fn runtime(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            message: broker::redact::redact(&message.into()),
        }
    }

    /// A runtime failure (exit 1): `context`, then the cause chain of `error` on the same line,
    /// each cause once.
    pub(crate) fn caused(context: impl fmt::Display, error: &dyn std::error::Error) -> Self {
        Self::runtime(format!("{context}: {}", broker::report::one_line(error)))
    }

    /// A runtime failure (exit 1) saying the cause chain of `error`, each cause once.
    pub(crate) fn of(error: &dyn std::error::Error) -> Self {
        Self::runtime(broker::report::one_line(error))
    }

    /// A usage error (exit 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: broker::redact::redact(&message.into()),
        }
    }

    /// Prints the line and returns the exit code.
    pub(crate) fn report(&self) -> ExitCode {
        eprintln!("confq: {}", crate::terminal::escape(&self.message));
        ExitCode::from(self.code)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        // One line: the outermost context, then its causes, each once.
        Self::of(error.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::Failure;

    #[test]
    fn a_failure_names_each_cause_once_without_secrets() {
        let root = std::io::Error::other("connection refused");
        let error = anyhow::Error::new(root)
            .context("cannot reach postgres://app:s3cret@db/confq?password=hunter2");
        let failure = Failure::from(error);
        assert_eq!(failure.code, 1);
        assert_eq!(
            failure.message,
            "cannot reach postgres://app:***@db/confq?password=***: connection refused"
        );
        let caused = Failure::caused("could not enqueue", &std::io::Error::other("timed out"));
        assert_eq!(caused.message, "could not enqueue: timed out");
    }
}
