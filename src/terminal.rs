//! Text from producers (task names, file names, error messages, dead-letter reasons) made safe
//! for a terminal: a control character or a bidirectional override is shown escaped (`\u{1b}`),
//! never sent to the terminal, so a producer cannot recolour, rewrite or hide what an operator
//! reads.

/// Returns `text` with every control character and bidirectional-formatting character escaped
/// as Rust does (`\n`, `\t`, `\u{1b}`); everything else, backslashes included, is unchanged, so
/// escaping twice changes nothing more.
pub(crate) fn escape(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Control characters (C0, DEL, C1) and the Unicode bidirectional embeddings, overrides and
/// isolates ("Trojan Source").
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn terminal_escapes_are_shown_not_sent() {
        assert_eq!(escape("evil\u{1b}[31mred"), "evil\\u{1b}[31mred");
        assert_eq!(escape("a\nb\tc\u{7}"), "a\\nb\\tc\\u{7}");
        assert_eq!(escape("\u{9b}2J"), "\\u{9b}2J");
        assert_eq!(escape("abc\u{202e}fdp.exe"), "abc\\u{202e}fdp.exe");
    }

    #[test]
    fn printable_text_is_unchanged_and_escaping_twice_changes_nothing() {
        for text in [
            "splunk-apps.tgz",
            "../../etc_passwd",
            "naïve — ☃",
            "C:\\path",
        ] {
            assert_eq!(escape(text), text);
        }
        let once = escape("x\u{1b}y");
        assert_eq!(escape(&once), once);
    }
}
