//! The diff of two effective views: added, removed and changed settings in stanza/key order.

use super::tests::view;
use super::*;

fn summary(changes: &[Change]) -> Vec<(String, String, &'static str)> {
    changes
        .iter()
        .map(|c| (c.stanza.clone(), c.key.clone(), c.change.as_str()))
        .collect()
}

#[test]
fn added_removed_and_changed_settings_in_stanza_then_key_order() {
    let before = view(&[(
        "A/default/props.conf",
        "[s]\na = 1\nb = 1\ngone = x\n[old]\nk = 1\n",
    )]);
    let after = view(&[
        ("A/default/props.conf", "[s]\na = 1\nb = 1\n[new]\nk = 1\n"),
        ("A/local/props.conf", "[s]\nb = 2\nc = 3\n"),
    ]);
    let changes = diff("props", &before, &after);
    let s = |a: &str, b: &str, c| (a.to_owned(), b.to_owned(), c);
    assert_eq!(
        summary(&changes),
        [
            s("new", "k", "added"),
            s("old", "k", "removed"),
            s("s", "b", "changed"),
            s("s", "c", "added"),
            s("s", "gone", "removed"),
        ]
    );
    let b = &changes[2];
    assert_eq!(b.conf, "props");
    let (x, y) = (
        b.before.as_ref().expect("before"),
        b.after.as_ref().expect("after"),
    );
    assert_eq!(
        (x.value.as_str(), x.source_path.as_str()),
        ("1", "A/default/props.conf")
    );
    assert_eq!(
        (y.value.as_str(), y.source_path.as_str()),
        ("2", "A/local/props.conf")
    );
    assert!(changes[0].before.is_none() && changes[1].after.is_none());
}

#[test]
fn identical_views_and_values_that_only_moved_have_no_changes() {
    let before = view(&[("A/default/props.conf", "[s]\na = 1\n")]);
    let after = view(&[("A/local/props.conf", "[s]\na = 1\n")]);
    assert!(diff("props", &before, &before).is_empty());
    assert!(diff("props", &before, &after).is_empty());
}

#[test]
fn a_default_change_is_reported_once_not_in_every_inheriting_stanza() {
    let before = view(&[(
        "A/default/props.conf",
        "[default]\nd = 1\n[x]\n[y]\nd = own\n",
    )]);
    let after = view(&[("A/default/props.conf", "[default]\nd = 2\n[x]\n[y]\n")]);
    let changes = diff("props", &before, &after);
    let s = |a: &str, b: &str, c| (a.to_owned(), b.to_owned(), c);
    // [x] inherits both times (left out); [y] lost its own value and now inherits `2`.
    assert_eq!(
        summary(&changes),
        [s("default", "d", "changed"), s("y", "d", "changed")]
    );
    assert!(changes[1].after.as_ref().is_some_and(|a| a.inherited));
}
