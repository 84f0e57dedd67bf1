//! Fuzz target: the `.conf` parser must never panic, and what it returns must be consistent
//! (the body is `splunk_fuzz::parse_conf`, which CI also runs on stable).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| splunk_fuzz::parse_conf(data));
