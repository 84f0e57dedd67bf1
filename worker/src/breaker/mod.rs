//! Circuit breakers, one per dependency a task declares (`database`, `storage`, or a custom
//! task's own): closed → open after repeated transient failures → half-open probes → closed.
//! While a breaker is open the worker takes no task that needs its dependency, gives back
//! in-flight ones that fail on it without spending a retry, and when it closes asks the
//! registered [`Recovery`] hooks to re-enqueue what exhausted its retries meanwhile.

mod config;
mod dependency;
mod gate;
mod give_back;
mod needs;
mod probe;
mod recovery;
mod set;
mod state;

pub use config::BreakerConfig;
pub use dependency::Dependency;
pub use probe::{Probe, ProbeFn};
pub use recovery::Recovery;
pub use set::Breakers;
pub use state::{BreakerState, Transition};

pub(crate) use gate::Gate;
