#![doc = include_str!("../README.md")]
#![warn(unreachable_pub)] // what is `pub` is meant to be: the crate's API

pub mod backoff;
pub mod error_type;
pub mod metrics;
pub mod parse_upload;
pub mod queue;

pub use backoff::{DEFAULT_BACKOFF, DEFAULT_BACKOFF_SECS, default_backoff};
pub use parse_upload::{PARSE_UPLOAD, ParseUpload};
pub use queue::{DEFAULT_QUEUE, default_queue};
