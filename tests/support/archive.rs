//! Archives built by the tests: a minimal ustar writer (so hostile names, links and traversal
//! entries can be written verbatim), gzip, and generated Splunk apps with known stanza counts.

use std::io::Write;
use std::path::Path;

/// A tar stream under construction; every entry is written exactly as given.
#[derive(Default)]
pub struct Tar {
    bytes: Vec<u8>,
}

impl Tar {
    /// An empty archive.
    pub fn new() -> Self {
        Self::default()
    }

    /// A regular file.
    pub fn file(&mut self, name: &[u8], data: &[u8]) -> &mut Self {
        self.entry(name, b'0', b"", data)
    }

    /// A symbolic link `name` → `target`.
    pub fn symlink(&mut self, name: &[u8], target: &[u8]) -> &mut Self {
        self.entry(name, b'2', target, b"")
    }

    /// A hard link `name` → `target`.
    pub fn hardlink(&mut self, name: &[u8], target: &[u8]) -> &mut Self {
        self.entry(name, b'1', target, b"")
    }

    /// Only the header of a regular file of `size` bytes: the caller streams the data, its
    /// padding and the end blocks itself (for members too big to hold in memory).
    pub fn header_only(&mut self, name: &[u8], size: u64) -> &mut Self {
        self.header(name, b'0', b"", size);
        self
    }

    /// The bytes so far, without the end-of-archive blocks.
    pub fn finish_without_end(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes)
    }

    fn entry(&mut self, name: &[u8], kind: u8, link: &[u8], data: &[u8]) -> &mut Self {
        self.header(name, kind, link, data.len() as u64);
        self.bytes.extend_from_slice(data);
        let padding = (512 - data.len() % 512) % 512;
        self.bytes.extend(std::iter::repeat_n(0, padding));
        self
    }

    fn header(&mut self, name: &[u8], kind: u8, link: &[u8], size: u64) {
        assert!(
            name.len() <= 100 && link.len() <= 100,
            "names up to 100 bytes"
        );
        let mut header = [0_u8; 512];
        header[..name.len()].copy_from_slice(name);
        header[100..107].copy_from_slice(b"0000644");
        header[108..115].copy_from_slice(b"0000000");
        header[116..123].copy_from_slice(b"0000000");
        header[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        header[136..147].copy_from_slice(b"14763060000");
        header[156] = kind;
        header[157..157 + link.len()].copy_from_slice(link);
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|&byte| u32::from(byte)).sum();
        header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        self.bytes.extend_from_slice(&header);
    }

    /// The finished archive (two zero blocks appended).
    pub fn finish(&mut self) -> Vec<u8> {
        let mut bytes = std::mem::take(&mut self.bytes);
        bytes.extend(std::iter::repeat_n(0, 1024));
        bytes
    }
}

/// Gzip-compresses `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

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
