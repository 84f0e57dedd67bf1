//! The runtime's built-in tasks: the diagnostic `confq.*` tasks, which need nothing but the
//! runtime. Product tasks (ingestion: the `ingest` crate) register next to them.

pub mod diagnostic;

use crate::task::Registry;

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
