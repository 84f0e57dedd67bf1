//! The crate's error types: a file-level `.conf` parse error and an archive error, one variant per
//! defence so callers (and the worker's `classify`) can decide without string matching.

use std::fmt;

/// Why a whole `.conf`/`.meta` file could not be read (warnings are not errors; see [`crate::conf::Warning`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The bytes are not UTF-8 (and carry no UTF-16/32 byte-order mark).
    #[error("invalid UTF-8 at line {line}, byte offset {offset}")]
    InvalidUtf8 {
        /// 1-based line of the first invalid byte.
        line: u32,
        /// 0-based byte offset of the first invalid byte in the file.
        offset: usize,
    },
    /// A UTF-16 or UTF-32 byte-order mark was found but the rest does not decode.
    #[error("undecodable {encoding} text (byte-order mark present) at byte offset {offset}")]
    InvalidUtf16 {
        /// `UTF-16LE`, `UTF-16BE`, `UTF-32LE` or `UTF-32BE`.
        encoding: &'static str,
        /// 0-based byte offset of the first bad code unit.
        offset: usize,
    },
}

/// Which archive cap was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cap {
    /// [`crate::archive::Limits::max_total_bytes`].
    TotalBytes,
    /// [`crate::archive::Limits::max_entry_bytes`].
    EntryBytes,
    /// [`crate::archive::Limits::max_entries`].
    Entries,
    /// [`crate::archive::Limits::max_conf_bytes`].
    ConfBytes,
}

impl fmt::Display for Cap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cap::TotalBytes => "total uncompressed bytes",
            Cap::EntryBytes => "bytes per entry",
            Cap::Entries => "entry count",
            Cap::ConfBytes => "config text bytes",
        })
    }
}

/// Why reading an archive stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The content is none of zip, tar, tar.gz (decided by magic bytes, not by the name).
    #[error("unsupported archive format: {reason}")]
    Unsupported {
        /// What was seen instead.
        reason: String,
    },
    /// The stream is malformed at or after `entry`.
    #[error("corrupt archive at entry {entry:?}")]
    Corrupt {
        /// Name of the entry being read (or the last one read) when it failed.
        entry: String,
        /// What the decoder said.
        #[source]
        source: std::io::Error,
    },
    /// The stream ended in the middle of `entry`.
    #[error("archive is truncated at entry {entry:?}")]
    Truncated {
        /// Name of the entry being read (or the last one read) when the data ran out.
        entry: String,
    },
    /// A configured cap was exceeded.
    #[error("archive exceeds the {cap} cap of {limit} at entry {entry:?}")]
    LimitExceeded {
        /// Which cap.
        cap: Cap,
        /// The cap's value.
        limit: u64,
        /// Entry being read when the cap was hit.
        entry: String,
    },
    /// An entry name has a `..` component or is absolute.
    #[error("entry {entry:?} escapes the archive root (`..` or absolute path)")]
    PathTraversal {
        /// The offending name, lossily decoded.
        entry: String,
    },
    /// The underlying reader failed (storage, network): worth a retry.
    #[error("reading the archive failed")]
    Io(#[source] std::io::Error),
}

impl ArchiveError {
    /// `true` when retrying cannot help: everything but a failure of the underlying reader.
    pub fn is_permanent(&self) -> bool {
        match self {
            ArchiveError::Unsupported { .. }
            | ArchiveError::Corrupt { .. }
            | ArchiveError::Truncated { .. }
            | ArchiveError::LimitExceeded { .. }
            | ArchiveError::PathTraversal { .. } => true,
            ArchiveError::Io(_) => false,
        }
    }
}
