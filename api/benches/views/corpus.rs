//! A generated run of the real corpus's shape (conf-semantics.md, "Real apps"): 16 app trees plus
//! `etc/system`, ≈ 400 files, ≈ 3,700 stanzas, ≈ 18,600 keys; about a quarter of the props
//! stanzas are sourcetypes that several apps configure, as TAs and their apps do.

use entity::store::{NewConfFile, NewStanza};

/// Conf types of every app with (stanzas, keys per stanza) in `default/`.
const DEFAULT_MIX: [(&str, usize, usize); 22] = [
    ("props", 40, 9),
    ("savedsearches", 40, 10),
    ("transforms", 30, 4),
    ("macros", 30, 2),
    ("eventtypes", 25, 2),
    ("inputs", 3, 3),
    ("outputs", 3, 3),
    ("indexes", 3, 3),
    ("tags", 3, 3),
    ("app", 3, 3),
    ("ui-prefs", 3, 3),
    ("web", 3, 3),
    ("server", 3, 3),
    ("limits", 3, 3),
    ("alert_actions", 3, 3),
    ("commands", 3, 3),
    ("authorize", 3, 3),
    ("collections", 3, 3),
    ("datamodels", 3, 3),
    ("fields", 3, 3),
    ("searchbnf", 3, 3),
    ("workflow_actions", 3, 3),
];

/// Figures of a generated run.
pub struct Shape {
    /// Files.
    pub files: usize,
    /// Stanzas.
    pub stanzas: usize,
    /// Keys over all stanzas.
    pub keys: usize,
}

/// The files of one run; `variant` changes a few values per app so two runs differ.
pub fn run(variant: usize) -> (Vec<NewConfFile>, Shape) {
    let mut files = Vec::new();
    for a in 0..16 {
        let app = format!("{}_app_{a:02}", if a % 3 == 0 { "TA" } else { "SA" });
        for (conf, stanzas, keys) in DEFAULT_MIX {
            files.push(file(&app, "default", conf, stanzas, keys, variant));
        }
        files.push(file(&app, "local", "props", 8, 2, variant));
        files.push(file(&app, "local", "savedsearches", 6, 2, variant));
        files.push(file(&app, "metadata", "meta", 6, 2, variant));
    }
    files.push(file("system", "default", "props", 20, 12, variant));
    files.push(file("system", "local", "props", 2, 2, variant));
    let shape = Shape {
        files: files.len(),
        stanzas: files.iter().map(|f| f.stanzas.len()).sum(),
        keys: files
            .iter()
            .flat_map(|f| &f.stanzas)
            .map(|s| s.settings.len())
            .sum(),
    };
    (files, shape)
}

fn file(
    app: &str,
    layer: &str,
    conf: &str,
    stanzas: usize,
    keys: usize,
    variant: usize,
) -> NewConfFile {
    let (dir, name) = match (app, conf) {
        ("system", _) => (format!("etc/system/{layer}"), format!("{conf}.conf")),
        (_, "meta") => (
            format!("etc/apps/{app}/metadata"),
            "default.meta".to_owned(),
        ),
        _ => (format!("etc/apps/{app}/{layer}"), format!("{conf}.conf")),
    };
    let stanzas = (0..stanzas)
        .map(|i| NewStanza {
            name: stanza_name(app, conf, i),
            global: false,
            line: 1 + 12 * i as i64,
            settings: (0..keys)
                .map(|k| {
                    // One value in 50 depends on the variant: the diff has something to find.
                    let changed = (i * keys + k).is_multiple_of(50);
                    let value = format!(
                        "{app}-{layer}-{i}-{k}-{}",
                        if changed { variant } else { 0 }
                    );
                    (key_name(conf, k), value)
                })
                .collect(),
        })
        .collect();
    NewConfFile {
        path: format!("{dir}/{name}"),
        app: Some(app.to_owned()),
        layer: if conf == "meta" {
            "metadata".into()
        } else {
            layer.to_owned()
        },
        conf_type: conf.to_owned(),
        size_bytes: 10_000,
        sha256: "ab".repeat(32),
        parse_error: None,
        warnings: vec![],
        stanzas,
    }
}

fn stanza_name(app: &str, conf: &str, i: usize) -> String {
    match (conf, i) {
        (_, 0) => "default".to_owned(),
        ("props", i) if i % 4 == 0 => format!("vendor:shared:{}", i / 4),
        ("savedsearches", i) => format!("{app} - Search {i}"),
        (_, i) => format!("{app}:{conf}:{i}"),
    }
}

fn key_name(conf: &str, k: usize) -> String {
    const PROPS: [&str; 12] = [
        "SHOULD_LINEMERGE",
        "LINE_BREAKER",
        "TIME_PREFIX",
        "TIME_FORMAT",
        "TRUNCATE",
        "KV_MODE",
        "EXTRACT-fields",
        "REPORT-kv",
        "EVAL-action",
        "FIELDALIAS-src",
        "LOOKUP-geo",
        "SEDCMD-mask",
    ];
    match conf {
        "props" => PROPS[k % PROPS.len()].to_owned(),
        _ => format!("{conf}_key_{k}"),
    }
}
