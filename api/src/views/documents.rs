//! Response bodies of the Splunk views (CONTRACT §5 item shapes, exactly).

use std::collections::BTreeMap;

use serde::Serialize;
use splunk::view::{Change, EffectiveStanza, Setting};
use utoipa::ToSchema;

/// One effective setting and the file that sets it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingDocument {
    /// The value Splunk uses.
    pub value: String,
    /// App of the file that sets it (`system` for `etc/system`; null for an archive without a top folder).
    pub app: Option<String>,
    /// `default` or `local`.
    pub layer: String,
    /// Path of that file inside the archive.
    pub source_path: String,
    /// Header line of the stanza that sets it in that file.
    pub line: i64,
    /// True when `[default]` (or a file's pre-header settings) supplies it.
    pub inherited: bool,
}

impl From<Setting> for SettingDocument {
    fn from(s: Setting) -> Self {
        Self {
            value: s.value,
            app: s.app,
            layer: s.layer,
            source_path: s.source_path,
            line: s.line,
            inherited: s.inherited,
        }
    }
}

/// One stanza of `GET /v1/runs/{run_id}/effective/{conf}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EffectiveStanzaDocument {
    /// Stanza name (`""` for `[]`).
    pub stanza: String,
    /// Settings by key, keys in byte order.
    pub settings: BTreeMap<String, SettingDocument>,
}

impl From<EffectiveStanza> for EffectiveStanzaDocument {
    fn from(s: EffectiveStanza) -> Self {
        Self {
            stanza: s.stanza,
            settings: s.settings.into_iter().map(|(k, v)| (k, v.into())).collect(),
        }
    }
}

/// One changed setting of `GET /v1/runs/{a}/diff/{b}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeDocument {
    /// Conf type.
    pub conf: String,
    /// Stanza name.
    pub stanza: String,
    /// Setting key.
    pub key: String,
    /// `added`, `removed` or `changed`.
    #[schema(pattern = "^(added|removed|changed)$")]
    pub change: String,
    /// The setting in run `a`; null when added.
    pub before: Option<SettingDocument>,
    /// The setting in run `b`; null when removed.
    pub after: Option<SettingDocument>,
}

impl From<Change> for ChangeDocument {
    fn from(c: Change) -> Self {
        Self {
            conf: c.conf,
            stanza: c.stanza,
            key: c.key,
            change: c.change.as_str().to_owned(),
            before: c.before.map(Into::into),
            after: c.after.map(Into::into),
        }
    }
}

/// A page of effective stanzas.
#[derive(Debug, Serialize, ToSchema)]
pub struct EffectivePage {
    /// This page's stanzas.
    pub items: Vec<EffectiveStanzaDocument>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<String>,
}

/// A page of changes.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiffPage {
    /// This page's changes.
    pub items: Vec<ChangeDocument>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<String>,
}
