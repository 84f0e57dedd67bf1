//! [`Admission`]: every defence applied to every member in one place, for every format and for
//! the members of packages inside the archive alike (names, links, debris, duplicates, caps). The
//! counters live here, so a package shares the archive's caps.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use super::member::{Kind, Member};
use super::path::{self, Name};
use super::{ArchiveWarning, ArchiveWarningKind, ConfEntry, Limits};
use crate::error::{ArchiveError, Cap};

/// What the reader has admitted so far, over the archive and the packages inside it.
pub(crate) struct Admission {
    pub limits: Limits,
    pub warnings: Vec<ArchiveWarning>,
    pub entries_seen: u64,
    returned: HashSet<String>,
    /// Bytes of the conf members handed out so far (against `max_conf_bytes`).
    conf_bytes: u64,
}

impl Admission {
    pub(super) fn new(limits: Limits) -> Self {
        Admission {
            limits,
            warnings: Vec::new(),
            entries_seen: 0,
            returned: HashSet::new(),
            conf_bytes: 0,
        }
    }

    /// Records a warning about the member shown as `entry`.
    pub(super) fn warn(&mut self, entry: String, kind: ArchiveWarningKind) {
        self.warnings.push(ArchiveWarning { entry, kind });
    }

    /// Counts one member and applies the defences; `Some` when it is a file to hand out.
    /// `package` is the path of the package inside the archive that the member belongs to: its
    /// path becomes `<package>!<member path>`, and its app and layer come from the member path.
    pub(super) fn admit(
        &mut self,
        member: Member,
        package: Option<&str>,
    ) -> Result<Option<ConfEntry>, ArchiveError> {
        let Member { head, data } = member;
        let shown = match package {
            Some(package) => format!("{package}!{}", head.name),
            None => head.name.clone(),
        };
        self.entries_seen += 1;
        if self.entries_seen > self.limits.max_entries {
            return Err(exceeded(Cap::Entries, self.limits.max_entries, shown));
        }
        let inner = match path::clean(&head.name) {
            Name::Escapes => return Err(ArchiveError::PathTraversal { entry: shown }),
            Name::Clean(p) => p,
        };
        let skipped = match head.kind {
            Kind::Link => Some(ArchiveWarningKind::Link),
            Kind::Special => Some(ArchiveWarningKind::Special),
            Kind::Unknown => Some(ArchiveWarningKind::UnknownType),
            Kind::File if path::is_mac_debris(&inner) => Some(ArchiveWarningKind::MacDebris),
            Kind::File if package.is_some() && path::is_package(&inner) => {
                Some(ArchiveWarningKind::NestedTooDeep)
            }
            Kind::File | Kind::Dir | Kind::Ignored => None,
        };
        if let Some(kind) = skipped {
            self.warn(shown, kind);
            return Ok(None);
        }
        let Some(data) = data else { return Ok(None) };
        self.conf_bytes = self.conf_bytes.saturating_add(data.len() as u64);
        if self.conf_bytes > self.limits.max_conf_bytes {
            return Err(exceeded(Cap::ConfBytes, self.limits.max_conf_bytes, shown));
        }
        if !head.utf8 {
            self.warn(shown.clone(), ArchiveWarningKind::NonUtf8Name);
        }
        let full = match package {
            Some(package) => format!("{package}!{inner}"),
            None => inner.clone(),
        };
        if !self.returned.insert(full.clone()) {
            self.warn(shown, ArchiveWarningKind::Duplicate);
        }
        Ok(Some(entry(full, &inner, data)))
    }
}

fn exceeded(cap: Cap, limit: u64, entry: String) -> ArchiveError {
    ArchiveError::LimitExceeded { cap, limit, entry }
}

/// The entry at `path`, located (app, layer, conf type) by `inner`: its path inside its package.
fn entry(path: String, inner: &str, data: Vec<u8>) -> ConfEntry {
    let (app, layer, conf_type) = path::locate(inner);
    ConfEntry {
        app,
        layer,
        conf_type,
        size: data.len() as u64,
        sha256: hex::encode(Sha256::digest(&data)),
        data: data.into(),
        path,
    }
}
