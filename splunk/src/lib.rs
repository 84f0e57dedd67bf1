#![doc = include_str!("../README.md")]

pub mod archive;
pub mod conf;
pub mod error;

pub use conf::parse;
pub use error::{ArchiveError, Cap, ParseError};
