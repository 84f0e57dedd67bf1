//! Property tests: rendering a stanza model and parsing it back gives the model; arbitrary bytes never panic.

use proptest::prelude::*;

use super::*;

/// A model that the renderer can write unambiguously (see `docs/parser.md`).
#[derive(Debug, Clone)]
struct Model {
    global: Vec<(String, String)>,
    stanzas: Vec<(String, Vec<(String, String)>)>,
}

fn key() -> impl Strategy<Value = String> {
    // No `=`, no line breaks, no outer blanks, no comment or header opener.
    "[A-Za-z0-9_.:-][A-Za-z0-9_.:() \\-]{0,20}[A-Za-z0-9_)]".prop_map(String::from)
}

fn value() -> impl Strategy<Value = String> {
    // May hold `=`, `#`, `[`, inner newlines; no outer blanks, no final backslash, no `\r`.
    prop_oneof![
        Just(String::new()),
        "[^\\s\\\\]([^\\r\\n]|\n){0,40}[^\\s\\\\]".prop_map(String::from),
    ]
}

fn settings() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map(key(), value(), 0..8).prop_map(|m| m.into_iter().collect())
}

fn model() -> impl Strategy<Value = Model> {
    let name = "[^\\r\\n\\\\]{0,20}";
    let stanzas = prop::collection::btree_map(name, settings(), 0..6);
    (settings(), stanzas).prop_map(|(global, stanzas)| Model {
        global,
        stanzas: stanzas.into_iter().collect(),
    })
}

fn render(model: &Model) -> String {
    let mut out = String::new();
    let setting = |out: &mut String, (k, v): &(String, String)| {
        out.push_str(&format!("{k} = {}\n", v.replace('\n', "\\\n")));
    };
    model.global.iter().for_each(|s| setting(&mut out, s));
    for (name, settings) in &model.stanzas {
        out.push_str(&format!("# stanza\n[{name}]\n"));
        settings.iter().for_each(|s| setting(&mut out, s));
    }
    out
}

proptest! {
    #[test]
    fn rendered_model_parses_back_to_the_model(model in model()) {
        let parsed = parse(render(&model).as_bytes()).expect("rendered text is UTF-8");
        let global = parsed.global.as_ref().map(|g| g.settings.clone()).unwrap_or_default();
        prop_assert_eq!(&global, &model.global);
        let stanzas: Vec<_> = parsed.stanzas.iter().map(|s| (s.name.clone(), s.settings.clone())).collect();
        prop_assert_eq!(&stanzas, &model.stanzas);
        prop_assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    }

    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn parsing_conf_like_text_never_panics(text in "([\\[\\]=#;\\\\ \\r\\n\\t]|[a-z]){0,300}") {
        if let Ok(file) = parse(text.as_bytes()) {
            prop_assert!(file.warnings.windows(2).all(|w| w[0].line <= w[1].line));
        }
    }
}
