#![doc = include_str!("../README.md")]
#![warn(unreachable_pub)] // what is `pub` is meant to be: the crate's API

pub mod cancel;
pub mod conf_file;
pub mod error;
pub mod filename;
pub mod ingestion_run;
pub mod run_stats;
pub mod setting;
pub mod stanza;
pub mod storage;
pub mod store;
pub mod submit;

pub use error::{StorageError, StoreError};
pub use storage::{Storage, StoredObject};
pub use store::Store;
