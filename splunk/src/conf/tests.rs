//! One test per rule of `conf-semantics.md`, named for the rule: text, lines, comments, continuations.
//! Headers and settings are in `tests_stanzas.rs`.

use super::tests_stanzas::{kinds, ok, value};
use super::*;

#[test]
fn utf8_text_parses() {
    let f = ok("[é]\nkey = välue ✓\n");
    assert_eq!(value(&f, "é", "key"), Some("välue ✓"));
}

#[test]
fn leading_utf8_bom_is_skipped() {
    let f = parse(b"\xEF\xBB\xBF[a]\nk = v\n").expect("parses");
    assert_eq!(f.stanzas[0].name, "a");
    assert!(f.warnings.is_empty());
}

#[test]
fn invalid_utf8_is_a_file_error_with_its_line() {
    let err = parse(b"[a]\nk = v\nbad = \xFF\n").expect_err("invalid");
    assert_eq!(
        err,
        ParseError::InvalidUtf8 {
            line: 3,
            offset: 16
        }
    );
    assert!(err.to_string().contains("line 3"));
}

#[test]
fn utf16le_with_bom_is_decoded_with_a_warning() {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend("[a]\r\nk = v\r\n".encode_utf16().flat_map(u16::to_le_bytes));
    let f = parse(&bytes).expect("parses");
    assert_eq!(value(&f, "a", "k"), Some("v"));
    assert_eq!(kinds(&f), vec![(1, WarningKind::Decoded)]);
}

#[test]
fn utf16be_with_bom_is_decoded_with_a_warning() {
    let mut bytes = vec![0xFE, 0xFF];
    bytes.extend("[b]\nk = w\n".encode_utf16().flat_map(u16::to_be_bytes));
    let f = parse(&bytes).expect("parses");
    assert_eq!(value(&f, "b", "k"), Some("w"));
    assert_eq!(f.warnings[0].kind, WarningKind::Decoded);
}

#[test]
fn utf32le_with_bom_is_decoded_with_a_warning() {
    let mut bytes = vec![0xFF, 0xFE, 0, 0];
    bytes.extend(
        "[c]\nk = x\n"
            .chars()
            .flat_map(|c| u32::from(c).to_le_bytes()),
    );
    let f = parse(&bytes).expect("parses");
    assert_eq!(value(&f, "c", "k"), Some("x"));
}

#[test]
fn utf16_with_a_lone_surrogate_is_a_file_error() {
    let bytes = [0xFF, 0xFE, b'k', 0, 0x00, 0xD8, b'x', 0];
    assert!(matches!(
        parse(&bytes),
        Err(ParseError::InvalidUtf16 {
            encoding: "UTF-16LE",
            ..
        })
    ));
}

#[test]
fn utf16_with_an_odd_byte_count_is_a_file_error() {
    assert!(matches!(
        parse(&[0xFE, 0xFF, 0, b'k', 0]),
        Err(ParseError::InvalidUtf16 { .. })
    ));
}

#[test]
fn newline_separates_lines() {
    let f = ok("[a]\nk1 = 1\nk2 = 2");
    assert_eq!(
        f.stanzas[0].settings,
        vec![("k1".into(), "1".into()), ("k2".into(), "2".into())]
    );
}

#[test]
fn one_trailing_carriage_return_is_dropped() {
    let f = ok("[a]\r\nk = v\r\n");
    assert_eq!(value(&f, "a", "k"), Some("v"));
    assert!(f.warnings.is_empty());
}

#[test]
fn lone_carriage_return_is_not_a_line_break_and_warns() {
    let f = ok("[a]\nk = v\rx = y\n");
    assert_eq!(value(&f, "a", "k"), Some("v\rx = y"));
    assert_eq!(kinds(&f), vec![(2, WarningKind::LoneCarriageReturn)]);
}

#[test]
fn blank_lines_are_ignored() {
    let f = ok("\n\n   \n\t\n[a]\n\nk = v\n\n");
    assert_eq!(f.setting_count(), 1);
    assert!(f.warnings.is_empty());
}

#[test]
fn hash_line_is_a_comment() {
    let f = ok("[a]\n# k = v\n   #x = y\n");
    assert_eq!(f.setting_count(), 0);
    assert!(f.warnings.is_empty());
}

#[test]
fn semicolon_line_is_a_comment() {
    let f = ok("[a]\n; k = v\n  ;x\n");
    assert_eq!(f.setting_count(), 0);
    assert!(f.warnings.is_empty());
}

#[test]
fn no_inline_comments() {
    let f = ok("[a]\nk = v # x\nj = w ; y\n");
    assert_eq!(value(&f, "a", "k"), Some("v # x"));
    assert_eq!(value(&f, "a", "j"), Some("w ; y"));
}

#[test]
fn trailing_backslash_continues_and_keeps_the_newline() {
    let f = ok("[a]\nk = one\\\ntwo\\\nthree\nj = 1\n");
    assert_eq!(value(&f, "a", "k"), Some("one\ntwo\nthree"));
    assert_eq!(value(&f, "a", "j"), Some("1"));
}

#[test]
fn continuation_is_resolved_before_comment_and_header_detection() {
    let f = ok("[a]\nk = x\\\n# not a comment\\\n[not a header]\n");
    assert_eq!(
        value(&f, "a", "k"),
        Some("x\n# not a comment\n[not a header]")
    );
    assert_eq!(f.stanzas.len(), 1);
}

#[test]
fn continuation_with_crlf_drops_the_carriage_return() {
    let f = ok("[a]\r\nk = x\\\r\ny\r\n");
    assert_eq!(value(&f, "a", "k"), Some("x\ny"));
}

#[test]
fn backslash_followed_by_spaces_is_not_a_continuation() {
    let f = ok("[a]\nk = x\\  \nj = y\n");
    assert_eq!(value(&f, "a", "k"), Some("x\\"));
    assert_eq!(value(&f, "a", "j"), Some("y"));
}

#[test]
fn comment_line_ending_in_backslash_is_never_continued() {
    let f = ok("[a]\n# comment \\\nk = v\n");
    assert_eq!(value(&f, "a", "k"), Some("v"));
}

#[test]
fn continuation_at_end_of_file_ends_the_value_without_the_backslash() {
    assert_eq!(value(&ok("[a]\nk = v\\"), "a", "k"), Some("v"));
    assert_eq!(value(&ok("[a]\nk = v\\\n"), "a", "k"), Some("v"));
}
