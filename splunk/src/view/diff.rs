//! The difference of two effective configurations of one conf type, setting by setting.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::merge::{EffectiveStanza, Setting};

/// What happened to a setting between the two views.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Only the later view has it.
    Added,
    /// Only the earlier view has it.
    Removed,
    /// Both have it, with different values.
    Changed,
}

impl ChangeKind {
    /// `added`, `removed` or `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        }
    }
}

/// One changed setting, with its provenance on each side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Conf type.
    pub conf: String,
    /// Stanza name.
    pub stanza: String,
    /// Setting key.
    pub key: String,
    /// What happened.
    pub change: ChangeKind,
    /// The setting in the earlier view (`None` when added).
    pub before: Option<Setting>,
    /// The setting in the later view (`None` when removed).
    pub after: Option<Setting>,
}

/// The changes from `before` to `after`, ordered by stanza then key (byte order).
///
/// A setting counts as changed when its value differs; a value that only moved between files
/// is not a change. A difference where neither side is the stanza's own setting (both inherited
/// or absent) is left out: it is reported once, on `[default]`, not repeated in every stanza.
pub fn diff(conf: &str, before: &[EffectiveStanza], after: &[EffectiveStanza]) -> Vec<Change> {
    let (old, new) = (index(before), index(after));
    let names: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    let mut changes = Vec::new();
    for name in names {
        let (a, b) = (settings(&old, name), settings(&new, name));
        let keys: BTreeSet<&String> = a.into_iter().chain(b).flat_map(|s| s.keys()).collect();
        for key in keys {
            let (x, y) = (a.and_then(|s| s.get(key)), b.and_then(|s| s.get(key)));
            if let Some(change) = kind(x, y) {
                changes.push(Change {
                    conf: conf.to_owned(),
                    stanza: name.to_owned(),
                    key: key.clone(),
                    change,
                    before: x.cloned(),
                    after: y.cloned(),
                });
            }
        }
    }
    changes
}

fn index(view: &[EffectiveStanza]) -> BTreeMap<&str, &EffectiveStanza> {
    view.iter().map(|s| (s.stanza.as_str(), s)).collect()
}

fn settings<'a>(
    view: &BTreeMap<&str, &'a EffectiveStanza>,
    name: &str,
) -> Option<&'a BTreeMap<String, Setting>> {
    view.get(name).map(|s| &s.settings)
}

fn kind(before: Option<&Setting>, after: Option<&Setting>) -> Option<ChangeKind> {
    let own = |s: Option<&Setting>| s.is_some_and(|s| !s.inherited);
    if !own(before) && !own(after) {
        return None;
    }
    match (before, after) {
        (None, Some(_)) => Some(ChangeKind::Added),
        (Some(_), None) => Some(ChangeKind::Removed),
        (Some(x), Some(y)) if x.value != y.value => Some(ChangeKind::Changed),
        _ => None,
    }
}
