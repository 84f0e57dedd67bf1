//! Fuzz target: the archive reader must never panic or exceed its caps on arbitrary bytes
//! (the body is `splunk_fuzz::read_archive`, which CI also runs on stable).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| splunk_fuzz::read_archive(data));
