#![doc = include_str!("../README.md")]
#![warn(unreachable_pub)] // what is `pub` is meant to be: the crate's API

mod blocking;
mod broker;
mod config;
mod connection;
mod consumer;
mod dead;
mod delivery;
mod envelope;
mod error;
mod find;
pub mod keys;
mod names;
mod outage;
mod policy;
mod producer;
mod reaper;
mod reaper_beat;
mod reaper_loop;
pub mod redact;
pub mod report;
mod retries;
mod scripts;
mod stats;
mod topology;
mod workers;

pub use crate::broker::Broker;
pub use crate::config::{BrokerConfig, DEFAULT_DEAD_MAX, DEFAULT_DEAD_MAX_AGE};
pub use crate::connection::RedisConnection;
pub use crate::consumer::{Consumer, MALFORMED, TRANSIENT};
pub use crate::dead::{DeadCursor, DeadCursorError, DeadLetter, DeadLetters, DeadPage};
pub use crate::delivery::{Delivery, LeaseToken};
pub use crate::envelope::{ENVELOPE_VERSION, Envelope, EnvelopeError, LAST_ERROR, LAST_ERROR_TYPE};
pub use crate::error::{BrokerError, Result};
pub use crate::names::{QueueName, TaskId, WorkerId};
pub use crate::outage::Outage;
pub use crate::policy::RetryDecider;
pub use crate::producer::Producer;
pub use crate::reaper::{ExpiredTask, ReapOutcome, Reaper, TIMEOUT};
pub use crate::reaper_loop::ExpirySink;
pub use crate::retries::{UNRECORDED_VERDICTS, marked_as_rerun, retries_before};
pub use crate::stats::QueueStats;
pub use crate::workers::{WorkerInfo, WorkerRegistry};
pub use tokio_util::sync::CancellationToken;
