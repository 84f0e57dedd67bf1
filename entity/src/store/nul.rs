//! Lossless storage of text containing NUL, which PostgreSQL `text` cannot hold.
//!
//! Rows whose text holds a NUL are written escaped and flagged (`nul_escaped`): `\` becomes
//! `\\` and NUL becomes `\0`. The mapping is a prefix code, so a name-prefix filter on escaped
//! rows compares against the escaped prefix. Rows without NUL are stored verbatim.

/// True when any of the strings contains NUL, i.e. the row must be escaped.
pub(crate) fn needs_escape<'a>(fields: impl IntoIterator<Item = &'a str>) -> bool {
    fields.into_iter().any(|field| field.contains('\0'))
}

/// Escapes one field of a flagged row.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out
}

/// Writes a field as stored: escaped when the row is flagged.
pub(crate) fn encode(text: &str, escaped: bool) -> String {
    if escaped {
        escape(text)
    } else {
        text.to_owned()
    }
}

/// Reads a field back; `escaped` is the row's flag.
pub(crate) fn decode(text: String, escaped: bool) -> String {
    if !escaped {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Diagnostics on runs (file names, error messages) are shown, not parsed: NUL becomes U+2400.
pub(crate) fn visible(text: &str) -> String {
    text.replace('\0', "\u{2400}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_text_round_trips() {
        for text in ["", "a\0b", "\\0", "\\\0\\", "𝄞\0😀", "plain\\d+"] {
            assert_eq!(decode(escape(text), true), text);
            assert!(!escape(text).contains('\0'));
        }
    }

    #[test]
    fn escaping_preserves_prefixes() {
        let name = "ab\\\0cd";
        for end in 0..=name.len() {
            if name.is_char_boundary(end) {
                assert!(escape(name).starts_with(&escape(&name[..end])));
            }
        }
        assert!(!escape("a\\0").starts_with(&escape("a\0")));
    }
}
