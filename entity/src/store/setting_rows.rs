//! The `settings` rows of one stanza, written beside it by [`super::Store::write_results`].

use sea_orm::sea_query::SimpleExpr;

use super::ids::RunId;
use super::nul::{encode, needs_escape};
use super::results::{NewConfFile, NewStanza};
use crate::setting::Column as C;

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

/// One row per setting of `stanza`; a row holding NUL anywhere is escaped and flagged.
pub(crate) fn rows<'a>(
    run: RunId,
    file_id: i64,
    file: &'a NewConfFile,
    stanza: &'a NewStanza,
) -> impl Iterator<Item = [SimpleExpr; PARAMS]> + 'a {
    stanza.settings.iter().map(move |(key, value)| {
        let texts = [
            file.path.as_str(),
            file.layer.as_str(),
            file.conf_type.as_str(),
            stanza.name.as_str(),
            key.as_str(),
            value.as_str(),
        ];
        let esc = needs_escape(texts.into_iter().chain(file.app.as_deref()));
        let key = encode(key, esc);
        let head = key_head(&key).to_owned();
        [
            run.0.into(),
            file_id.into(),
            encode(&file.conf_type, esc).into(),
            encode(&stanza.name, esc).into(),
            key.into(),
            head.into(),
            encode(value, esc).into(),
            file.app.as_deref().map(|app| encode(app, esc)).into(),
            encode(&file.layer, esc).into(),
            encode(&file.path, esc).into(),
            stanza.line.into(),
            esc.into(),
        ]
    })
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
