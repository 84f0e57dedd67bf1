//! The Splunk views of complete runs (CONTRACT §5): the effective configuration and the diff of
//! two runs, loaded through the store and merged by [`splunk::view`]. The routes and
//! `confq btool` / `confq diff` both go through here.

mod cursor;
pub mod documents;
pub mod params;

use std::collections::BTreeMap;

use entity::Store;
use entity::store::{RunId, StanzaRow};
use splunk::view::{Change, EffectiveStanza, SourceStanza};

pub use cursor::{After, Cursor, paginate};

use crate::error::ApiError;

/// The conf type of `.meta` files: permissions, never merged into a configuration view.
pub const META_CONF: &str = "meta";

/// The effective configuration of `conf` in run `run`, stanzas in byte order of their names;
/// with `stanza`, only that stanza (exact name).
///
/// # Errors
/// 404 for an unknown run, 409 when it is not complete, 503/500 when the database fails.
pub async fn effective(
    store: &Store,
    run: RunId,
    conf: &str,
    stanza: Option<&str>,
) -> Result<Vec<EffectiveStanza>, ApiError> {
    let rows = store.view_stanzas(run, Some(conf)).await?;
    if conf == META_CONF {
        return Ok(Vec::new());
    }
    let mut view = splunk::view::merge(&sources(rows));
    if let Some(name) = stanza {
        view.retain(|s| s.stanza == name);
    }
    Ok(view)
}

/// The changes from run `a` to run `b`, of one conf type or of every one (in byte order of the
/// conf names), stanza by stanza.
///
/// # Errors
/// 404 for an unknown run, 409 when either is not complete, 503/500 when the database fails.
pub async fn diff(
    store: &Store,
    a: RunId,
    b: RunId,
    conf: Option<&str>,
) -> Result<Vec<Change>, ApiError> {
    let before = by_conf(store.view_stanzas(a, conf).await?);
    let after = by_conf(store.view_stanzas(b, conf).await?);
    let mut confs: Vec<&String> = before.keys().chain(after.keys()).collect();
    confs.sort();
    confs.dedup();
    let mut changes = Vec::new();
    for conf in confs {
        let view = |runs: &BTreeMap<String, Vec<SourceStanza>>| {
            runs.get(conf)
                .map(|rows| splunk::view::merge(rows))
                .unwrap_or_default()
        };
        changes.extend(splunk::view::diff(conf, &view(&before), &view(&after)));
    }
    Ok(changes)
}

/// A run's stanzas grouped by conf type, `.meta` left out.
fn by_conf(rows: Vec<StanzaRow>) -> BTreeMap<String, Vec<SourceStanza>> {
    let mut groups: BTreeMap<String, Vec<StanzaRow>> = BTreeMap::new();
    for row in rows.into_iter().filter(|r| r.conf_type != META_CONF) {
        groups.entry(row.conf_type.clone()).or_default().push(row);
    }
    groups
        .into_iter()
        .map(|(conf, rows)| (conf, sources(rows)))
        .collect()
}

fn sources(rows: Vec<StanzaRow>) -> Vec<SourceStanza> {
    rows.into_iter().map(source).collect()
}

/// A stored stanza as the merge takes it; settings are JSON strings as written by the worker.
fn source(row: StanzaRow) -> SourceStanza {
    let settings = row
        .settings
        .into_iter()
        .map(|(key, value)| match value {
            serde_json::Value::String(text) => (key, text),
            other => (key, other.to_string()),
        })
        .collect();
    SourceStanza {
        app: row.app,
        layer: row.layer,
        source_path: row.source_path,
        line: row.line,
        name: row.name,
        global: row.global,
        settings,
    }
}
