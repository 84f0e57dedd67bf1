//! A member as a backend reports it: its header ([`Head`]), its kind, and its data when read.

use super::path::{self, Name};

/// What kind of member a header describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Link,
    Special,
    /// Metadata members with no file behind them (PAX global headers).
    Ignored,
    Unknown,
}

/// A member's header, as the backends report it.
pub(crate) struct Head {
    /// The name, lossily decoded.
    pub name: String,
    pub utf8: bool,
    pub kind: Kind,
    /// The size the header claims: an allocation hint, never trusted.
    pub declared: u64,
}

impl Head {
    pub(super) fn new(raw: &[u8], kind: Kind, declared: u64) -> Self {
        let name = String::from_utf8_lossy(raw).into_owned();
        Head {
            utf8: std::str::from_utf8(raw).is_ok(),
            name,
            kind,
            declared,
        }
    }

    /// The clean path of a regular file that is not macOS debris, if this is one.
    pub(super) fn file_path(&self) -> Option<String> {
        match path::clean(&self.name) {
            Name::Clean(p) if self.kind == Kind::File && !path::is_mac_debris(&p) => Some(p),
            _ => None,
        }
    }

    /// A `.conf`/`.meta` file worth reading.
    pub(super) fn is_conf(&self) -> bool {
        self.file_path().is_some_and(|p| path::is_wanted(&p))
    }

    /// A file named like an app package (`.tgz`, `.tar.gz`, `.tar`, `.spl`, `.zip`).
    pub(super) fn is_package(&self) -> bool {
        self.file_path().is_some_and(|p| path::is_package(&p))
    }
}

/// A member's head and, if it was wanted, its data.
pub(crate) struct Member {
    pub head: Head,
    pub data: Option<Vec<u8>>,
}
