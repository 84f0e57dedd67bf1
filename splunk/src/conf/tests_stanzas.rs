//! One test per rule of `conf-semantics.md`, named for the rule: headers, settings, stanzas.

use super::*;

pub(super) fn ok(text: &str) -> ConfFile {
    parse(text.as_bytes()).expect("parses")
}

pub(super) fn value<'a>(file: &'a ConfFile, stanza: &str, key: &str) -> Option<&'a str> {
    file.stanza(stanza)?.get(key)
}

pub(super) fn kinds(file: &ConfFile) -> Vec<(u32, WarningKind)> {
    file.warnings.iter().map(|w| (w.line, w.kind)).collect()
}

#[test]
fn stanza_header_takes_the_text_between_brackets() {
    let f = ok("  [props]\n");
    assert_eq!(f.stanzas[0].name, "props");
    assert_eq!(f.stanzas[0].lines, vec![1]);
}

#[test]
fn stanza_name_keeps_inner_spaces_verbatim() {
    assert_eq!(ok("[ a b ]\n").stanzas[0].name, " a b ");
}

#[test]
fn stanza_name_runs_to_the_last_closing_bracket() {
    assert_eq!(ok("[My search [X]]\n").stanzas[0].name, "My search [X]");
}

#[test]
fn empty_stanza_name_is_legal() {
    let f = ok("[]\naccess = read : [ * ]\n");
    assert_eq!(f.stanzas[0].name, "");
    assert_eq!(value(&f, "", "access"), Some("read : [ * ]"));
    assert!(f.warnings.is_empty());
}

#[test]
fn text_after_the_last_bracket_keeps_the_stanza_and_warns() {
    let f = ok("[a] # c\nk = v\n");
    assert_eq!(value(&f, "a", "k"), Some("v"));
    assert_eq!(kinds(&f), vec![(1, WarningKind::TextAfterHeader)]);
}

#[test]
fn unclosed_header_is_ignored_with_a_warning() {
    let f = ok("[a]\nk = 1\n[b\nj = 2\n");
    assert_eq!(f.stanzas.len(), 1);
    assert_eq!(value(&f, "a", "j"), Some("2"));
    assert_eq!(kinds(&f), vec![(3, WarningKind::UnclosedHeader)]);
}

#[test]
fn unopened_header_is_ignored_with_a_warning() {
    let f = ok("[a]\nb]\n");
    assert_eq!(f.setting_count(), 0);
    assert_eq!(kinds(&f), vec![(2, WarningKind::UnopenedHeader)]);
}

#[test]
fn setting_splits_on_the_first_equals_sign() {
    let f = ok("[a]\nEVAL-x = if(a=1,\"y\",\"n\")\n");
    assert_eq!(value(&f, "a", "EVAL-x"), Some("if(a=1,\"y\",\"n\")"));
}

#[test]
fn key_and_value_are_trimmed() {
    let f = ok("[a]\n\t  key \t=   value with  spaces  \t\n");
    assert_eq!(
        f.stanzas[0].settings,
        vec![("key".into(), "value with  spaces".into())]
    );
}

#[test]
fn empty_value_is_legal() {
    let f = ok("[a]\nk =\nj=   \n");
    assert_eq!(value(&f, "a", "k"), Some(""));
    assert_eq!(value(&f, "a", "j"), Some(""));
    assert!(f.warnings.is_empty());
}

#[test]
fn empty_key_is_stored_with_a_warning() {
    let f = ok("[a]\n = v\n");
    assert_eq!(value(&f, "a", ""), Some("v"));
    assert_eq!(kinds(&f), vec![(2, WarningKind::EmptyKey)]);
}

#[test]
fn line_without_equals_is_ignored_with_a_warning() {
    let f = ok("[a]\njust words\nk = v\n");
    assert_eq!(f.setting_count(), 1);
    assert_eq!(kinds(&f), vec![(2, WarningKind::NoEquals)]);
}

#[test]
fn settings_before_the_first_header_form_the_global_pseudo_stanza() {
    let f = ok("# top\nk = 1\nj = 2\n[a]\nk = 3\n");
    let global = f.global.as_ref().expect("global");
    assert_eq!(global.name, GLOBAL_STANZA_NAME);
    assert_eq!(global.lines, vec![2]);
    assert_eq!(global.get("k"), Some("1"));
    assert_eq!(value(&f, "a", "k"), Some("3"));
    assert_eq!(f.setting_count(), 3);
}

#[test]
fn file_without_pre_header_settings_has_no_global() {
    assert!(ok("# only a comment\n[a]\nk = v\n").global.is_none());
}

#[test]
fn default_stanza_is_an_ordinary_stanza() {
    let f = ok("[default]\nk = 1\n[a]\n");
    assert_eq!(value(&f, "default", "k"), Some("1"));
    assert_eq!(value(&f, "a", "k"), None);
    assert!(f.global.is_none());
}

#[test]
fn same_stanza_twice_is_merged_and_remembers_every_header_line() {
    let f = ok("[a]\nk = 1\nj = 1\n[b]\n[a]\nk = 2\nm = 3\n");
    assert_eq!(f.stanzas.len(), 2);
    let a = f.stanza("a").expect("a");
    assert_eq!(a.lines, vec![1, 5]);
    let want: Vec<(String, String)> = [("k", "2"), ("j", "1"), ("m", "3")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(a.settings, want);
}

#[test]
fn same_key_twice_last_wins_at_the_first_position_with_a_warning() {
    let f = ok("[a]\nk = 1\nj = 2\nk = 3\n");
    assert_eq!(
        f.stanzas[0].settings,
        vec![("k".into(), "3".into()), ("j".into(), "2".into())]
    );
    assert_eq!(kinds(&f), vec![(4, WarningKind::DuplicateKey)]);
}

#[test]
fn duplicate_keys_are_found_in_big_stanzas_too() {
    let mut text = String::from("[a]\n");
    for i in 0..100 {
        text.push_str(&format!("k{i} = {i}\n"));
    }
    text.push_str("k7 = last\nk70 = last\n");
    let f = ok(&text);
    assert_eq!(f.stanzas[0].settings.len(), 100);
    assert_eq!(f.stanzas[0].settings[7], ("k7".into(), "last".into()));
    assert_eq!(f.stanzas[0].settings[70], ("k70".into(), "last".into()));
    assert_eq!(f.warnings.len(), 2);
}

#[test]
fn names_and_keys_are_case_sensitive() {
    let f = ok("[DEFAULT]\nK = 1\n[default]\nk = 2\n");
    assert_eq!(f.stanzas.len(), 2);
    assert_eq!(value(&f, "DEFAULT", "K"), Some("1"));
    assert_eq!(value(&f, "DEFAULT", "k"), None);
}

#[test]
fn class_keys_are_ordinary_keys() {
    let f = ok("[s]\nEXTRACT-a = (?<x>\\d+)\nREPORT-a = t1, t2\nTRANSFORMS-a = t3\n");
    assert_eq!(value(&f, "s", "EXTRACT-a"), Some("(?<x>\\d+)"));
    assert_eq!(value(&f, "s", "REPORT-a"), Some("t1, t2"));
    assert_eq!(f.setting_count(), 3);
}

#[test]
fn quotes_are_literal() {
    let f = ok("[\"q\"]\nk = \"v\"\n'j' = 'w'\n");
    assert_eq!(value(&f, "\"q\"", "k"), Some("\"v\""));
    assert_eq!(value(&f, "\"q\"", "'j'"), Some("'w'"));
}

#[test]
fn long_lines_have_no_limit() {
    let long = "x".repeat(65_537);
    let f = ok(&format!("[a]\nk = {long}\n"));
    assert_eq!(value(&f, "a", "k").map(str::len), Some(65_537));
}

#[test]
fn nul_bytes_are_kept() {
    let f = ok("[a\0]\nk = v\0w\n");
    assert_eq!(value(&f, "a\0", "k"), Some("v\0w"));
}

#[test]
fn form_feed_nel_and_line_separator_are_not_line_breaks() {
    let f = ok("[a]\nk = 1\x0cj = 2\u{85}m = 3\u{2028}n = 4\n");
    assert_eq!(f.setting_count(), 1);
    assert_eq!(
        value(&f, "a", "k"),
        Some("1\x0cj = 2\u{85}m = 3\u{2028}n = 4")
    );
}

#[test]
fn meta_stanza_names_are_kept_raw() {
    let f = ok("[props/Vendor%3AErrors/EXTRACT-x]\nexport = system\n");
    assert_eq!(f.stanzas[0].name, "props/Vendor%3AErrors/EXTRACT-x");
}

#[test]
fn warnings_display_their_line() {
    let f = ok("[a]\nnoequals\n");
    assert_eq!(
        f.warnings[0].to_string(),
        "line 2: line is not a header and has no `=`; ignored"
    );
}

#[test]
fn empty_file_has_nothing() {
    assert_eq!(ok(""), ConfFile::default());
}

#[test]
fn warnings_are_capped_and_the_rest_counted() {
    let text = "[a]\n".to_owned() + &"odd line\n".repeat(MAX_WARNINGS + 500);
    let f = ok(&text);
    assert_eq!(f.warnings.len(), MAX_WARNINGS + 1);
    let last = f.warnings.last().expect("summary");
    assert_eq!(
        (last.kind, last.line),
        (WarningKind::Suppressed, MAX_WARNINGS as u32 + 2)
    );
    assert!(last.message.starts_with("500 more warnings"));
}
