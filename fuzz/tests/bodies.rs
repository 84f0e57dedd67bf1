//! The fuzz bodies on stable, in CI: the examples, and deterministic truncations and byte flips
//! of them (a seed corpus, not a fuzzer; cargo-fuzz does the searching, see docs/parser.md), and
//! every input a fuzzer crashed on (`tests/crashes/<target>-<what>`).

const ARCHIVES: [&[u8]; 2] = [
    include_bytes!("../../examples/splunk-apps.tgz"),
    include_bytes!("../../examples/splunk-apps.zip"),
];

/// xorshift: the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// `data`, truncated at a few places and with a few bytes flipped: 2 × `n` inputs.
fn mutations(data: &[u8], n: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(0x00c0_ffee_d00d);
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(data[..rng.below(data.len() + 1)].to_vec());
        let mut flipped = data.to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(flipped.len());
            flipped[at] ^= 1 << rng.below(8);
        }
        out.push(flipped);
    }
    out
}

#[test]
fn read_archive_survives_the_examples_and_their_mutations() {
    for archive in ARCHIVES {
        splunk_fuzz::read_archive(archive);
        for input in mutations(archive, 200) {
            splunk_fuzz::read_archive(&input);
        }
    }
}

#[test]
fn parse_conf_survives_conf_text_and_its_mutations() {
    let conf =
        b"# comment\n[default]\nA = 1\n\n[stanza [nested]]\nB = two \\\n  three\nB = again\n\
                 =novalue\nno equals sign\n[unterminated\nC=\xff\xfe\r\n";
    splunk_fuzz::parse_conf(conf);
    for input in mutations(conf, 500) {
        splunk_fuzz::parse_conf(&input);
    }
    for archive in ARCHIVES {
        splunk_fuzz::parse_conf(archive);
    }
}

/// Inputs the fuzzers crashed on (`fuzz/artifacts/…`, copied here): each must now pass.
#[test]
fn past_fuzzer_crashes_pass() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/crashes");
    let mut replayed = 0;
    for entry in std::fs::read_dir(dir).expect("tests/crashes") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        let input = std::fs::read(&path).expect("read the crash input");
        if name.starts_with("read_archive-") {
            splunk_fuzz::read_archive(&input);
        } else {
            splunk_fuzz::parse_conf(&input);
        }
        replayed += 1;
    }
    assert!(replayed > 0, "no crash inputs in {dir}");
}
