#![doc = include_str!("../README.md")]
#![warn(unreachable_pub)] // what is `pub` is meant to be: the crate's API

mod acker;
pub mod breaker;
mod cancel;
pub mod celery;
pub mod config;
pub mod error;
mod execute;
pub mod failure;
pub mod heartbeat;
pub mod hooks;
pub mod progress;
pub mod reaping;
pub mod redact;
pub mod registration;
pub mod retry;
pub mod runner;
mod serve;
pub mod shutdown;
pub mod task;
pub mod tasks;
pub mod time_limit;

pub use config::WorkerConfig;
pub use error::WorkerError;
pub use execute::Outcome;
pub use failure::{FailureClass, TaskFailure};
pub use progress::Progress;
pub use runner::{Runner, RunnerStats};
pub use serve::serve;
pub use shutdown::Shutdown;
pub use task::{Registry, Task, TaskContext, TaskResult, TypedTask};
