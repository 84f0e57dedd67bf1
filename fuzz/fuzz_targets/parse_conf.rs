//! Fuzz target: the `.conf` parser must never panic, and what it returns must be consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = splunk::conf::parse(data) {
        let lines = data.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        for w in &file.warnings {
            assert!(w.line >= 1 && w.line <= lines, "warning line {} out of 1..={lines}", w.line);
        }
        for s in &file.stanzas {
            assert!(!s.lines.is_empty());
            let mut keys: Vec<&str> = s.settings.iter().map(|(k, _)| k.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), s.settings.len(), "keys are unique within a stanza");
        }
    }
});
