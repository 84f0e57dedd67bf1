//! The hostile-archive reader: zip, tar and tar.gz (`.spl`) streamed entry by entry from any
//! `AsyncRead`, app packages inside them one level deep; only `*.conf` and `*.meta` members are
//! read into memory, each capped. Nothing is ever written to disk.

mod admit;
mod bytes_io;
mod dedup;
mod level;
mod member;
mod nested;
mod path;
mod reader;
mod sniff;
mod source;
mod tar;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_limits;
#[cfg(test)]
mod tests_nested;
#[cfg(test)]
mod tests_nested_limits;
#[cfg(test)]
mod tests_zip;
mod visit;
mod warning;
mod zip;

pub use crate::error::{ArchiveError, Cap};
pub use dedup::keep_last;
pub use reader::ArchiveReader;
pub use warning::{ArchiveWarning, ArchiveWarningKind};

/// Caps that bound what a hostile archive can make the reader do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Uncompressed bytes over the whole archive (tar: the whole tar stream; zip: all member data),
    /// plus what the packages inside it decompress to.
    pub max_total_bytes: u64,
    /// Bytes of one `.conf`/`.meta` member read into memory (and of tar headers between members).
    pub max_entry_bytes: u64,
    /// Members of any kind, directories and skipped ones included (packages' members too).
    pub max_entries: u64,
    /// `.conf`/`.meta` bytes handed out over the whole archive: what a caller that keeps every
    /// parsed file until one write (the ingest task) holds in memory, several times over once
    /// parsed.
    pub max_conf_bytes: u64,
}

impl Default for Limits {
    /// 2 GiB total, 64 MiB per conf member, 100,000 members, 128 MiB of conf text.
    fn default() -> Self {
        Limits {
            max_total_bytes: 2 << 30,
            max_entry_bytes: 64 << 20,
            max_entries: 100_000,
            max_conf_bytes: 128 << 20,
        }
    }
}

/// The container format, decided from the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// PKZIP (local headers streamed; data descriptors handled for deflated members).
    Zip,
    /// An uncompressed tar.
    Tar,
    /// A gzipped tar (`.tgz`, `.tar.gz`, Splunk's `.spl`).
    TarGz,
}

/// Where a file sits in its app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// `<app>/default/`.
    Default,
    /// `<app>/local/`.
    Local,
    /// `<app>/metadata/`.
    Metadata,
    /// Anywhere else (an nginx `default.conf` under `bin/`, …).
    Other,
}

impl Layer {
    /// `default`, `local`, `metadata` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Default => "default",
            Layer::Local => "local",
            Layer::Metadata => "metadata",
            Layer::Other => "other",
        }
    }
}

/// One `.conf`/`.meta` member, fully read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfEntry {
    /// Clean relative path (`/`-separated, no `.`/`..`, no leading `./`); inside an app package
    /// found in the archive, `<package path>!<path inside the package>`.
    pub path: String,
    /// The app folder (`system` for `etc/system`); `None` when the archive has no top folder.
    /// Inside a package, app and layer come from the path inside the package.
    pub app: Option<String>,
    /// `default`, `local`, `metadata` or `other`.
    pub layer: Layer,
    /// `props` for `props.conf`; `meta` for any `.meta`.
    pub conf_type: String,
    /// Bytes read (never the declared size).
    pub size: u64,
    /// Lower-case hex SHA-256 of `data`.
    pub sha256: String,
    /// The member's content.
    pub data: bytes::Bytes,
}
