//! The bodies of the fuzz targets, as plain functions: the targets in `fuzz_targets/` call them
//! under libFuzzer (cargo-fuzz, nightly), and `tests/bodies.rs` runs them on stable over the
//! examples and deterministic mutations of them, so CI builds and exercises every target.

use splunk::archive::{ArchiveReader, Limits};

/// `parse_conf`: the `.conf` parser must never panic, and what it returns must be consistent
/// (warning lines within the input, every stanza with lines, keys unique within a stanza).
///
/// # Panics
/// When the parser panics or its result is inconsistent: that is the finding.
pub fn parse_conf(data: &[u8]) {
    let Ok(file) = splunk::conf::parse(data) else {
        return;
    };
    let lines = u32::try_from(newlines(data))
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    for warning in &file.warnings {
        assert!(
            warning.line >= 1 && warning.line <= lines,
            "warning line {} out of 1..={lines}",
            warning.line
        );
    }
    for stanza in &file.stanzas {
        assert!(!stanza.lines.is_empty());
        let mut keys: Vec<&str> = stanza.settings.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(
            keys.len(),
            stanza.settings.len(),
            "keys are unique within a stanza"
        );
    }
}

fn newlines(data: &[u8]) -> usize {
    data.iter().filter(|&&byte| byte == b'\n').count()
}

/// The small caps `read_archive` runs under, so that a finding is about logic, not memory.
pub const LIMITS: Limits = Limits {
    max_total_bytes: 1 << 20,
    max_entry_bytes: 1 << 16,
    max_entries: 64,
    max_conf_bytes: 1 << 18,
};

/// `read_archive`: the archive reader must never panic or exceed its caps on arbitrary bytes,
/// and whatever it hands out is parsed.
///
/// # Panics
/// When the reader panics or hands out more than its caps allow: that is the finding.
pub fn read_archive(data: &[u8]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let Ok(mut reader) = ArchiveReader::open(data, LIMITS).await else {
            return;
        };
        let mut conf_bytes = 0u64;
        while let Ok(Some(entry)) = reader.next_file().await {
            assert!(entry.size <= LIMITS.max_entry_bytes);
            conf_bytes += entry.size;
            assert!(
                conf_bytes <= LIMITS.max_conf_bytes,
                "conf text over its cap"
            );
            parse_conf(&entry.data);
        }
        assert!(reader.entries_seen() <= LIMITS.max_entries + 1);
    });
}
