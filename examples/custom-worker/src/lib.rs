#![doc = include_str!("../../../docs/tasks.md")]
#![warn(unreachable_pub)] // what is `pub` is meant to be: the crate's API

pub mod incr;
pub mod word_count;

pub use incr::{Incr, IncrArgs};
pub use word_count::{WordCount, WordCountArgs, WordCountResult};
