//! Fuzz target: the archive reader must never panic or exceed its caps on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use splunk::archive::{ArchiveReader, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_total_bytes: 1 << 20, max_entry_bytes: 1 << 16, max_entries: 64 };
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    rt.block_on(async {
        let Ok(mut reader) = ArchiveReader::open(data, limits).await else { return };
        while let Ok(Some(entry)) = reader.next_file().await {
            assert!(entry.size <= limits.max_entry_bytes);
            let _ = splunk::conf::parse(&entry.data);
        }
        assert!(reader.entries_seen() <= limits.max_entries + 1);
    });
});
