//! Last-wins deduplication of members by path, for callers that collect entries.

use std::collections::HashMap;

use super::ConfEntry;

/// Keeps the last entry of each path (as extraction would), at the position of the path's first
/// appearance. The reader itself never holds more than one entry, so it returns duplicates (with
/// an [`super::ArchiveWarningKind::Duplicate`] warning) and leaves the choice to the caller.
pub fn keep_last(entries: impl IntoIterator<Item = ConfEntry>) -> Vec<ConfEntry> {
    let mut out: Vec<ConfEntry> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for entry in entries {
        match index.get(&entry.path) {
            Some(&i) => out[i] = entry,
            None => {
                index.insert(entry.path.clone(), out.len());
                out.push(entry);
            }
        }
    }
    out
}
