//! Accumulates stanzas while parsing: merges repeated headers and applies last-wins per key while
//! keeping each key at its first-seen position.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use super::model::{GLOBAL_STANZA_NAME, Stanza, Warning, WarningKind};
use super::warnings::Warnings;

/// Past this many settings a stanza gets a hash index; below it a linear scan is cheaper.
const INDEX_AFTER: usize = 8;

/// A stanza under construction.
#[derive(Default)]
struct Building {
    stanza: Stanza,
    /// Hash of key → position; only for big stanzas. A hash clash falls back to a scan.
    index: HashMap<u64, usize>,
}

impl Building {
    fn position(&self, hasher: &RandomState, key: &str) -> Option<usize> {
        let settings = &self.stanza.settings;
        if settings.len() <= INDEX_AFTER {
            return settings.iter().position(|(k, _)| k == key);
        }
        match self.index.get(&hasher.hash_one(key)) {
            Some(&i) if settings[i].0 == key => Some(i),
            Some(_) => settings.iter().position(|(k, _)| k == key),
            None => None,
        }
    }

    fn push(&mut self, hasher: &RandomState, key: String, value: String) {
        let settings = &mut self.stanza.settings;
        settings.push((key, value));
        if settings.len() == INDEX_AFTER + 1 {
            for (i, (k, _)) in settings.iter().enumerate() {
                self.index.entry(hasher.hash_one(k.as_str())).or_insert(i);
            }
        } else if settings.len() > INDEX_AFTER + 1 {
            let i = settings.len() - 1;
            self.index
                .entry(hasher.hash_one(settings[i].0.as_str()))
                .or_insert(i);
        }
    }
}

/// All stanzas of a file, the global pseudo-stanza apart.
#[derive(Default)]
pub(crate) struct Builder {
    global: Option<Building>,
    stanzas: Vec<Building>,
    by_name: HashMap<String, usize>,
    /// Index into `stanzas` of the stanza being filled; `None` before the first header.
    current: Option<usize>,
    hasher: RandomState,
}

impl Builder {
    /// A header: switch to the stanza `name`, creating it or remembering one more header line.
    pub(crate) fn header(&mut self, name: &str, line: u32) {
        let index = match self.by_name.get(name) {
            Some(&i) => i,
            None => {
                let i = self.stanzas.len();
                self.stanzas.push(Building::default());
                self.stanzas[i].stanza.name = name.to_owned();
                self.by_name.insert(name.to_owned(), i);
                i
            }
        };
        self.stanzas[index].stanza.lines.push(line);
        self.current = Some(index);
    }

    /// A setting of the current stanza; warns when it replaces an earlier value.
    pub(crate) fn setting(&mut self, key: &str, value: &str, line: u32, warnings: &mut Warnings) {
        let target = match self.current {
            Some(i) => &mut self.stanzas[i],
            None => self.global.get_or_insert_with(|| Building {
                stanza: Stanza {
                    name: GLOBAL_STANZA_NAME.into(),
                    lines: vec![line],
                    ..Stanza::default()
                },
                index: HashMap::new(),
            }),
        };
        match target.position(&self.hasher, key) {
            Some(i) => {
                target.stanza.settings[i].1 = value.to_owned();
                warnings.push(Warning {
                    line,
                    kind: WarningKind::DuplicateKey,
                    message: format!(
                        "key {key:?} set again in stanza [{}]; the later value wins",
                        target.stanza.name
                    ),
                });
            }
            None => target.push(&self.hasher, key.to_owned(), value.to_owned()),
        }
    }

    /// The finished global pseudo-stanza and stanzas.
    pub(crate) fn finish(self) -> (Option<Stanza>, Vec<Stanza>) {
        (
            self.global.map(|b| b.stanza),
            self.stanzas.into_iter().map(|b| b.stanza).collect(),
        )
    }
}
