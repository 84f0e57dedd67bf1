//! Parsed files and stanzas: what a worker writes ([`NewConfFile`]) and what readers get back.

use serde::{Deserialize, Serialize};

/// A non-fatal problem found while parsing a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileWarning {
    /// 1-based line, when the warning is about one.
    pub line: Option<u32>,
    /// What is odd.
    pub message: String,
}

/// One parsed conf file and its stanzas, as a worker hands it to [`crate::Store::write_results`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewConfFile {
    /// Path inside the archive.
    pub path: String,
    /// The app folder, when the file is inside one.
    pub app: Option<String>,
    /// `default`, `local`, `metadata` or `other`.
    pub layer: String,
    /// `props` for `props.conf`, `meta` for `.meta` files.
    pub conf_type: String,
    /// File size.
    pub size_bytes: i64,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    /// Why the file could not be parsed, if it could not.
    pub parse_error: Option<String>,
    /// Non-fatal problems.
    pub warnings: Vec<FileWarning>,
    /// Stanzas in file order.
    pub stanzas: Vec<NewStanza>,
}

/// One stanza of a [`NewConfFile`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewStanza {
    /// Raw name (`""` for `[]`).
    pub name: String,
    /// True for the settings before the file's first header.
    pub global: bool,
    /// 1-based line of the header.
    pub line: i64,
    /// Settings in file order.
    pub settings: Vec<(String, String)>,
}

/// What [`crate::Store::write_results`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WriteSummary {
    /// Files written.
    pub files: u64,
    /// Stanzas written.
    pub stanzas: u64,
    /// Settings (key/value pairs) written.
    pub settings: u64,
}

/// A stored conf file (the fields of `GET /v1/runs/{id}/files`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfFileRow {
    /// File id.
    pub id: i64,
    /// Path inside the archive.
    pub path: String,
    /// App folder.
    pub app: Option<String>,
    /// Layer.
    pub layer: String,
    /// Conf type.
    pub conf_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Hex SHA-256.
    pub sha256: String,
    /// Stanzas written for it.
    pub stanza_count: i64,
    /// Parse error, null when fine.
    pub parse_error: Option<String>,
    /// Non-fatal problems.
    pub warnings: Vec<FileWarning>,
}

/// A stored stanza (the fields of `GET /v1/runs/{id}/stanzas`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StanzaRow {
    /// Stanza id.
    pub id: i64,
    /// The file it came from.
    pub file_id: i64,
    /// App folder.
    pub app: Option<String>,
    /// Layer.
    pub layer: String,
    /// Conf type.
    pub conf_type: String,
    /// Raw name.
    pub name: String,
    /// True for the settings before the file's first header.
    pub global: bool,
    /// Path of the file inside the archive.
    pub source_path: String,
    /// Line of the header.
    pub line: i64,
    /// Settings, file order kept.
    pub settings: serde_json::Map<String, serde_json::Value>,
}
