//! Warnings about members the reader skipped or read with reservations.

use std::fmt;

/// Something odd about one member; reading went on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveWarning {
    /// The member's name as found (lossily decoded).
    pub entry: String,
    /// What kind of oddity.
    pub kind: ArchiveWarningKind,
}

/// The kinds of [`ArchiveWarning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArchiveWarningKind {
    /// A symbolic or hard link: skipped, never followed.
    Link,
    /// A device or FIFO: skipped.
    Special,
    /// A member type the reader does not know: skipped.
    UnknownType,
    /// `__MACOSX/` or `._*` debris: skipped.
    MacDebris,
    /// A name that is not UTF-8: decoded lossily.
    NonUtf8Name,
    /// A `.conf`/`.meta` path seen before: both are returned; the last wins (see [`super::keep_last`]).
    Duplicate,
    /// An app package inside a package: not opened (nesting is read one level deep); a plain file.
    NestedTooDeep,
    /// Named like an app package but neither zip, tar nor tar.gz: a plain file.
    NotAPackage,
}

impl ArchiveWarningKind {
    /// A stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveWarningKind::Link => "link",
            ArchiveWarningKind::Special => "special",
            ArchiveWarningKind::UnknownType => "unknown_type",
            ArchiveWarningKind::MacDebris => "mac_debris",
            ArchiveWarningKind::NonUtf8Name => "non_utf8_name",
            ArchiveWarningKind::Duplicate => "duplicate",
            ArchiveWarningKind::NestedTooDeep => "nested_too_deep",
            ArchiveWarningKind::NotAPackage => "not_a_package",
        }
    }
}

impl fmt::Display for ArchiveWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ArchiveWarningKind::Link => "link skipped (never followed)",
            ArchiveWarningKind::Special => "device or FIFO skipped",
            ArchiveWarningKind::UnknownType => "member of unknown type skipped",
            ArchiveWarningKind::MacDebris => "macOS debris skipped",
            ArchiveWarningKind::NonUtf8Name => "name is not UTF-8; decoded lossily",
            ArchiveWarningKind::Duplicate => "duplicate member; the last one wins",
            ArchiveWarningKind::NestedTooDeep => {
                "package inside a package not opened (one level deep only); kept as a plain file"
            }
            ArchiveWarningKind::NotAPackage => {
                "named like an app package but not zip, tar or tar.gz; kept as a plain file"
            }
        };
        write!(f, "{:?}: {what}", self.entry)
    }
}
