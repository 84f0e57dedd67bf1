#![doc = include_str!("../README.md")]

pub mod archive;
pub mod conf;
pub mod error;
pub mod view;

pub use conf::parse;
pub use error::{ArchiveError, Cap, ParseError};
