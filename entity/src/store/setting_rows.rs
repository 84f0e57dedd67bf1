//! The `settings` rows of one stored stanza, built by [`super::Store::index_settings`].

use sea_orm::sea_query::SimpleExpr;

use super::nul::{encode, needs_escape};
use crate::setting::Column as C;
use crate::{StoreError, stanza};

/// Characters of a key kept in `key_head`, the indexed column.
pub(crate) const KEY_HEAD_CHARS: usize = 200;

/// Bind parameters per setting row (the columns of [`COLUMNS`]).
pub(crate) const PARAMS: usize = 12;

/// The columns each row gives, in order.
pub(crate) const COLUMNS: [C; PARAMS] = [
    C::RunId,
    C::FileId,
    C::ConfType,
    C::Stanza,
    C::Key,
    C::KeyHead,
    C::Value,
    C::App,
    C::Layer,
    C::SourcePath,
    C::Line,
    C::NulEscaped,
];

/// The key's indexed head: its first [`KEY_HEAD_CHARS`] characters.
pub(crate) fn key_head(key: &str) -> &str {
    match key.char_indices().nth(KEY_HEAD_CHARS) {
        Some((at, _)) => &key[..at],
        None => key,
    }
}

/// One row per setting of a stored stanza (its JSON settings, file order), text columns as the
/// stanza stores them. A row is NUL-escaped when the stanza is, or when its key or value holds
/// NUL (then the stanza's verbatim texts are escaped too).
pub(crate) fn rows(stanza: &stanza::Model) -> Result<Vec<[SimpleExpr; PARAMS]>, StoreError> {
    let Ok(serde_json::Value::Object(settings)) = serde_json::from_str(&stanza.settings) else {
        return Err(StoreError::Corrupt(format!(
            "stanza {}: settings",
            stanza.id
        )));
    };
    let mut out = Vec::with_capacity(settings.len());
    for (key, value) in settings {
        let serde_json::Value::String(value) = value else {
            return Err(StoreError::Corrupt(format!(
                "stanza {}: a value",
                stanza.id
            )));
        };
        let esc = stanza.nul_escaped || needs_escape([key.as_str(), value.as_str()]);
        // The stanza's texts: already escaped when it is flagged, else escaped as the row needs.
        let text = |stored: &str| {
            if stanza.nul_escaped {
                stored.to_owned()
            } else {
                encode(stored, esc)
            }
        };
        let key = encode(&key, esc);
        let head = key_head(&key).to_owned();
        out.push([
            stanza.run_id.into(),
            stanza.file_id.into(),
            text(&stanza.conf_type).into(),
            text(&stanza.name).into(),
            key.into(),
            head.into(),
            encode(&value, esc).into(),
            stanza.app.as_deref().map(text).into(),
            text(&stanza.layer).into(),
            text(&stanza.source_path).into(),
            stanza.line.into(),
            esc.into(),
        ]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_head_keeps_the_first_200_characters() {
        assert_eq!(key_head("EVAL-x"), "EVAL-x");
        let long = "é".repeat(300);
        assert_eq!(key_head(&long).chars().count(), KEY_HEAD_CHARS);
    }
}
