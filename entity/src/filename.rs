//! The one sanitiser of a run's `filename`, whoever supplies it (an upload, `confq ingest`, a
//! producer's `{"object", "filename"}` task): the name is for display only, storage keys never
//! derive from it.

/// The longest `filename` kept, in characters.
pub const MAX_FILENAME: usize = 255;

/// The name shown for a run: control characters become `_`, at most [`MAX_FILENAME`]
/// characters, `upload` when none (or an empty one) is given. Path separators and `..` are kept
/// as they are: they are text here, never a path.
pub fn display_name(name: Option<&str>) -> String {
    let name: String = name
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .take(MAX_FILENAME)
        .collect();
    if name.is_empty() {
        "upload".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_underscores() {
        assert_eq!(
            display_name(Some("../\u{1b}[31mevil\n.tgz\0")),
            "../_[31mevil_.tgz_"
        );
        assert_eq!(display_name(Some("\u{9b}x")), "_x");
    }

    #[test]
    fn long_names_are_cut_and_missing_ones_named_upload() {
        let long = "é".repeat(MAX_FILENAME + 10);
        assert_eq!(display_name(Some(&long)).chars().count(), MAX_FILENAME);
        assert_eq!(display_name(None), "upload");
        assert_eq!(display_name(Some("")), "upload");
    }

    #[test]
    fn sanitising_twice_changes_nothing_more() {
        let once = display_name(Some("a\u{7}b"));
        assert_eq!(display_name(Some(&once)), once);
    }
}
