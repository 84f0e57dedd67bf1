#![doc = include_str!("../README.md")]
#![warn(unreachable_pub)] // what is `pub` is meant to be: the crate's API

pub mod archive;
pub mod conf;
pub mod error;
pub mod view;

pub use conf::parse;
pub use error::{ArchiveError, Cap, ParseError};
