#![doc = include_str!("../README.md")]

mod broker;
mod config;
mod consumer;
mod dead;
mod delivery;
mod envelope;
mod error;
pub mod keys;
mod names;
mod outage;
mod producer;
mod reaper;
mod reaper_beat;
pub mod redact;
pub mod report;
mod retries;
mod scripts;
mod stats;
mod workers;

pub use crate::broker::Broker;
pub use crate::config::{BrokerConfig, DEFAULT_DEAD_MAX, DEFAULT_DEAD_MAX_AGE, backoff_delay};
pub use crate::consumer::{Consumer, MALFORMED, TRANSIENT};
pub use crate::dead::{DeadCursor, DeadCursorError, DeadLetter, DeadLetters, DeadPage};
pub use crate::delivery::{Delivery, LeaseToken};
pub use crate::envelope::{ENVELOPE_VERSION, Envelope, EnvelopeError, LAST_ERROR, LAST_ERROR_TYPE};
pub use crate::error::{BrokerError, Result};
pub use crate::names::{QueueName, TaskId, WorkerId};
pub use crate::outage::Outage;
pub use crate::producer::Producer;
pub use crate::reaper::{ExpiredTask, ReapOutcome, Reaper, TIMEOUT};
pub use crate::retries::{UNRECORDED_VERDICTS, marked_as_rerun, retries_before};
pub use crate::stats::QueueStats;
pub use crate::workers::{WorkerInfo, WorkerRegistry};
pub use tokio_util::sync::CancellationToken;
