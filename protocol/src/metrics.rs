//! Prometheus metric names: the worker records some, the API's scrape sets the rest.

/// Histogram of task durations, labelled `task` (recorded by the worker).
pub const TASK_DURATION: &str = "confq_task_duration_seconds";
/// Finished tasks by `outcome` (recorded by the worker).
pub const WORKER_TASKS: &str = "confq_worker_tasks_total";
/// Live workers per `queue`.
pub const WORKERS: &str = "confq_workers";
/// Envelopes per `queue` and `state` (pending, processing, delayed, dead).
pub const QUEUE_SIZE: &str = "confq_queue_size";
/// Tasks acknowledged per `queue`.
pub const TASKS_PROCESSED: &str = "confq_tasks_processed_total";
/// Retries scheduled per `queue`.
pub const TASKS_RETRIED: &str = "confq_tasks_retried_total";
/// Leases that expired per `queue`.
pub const LEASES_EXPIRED: &str = "confq_leases_expired_total";
/// Envelopes dead-lettered per `queue`.
pub const DEAD_LETTERS: &str = "confq_dead_letters_total";
/// Failures per `queue` and `error_type`.
pub const TASKS_FAILED: &str = "confq_tasks_failed_total";
/// Runs per `status`.
pub const RUNS: &str = "confq_runs";
/// `parsing` runs whose heartbeat is older than the stuck threshold.
pub const STUCK_RUNS: &str = "confq_stuck_runs";
/// Seconds since the reaper's last tick.
pub const REAPER_LAST_TICK: &str = "confq_reaper_last_tick_seconds";
/// 1 while a worker's breaker of a dependency is not closed (open or probing), labelled `worker`
/// and `dependency` (recorded by the worker; the API's scrape sets it from the registry too).
pub const BREAKER_OPEN: &str = "confq_breaker_open";
/// Breaker state changes, labelled `worker`, `dependency` and `to` (recorded by the worker).
pub const BREAKER_TRANSITIONS: &str = "confq_breaker_transitions_total";
