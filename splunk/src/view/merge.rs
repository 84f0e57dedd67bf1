//! The merge: every file of one conf type of a run, layered by precedence, key by key, then
//! `[default]` filling what each stanza leaves unset.

use std::collections::BTreeMap;

use serde::Serialize;

use super::precedence::{Tier, tier};
use crate::conf::GLOBAL_STANZA_NAME;

/// The stanza whose settings every other stanza of the conf type inherits.
pub const DEFAULT_STANZA: &str = GLOBAL_STANZA_NAME;

/// One stored stanza of one file: the merge's input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceStanza {
    /// The app folder (`system` for `etc/system`); `None` for an archive without a top folder.
    pub app: Option<String>,
    /// The stored layer: `default`, `local`, `metadata` or `other`.
    pub layer: String,
    /// Path of the file inside the archive.
    pub source_path: String,
    /// The stanza's first header line (for the pre-header settings: their first line).
    pub line: i64,
    /// Raw stanza name.
    pub name: String,
    /// True for the settings before the file's first header (they belong to `[default]`).
    pub global: bool,
    /// Settings in file order (keys unique, last value won in the file).
    pub settings: Vec<(String, String)>,
}

/// One effective setting with where it comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// The value Splunk uses.
    pub value: String,
    /// The app of the file that sets it.
    pub app: Option<String>,
    /// That file's layer (`default` or `local`).
    pub layer: String,
    /// That file's path inside the archive (what `btool --debug` prints).
    pub source_path: String,
    /// The header line of the stanza that sets it in that file.
    pub line: i64,
    /// True when the stanza does not set the key and `[default]` supplies it.
    pub inherited: bool,
}

/// One stanza of the effective configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EffectiveStanza {
    /// Stanza name.
    pub stanza: String,
    /// Settings by key, in byte order of the keys (as btool lists them).
    pub settings: BTreeMap<String, Setting>,
    /// The highest-precedence file that declares the stanza (btool prints it on the header).
    #[serde(skip)]
    pub source_path: String,
}

/// The effective configuration of one conf type: stanzas in byte order of their names.
///
/// `sources` are every stored stanza of that conf type in a run, in any order. Files outside the
/// global context ([`tier`] is `None`) are ignored.
pub fn merge(sources: &[SourceStanza]) -> Vec<EffectiveStanza> {
    let mut ranked: Vec<(Tier, &SourceStanza)> = sources
        .iter()
        .filter_map(|s| tier(s.app.as_deref(), &s.layer, &s.source_path).map(|t| (t, s)))
        .collect();
    // First wins: tier, then app folder in byte order, then the path (two copies of one app),
    // then a file's `[default]` header before its pre-header settings (it comes later in the
    // file, so it overrides them).
    ranked.sort_by(|(ta, a), (tb, b)| {
        ta.cmp(tb)
            .then_with(|| app_name(a).cmp(app_name(b)))
            .then_with(|| a.source_path.cmp(&b.source_path))
            .then_with(|| a.global.cmp(&b.global))
    });
    let mut stanzas: BTreeMap<&str, EffectiveStanza> = BTreeMap::new();
    for (_, source) in ranked {
        let name = if source.global {
            DEFAULT_STANZA
        } else {
            &source.name
        };
        let stanza = stanzas.entry(name).or_insert_with(|| EffectiveStanza {
            stanza: name.to_owned(),
            settings: BTreeMap::new(),
            source_path: source.source_path.clone(),
        });
        for (key, value) in &source.settings {
            if !stanza.settings.contains_key(key) {
                stanza.settings.insert(key.clone(), own(source, value));
            }
        }
    }
    inherit_default(&mut stanzas);
    stanzas.into_values().collect()
}

/// Apps compared by folder name in byte order; the app of a top-folder-less archive is `""`.
fn app_name(source: &SourceStanza) -> &[u8] {
    source.app.as_deref().unwrap_or("").as_bytes()
}

fn own(source: &SourceStanza, value: &str) -> Setting {
    Setting {
        value: value.to_owned(),
        app: source.app.clone(),
        layer: source.layer.clone(),
        source_path: source.source_path.clone(),
        line: source.line,
        inherited: false,
    }
}

/// `[default]` gives every other stanza the keys it does not set itself, from any layer.
fn inherit_default(stanzas: &mut BTreeMap<&str, EffectiveStanza>) {
    let Some(default) = stanzas.get(DEFAULT_STANZA).map(|d| d.settings.clone()) else {
        return;
    };
    for (name, stanza) in stanzas.iter_mut() {
        if *name == DEFAULT_STANZA {
            continue;
        }
        for (key, setting) in &default {
            if !stanza.settings.contains_key(key) {
                let inherited = Setting {
                    inherited: true,
                    ..setting.clone()
                };
                stanza.settings.insert(key.clone(), inherited);
            }
        }
    }
}
