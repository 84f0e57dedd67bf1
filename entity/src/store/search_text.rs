//! The text of a settings search as each database reads it: LIKE and GLOB patterns with the
//! other wildcards made literal, FTS5 phrases, key-range bounds, NUL-holding text escaped.

use super::nul::escape;

/// Search text as rows store it: text holding NUL can only be in a NUL-escaped row (PostgreSQL
/// cannot even bind it), so it is searched for in its escaped form.
pub(super) fn stored(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') {
        escape(text).into()
    } else {
        text.into()
    }
}

/// The smallest string greater than every string that starts with `prefix` (byte order).
pub(super) fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=0x10FFFF).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// `*` → `%`, with LIKE's own wildcards and escape character escaped (PostgreSQL).
pub(super) fn like(pattern: &str) -> String {
    let parts: Vec<String> = pattern.split('*').map(escape_like).collect();
    parts.join("%")
}

/// LIKE's wildcards and escape character made literal.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `*` stays; GLOB's `?` and `[` are made literal (SQLite; GLOB is case-sensitive, as keys are).
pub(super) fn glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    for c in pattern.chars() {
        match c {
            '?' => out.push_str("[?]"),
            '[' => out.push_str("[[]"),
            c => out.push(c),
        }
    }
    out
}

/// `%value%` for ILIKE, the value's wildcards escaped.
pub(super) fn contains(value: &str) -> String {
    format!("%{}%", escape_like(value))
}

/// An FTS5 phrase: the value quoted, its `"` doubled; the trigram tokenizer then matches it as a
/// case-insensitive substring.
pub(super) fn phrase(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_of_the_databases_are_literal_in_patterns() {
        assert_eq!(like("a%b_c\\*"), "a\\%b\\_c\\\\%");
        assert_eq!(glob("a?[b]*"), "a[?][[]b]*");
        assert_eq!(contains("50%*"), "%50\\%*%");
        assert_eq!(phrase("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn the_successor_bounds_every_string_with_the_prefix() {
        assert_eq!(successor("EVAL-").as_deref(), Some("EVAL."));
        assert_eq!(successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(successor("\u{10FFFF}"), None);
        let high = successor("EVAL-").expect("bound");
        assert!("EVAL-zzz" < high.as_str() && "EVAL." >= high.as_str());
    }
}
