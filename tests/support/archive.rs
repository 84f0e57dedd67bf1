//! Archives built by the tests: the ustar writer and gzip of `testenv::archive`, and generated
//! Splunk apps with known stanza counts.

use std::path::Path;

pub use testenv::archive::{Tar, gzip};

/// A generated app package and what its ingestion must produce.
pub struct Generated {
    /// The .tgz bytes.
    pub bytes: Vec<u8>,
    /// `.conf` files in it.
    pub files: i64,
    /// Stanzas in it (every file starts with a header, so no global pseudo-stanzas).
    pub stanzas: i64,
}

/// `apps` apps, each with a `default/props.conf` of `stanzas` stanzas whose settings hold
/// `value_bytes`-long values; `seed` makes each archive's content distinct.
pub fn generated_tgz(seed: u64, apps: usize, stanzas: usize, value_bytes: usize) -> Generated {
    let mut tar = Tar::new();
    let filler: String = (0..value_bytes)
        .map(|i| char::from(b'a' + ((i as u64 + seed) % 26) as u8))
        .collect();
    for app in 0..apps {
        let mut text = String::with_capacity(stanzas * (value_bytes + 64));
        for stanza in 0..stanzas {
            text.push_str(&format!("[sourcetype_{seed}_{app}_{stanza}]\nSHOULD_LINEMERGE = false\nTRANSFORMS-x = {filler}\n\n"));
        }
        tar.file(
            format!("app_{seed}_{app}/default/props.conf").as_bytes(),
            text.as_bytes(),
        );
    }
    let count = |n: usize| i64::try_from(n).expect("fits");
    Generated {
        bytes: gzip(&tar.finish()),
        files: count(apps),
        stanzas: count(apps * stanzas),
    }
}

/// Writes `bytes` to `path` and returns the path as a string.
pub fn write(path: &Path, bytes: &[u8]) -> String {
    std::fs::write(path, bytes).expect("write the archive");
    path.to_str().expect("UTF-8 temp path").to_owned()
}
