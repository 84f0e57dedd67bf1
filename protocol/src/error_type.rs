//! The `error_type` strings: in run metrics (`metrics.error_type`), in an envelope's last error,
//! in the broker's failure counters and in Prometheus' `confq_tasks_failed_total{error_type}`.
//! The ones the broker writes itself are the broker's, re-exported here.

/// The task failed on bad input or bad data; retrying cannot help.
pub const PERMANENT: &str = "permanent";

/// A dependency was unavailable; the task is retried (the broker's word for a retry it schedules).
pub const TRANSIENT: &str = broker::TRANSIENT;

/// Transient failures used up every retry.
pub const TRANSIENT_EXHAUSTED: &str = "transient_exhausted";

/// The task stopped making progress: its lease expired, or it lost it.
pub const TIMEOUT: &str = broker::TIMEOUT;

/// The element on the queue was not a valid v1 envelope (dead-lettered by the broker).
pub const MALFORMED: &str = broker::MALFORMED;

/// The envelope named a task no worker registered (dead-lettered by the worker).
pub const UNKNOWN_TASK: &str = "unknown_task";

/// The error types of a run's final failure, exported by Prometheus even before the first one.
pub const RUN_ERROR_TYPES: [&str; 4] = [TRANSIENT, TIMEOUT, PERMANENT, TRANSIENT_EXHAUSTED];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_are_the_contract_words() {
        assert_eq!(
            [
                PERMANENT,
                TRANSIENT,
                TRANSIENT_EXHAUSTED,
                TIMEOUT,
                MALFORMED,
                UNKNOWN_TASK
            ],
            [
                "permanent",
                "transient",
                "transient_exhausted",
                "timeout",
                "malformed",
                "unknown_task"
            ]
        );
    }
}
