//! The runtime's built-in tasks: the diagnostic `confq.*` tasks, which need nothing but the
//! runtime. Product tasks (ingestion: the `ingest` crate) register next to them.

pub mod diagnostic;

use crate::task::Registry;

/// The namespace of the built-in tasks, reserved: a task named with it logs its success at
/// debug level (thousands of `confq.noop` in a smoke test or a benchmark are not worth an info
/// line each); failures, retries and every other task's success stay at info or above.
pub const BUILTIN_PREFIX: &str = "confq.";

/// Whether `task` is one of the runtime's built-in (diagnostic) tasks.
///
/// # Examples
/// ```
/// assert!(worker::tasks::is_builtin("confq.noop"));
/// assert!(!worker::tasks::is_builtin("ingest.parse_upload"));
/// ```
pub fn is_builtin(task: &str) -> bool {
    task.starts_with(BUILTIN_PREFIX)
}

/// A registry holding the runtime's built-in tasks (`confq.echo`, `confq.noop`, `confq.sleep`,
/// `confq.fail`);
/// register your own tasks next to them (see [`crate::TypedTask`]).
///
/// # Examples
/// ```
/// let registry = worker::tasks::builtin();
/// assert_eq!(registry.names(), ["confq.echo", "confq.fail", "confq.noop", "confq.sleep"]);
/// ```
pub fn builtin() -> Registry {
    let mut registry = Registry::new();
    registry
        .register(diagnostic::Echo)
        .register(diagnostic::Noop)
        .register(diagnostic::Sleep)
        .register(diagnostic::Fail);
    registry
}
