//! Precedence: the worked example of issue 16, byte order of app names, local over default across
//! apps, the system layers, `[default]` inheritance and pre-header settings.

use super::*;

/// The stored stanzas of one file, parsed from `text`; app and layer come from `path` the way
/// the archive reader derives them (`system` for `etc/system`, else the folder above the layer).
pub(super) fn file(path: &str, text: &str) -> Vec<SourceStanza> {
    let dirs: Vec<&str> = path.split('/').collect();
    let layer_at = dirs.len() - 2;
    let app = if path.starts_with("etc/system/") {
        Some("system".to_owned())
    } else {
        layer_at.checked_sub(1).map(|i| dirs[i].to_owned())
    };
    let parsed = crate::parse(text.as_bytes()).expect("test text parses");
    let row = |name: &str, global, line: u32, settings: &[(String, String)]| SourceStanza {
        app: app.clone(),
        layer: dirs[layer_at].to_owned(),
        source_path: path.to_owned(),
        line: i64::from(line),
        name: name.to_owned(),
        global,
        settings: settings.to_vec(),
    };
    let global = parsed
        .global
        .iter()
        .map(|g| row(&g.name, true, g.lines[0], &g.settings));
    let named = parsed
        .stanzas
        .iter()
        .map(|s| row(&s.name, false, s.lines[0], &s.settings));
    global.chain(named).collect()
}

pub(super) fn view(files: &[(&str, &str)]) -> Vec<EffectiveStanza> {
    let sources: Vec<SourceStanza> = files.iter().flat_map(|(p, t)| file(p, t)).collect();
    merge(&sources)
}

fn stanza<'a>(view: &'a [EffectiveStanza], name: &str) -> &'a EffectiveStanza {
    view.iter()
        .find(|s| s.stanza == name)
        .unwrap_or_else(|| panic!("no [{name}] in {view:#?}"))
}

/// `(value, source_path, inherited)` of `key` in `[name]`.
fn at<'a>(view: &'a [EffectiveStanza], name: &str, key: &str) -> (&'a str, &'a str, bool) {
    let s = &stanza(view, name).settings[key];
    (&s.value, &s.source_path, s.inherited)
}

#[test]
fn the_worked_example_of_the_issue() {
    let v = view(&[
        ("B/default/props.conf", "[s]\na = 1\nb = 1\n"),
        ("A/default/props.conf", "[s]\na = 2\n"),
        ("B/local/props.conf", "[s]\nb = 3\n"),
        ("etc/system/default/props.conf", "[default]\nc = 9\n"),
    ]);
    assert_eq!(at(&v, "s", "a"), ("2", "A/default/props.conf", false));
    assert_eq!(at(&v, "s", "b"), ("3", "B/local/props.conf", false));
    assert_eq!(
        at(&v, "s", "c"),
        ("9", "etc/system/default/props.conf", true)
    );
    let c = &stanza(&v, "s").settings["c"];
    assert_eq!(
        (c.app.as_deref(), c.layer.as_str(), c.line),
        (Some("system"), "default", 1)
    );
    assert_eq!(stanza(&v, "s").settings.len(), 3);
    assert_eq!(
        at(&v, "default", "c"),
        ("9", "etc/system/default/props.conf", false)
    );
}

#[test]
fn apps_compare_in_byte_order_so_uppercase_wins_over_lowercase() {
    let v = view(&[
        ("a_app/default/props.conf", "[s]\nk = lower\n"),
        ("B_app/default/props.conf", "[s]\nk = B\nonly_b = 1\n"),
        ("A_app/default/props.conf", "[s]\nk = A\n"),
    ]);
    assert_eq!(at(&v, "s", "k").0, "A");
    assert_eq!(at(&v, "s", "only_b").0, "1");
    let v = view(&[
        ("a_app/default/props.conf", "[s]\nk = lower\n"),
        ("B_app/default/props.conf", "[s]\nk = B\n"),
    ]);
    assert_eq!(at(&v, "s", "k").0, "B");
}

#[test]
fn any_apps_local_beats_every_apps_default() {
    let v = view(&[
        ("A/default/props.conf", "[s]\nk = A-default\n"),
        ("Z/local/props.conf", "[s]\nk = Z-local\n"),
        ("Z/default/props.conf", "[s]\nk = Z-default\nz = 1\n"),
    ]);
    assert_eq!(at(&v, "s", "k"), ("Z-local", "Z/local/props.conf", false));
    assert_eq!(at(&v, "s", "z"), ("1", "Z/default/props.conf", false));
}

#[test]
fn system_local_is_highest_and_system_default_lowest() {
    let v = view(&[
        ("etc/system/default/props.conf", "[s]\nk = sd\nd = sd\n"),
        ("A/default/props.conf", "[s]\nk = ad\n"),
        ("A/local/props.conf", "[s]\nk = al\nl = al\n"),
        ("etc/system/local/props.conf", "[s]\nk = sl\n"),
    ]);
    assert_eq!(at(&v, "s", "k").0, "sl");
    assert_eq!(at(&v, "s", "l").0, "al");
    assert_eq!(at(&v, "s", "d").0, "sd");
}

#[test]
fn default_fills_missing_keys_but_never_beats_a_stanzas_own_key() {
    let v = view(&[
        (
            "etc/system/local/props.conf",
            "[default]\nk = from-default\nextra = x\n",
        ),
        (
            "etc/system/default/props.conf",
            "[s]\nk = own-lowest-layer\n",
        ),
        ("A/default/props.conf", "[t]\nother = 1\n"),
    ]);
    assert_eq!(
        at(&v, "s", "k"),
        ("own-lowest-layer", "etc/system/default/props.conf", false)
    );
    assert_eq!(
        at(&v, "s", "extra"),
        ("x", "etc/system/local/props.conf", true)
    );
    assert_eq!(
        at(&v, "t", "k"),
        ("from-default", "etc/system/local/props.conf", true)
    );
}

#[test]
fn a_key_set_only_in_default_reaches_every_stanza() {
    let v = view(&[
        (
            "A/default/props.conf",
            "[default]\nonly = d\n[x]\n[y]\nk = 1\n",
        ),
        ("B/default/props.conf", "[z]\nk = 2\n"),
    ]);
    for name in ["x", "y", "z"] {
        assert_eq!(
            at(&v, name, "only"),
            ("d", "A/default/props.conf", true),
            "[{name}]"
        );
    }
    let names: Vec<&str> = v.iter().map(|s| s.stanza.as_str()).collect();
    assert_eq!(names, ["default", "x", "y", "z"]);
}

#[test]
fn pre_header_settings_belong_to_default_and_a_later_default_header_overrides_them() {
    let v = view(&[
        (
            "A/default/props.conf",
            "g = global\nboth = global\n[default]\nboth = header\n[s]\n",
        ),
        ("B/local/props.conf", "lg = local-global\n[t]\n"),
    ]);
    assert_eq!(
        at(&v, "default", "g"),
        ("global", "A/default/props.conf", false)
    );
    assert_eq!(at(&v, "default", "both").0, "header");
    assert_eq!(at(&v, "s", "g"), ("global", "A/default/props.conf", true));
    assert_eq!(
        at(&v, "t", "lg"),
        ("local-global", "B/local/props.conf", true)
    );
    assert_eq!(stanza(&v, "default").settings["g"].line, 1);
}

#[test]
fn the_empty_stanza_name_is_an_ordinary_stanza_and_sorts_first() {
    let v = view(&[("A/default/props.conf", "[default]\nd = 1\n[]\nk = v\n[b]\n")]);
    let names: Vec<&str> = v.iter().map(|s| s.stanza.as_str()).collect();
    assert_eq!(names, ["", "b", "default"]);
    assert_eq!(at(&v, "", "k"), ("v", "A/default/props.conf", false));
    assert!(at(&v, "", "d").2);
}

#[test]
fn meta_other_and_user_files_are_not_merged() {
    let mut sources = file("A/default/props.conf", "[s]\nk = 1\n");
    sources.extend(file("A/bin/props.conf", "[s]\nk = other\nx = 1\n"));
    sources.extend(file("A/metadata/props.conf", "[s]\nk = meta\n"));
    sources.extend(file(
        "etc/users/admin/A/local/props.conf",
        "[s]\nk = user\n",
    ));
    let v = merge(&sources);
    assert_eq!(v.len(), 1);
    assert_eq!(stanza(&v, "s").settings.len(), 1);
    assert_eq!(at(&v, "s", "k").0, "1");
}

#[test]
fn the_header_path_is_the_highest_precedence_file_declaring_the_stanza() {
    let v = view(&[
        ("A/default/props.conf", "[s]\nk = 1\n"),
        ("B/local/props.conf", "[s]\n"),
    ]);
    assert_eq!(stanza(&v, "s").source_path, "B/local/props.conf");
    assert_eq!(at(&v, "s", "k").1, "A/default/props.conf");
}

#[test]
fn an_archive_without_a_top_folder_is_one_app_named_empty() {
    let mut sources = file("A/default/props.conf", "[s]\nk = A\n");
    sources.extend(file("default/props.conf", "[s]\nk = root\n"));
    assert_eq!(sources.last().map(|s| s.app.clone()), Some(None));
    assert_eq!(at(&merge(&sources), "s", "k").0, "root");
}
