//! Property: for a single app the effective view is `local` over `default`, key by key (what
//! ksconf's merge gives), with `[default]` filling the rest.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

type Stanzas = BTreeMap<String, BTreeMap<String, String>>;

fn stanzas() -> impl Strategy<Value = Stanzas> {
    let keys = prop::collection::btree_map("[a-e]", "[0-9]{1,2}", 0..5);
    prop::collection::btree_map(prop_oneof![Just("default".to_owned()), "[s-v]"], keys, 0..5)
}

fn sources(layer: &str, stanzas: &Stanzas) -> Vec<SourceStanza> {
    stanzas
        .iter()
        .map(|(name, settings)| SourceStanza {
            app: Some("app".into()),
            layer: layer.into(),
            source_path: format!("app/{layer}/props.conf"),
            line: 1,
            name: name.clone(),
            global: false,
            settings: settings.clone().into_iter().collect(),
        })
        .collect()
}

/// The reference: ksconf-style `local` over `default` per stanza and key, then `[default]`.
fn reference(
    default: &Stanzas,
    local: &Stanzas,
) -> BTreeMap<String, BTreeMap<String, (String, bool)>> {
    let mut merged: Stanzas = default.clone();
    for (name, settings) in local {
        merged
            .entry(name.clone())
            .or_default()
            .extend(settings.clone());
    }
    let fallback = merged.get("default").cloned().unwrap_or_default();
    merged
        .into_iter()
        .map(|(name, own)| {
            let mut out: BTreeMap<String, (String, bool)> =
                own.into_iter().map(|(k, v)| (k, (v, false))).collect();
            if name != "default" {
                for (k, v) in &fallback {
                    out.entry(k.clone()).or_insert((v.clone(), true));
                }
            }
            (name, out)
        })
        .collect()
}

proptest! {
    #[test]
    fn a_single_app_is_local_over_default_key_by_key(default in stanzas(), local in stanzas()) {
        let mut input = sources("local", &local);
        input.extend(sources("default", &default));
        let got: BTreeMap<String, BTreeMap<String, (String, bool)>> = merge(&input)
            .into_iter()
            .map(|s| {
                let settings = s.settings.into_iter().map(|(k, v)| (k, (v.value, v.inherited))).collect();
                (s.stanza, settings)
            })
            .collect();
        prop_assert_eq!(got, reference(&default, &local));
    }
}
