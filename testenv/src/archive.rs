//! Archives built by the tests, byte by byte: one ustar writer (so hostile names, links, device
//! entries and traversal members can be written verbatim, which well-behaved writers refuse),
//! GNU long-name and PAX records, and gzip.

use std::io::Write;

/// A tar stream under construction; every member is written exactly as given.
#[derive(Debug, Default)]
pub struct Tar {
    bytes: Vec<u8>,
}

impl Tar {
    /// An empty archive.
    pub fn new() -> Self {
        Self::default()
    }

    /// A regular file.
    pub fn file(&mut self, name: impl AsRef<[u8]>, data: impl AsRef<[u8]>) -> &mut Self {
        self.raw(name, b'0', data, "")
    }

    /// A directory.
    pub fn dir(&mut self, name: impl AsRef<[u8]>) -> &mut Self {
        self.raw(name, b'5', "", "")
    }

    /// A symbolic link `name` → `target`.
    pub fn symlink(&mut self, name: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> &mut Self {
        self.raw(name, b'2', "", target)
    }

    /// A hard link `name` → `target`.
    pub fn hardlink(&mut self, name: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> &mut Self {
        self.raw(name, b'1', "", target)
    }

    /// A GNU `././@LongLink` record naming the next member, then that member (a file whose
    /// header carries the first 50 bytes of `name`).
    pub fn gnu_long_name(&mut self, name: &str, data: impl AsRef<[u8]>) -> &mut Self {
        let mut long = name.as_bytes().to_vec();
        long.push(0);
        self.raw("././@LongLink", b'L', long, "")
            .file(&name.as_bytes()[..50], data)
    }

    /// A PAX `path` record naming the next member, then that member.
    pub fn pax_name(&mut self, name: &str, data: impl AsRef<[u8]>) -> &mut Self {
        let body = format!(" path={name}\n");
        let digits = (1..)
            .find(|d: &usize| (d + body.len()).to_string().len() == *d)
            .expect("some width fits");
        let record = format!("{}{body}", digits + body.len());
        self.raw("PaxHeaders/x", b'x', record, "")
            .file("short-pax-name", data)
    }

    /// One member with a hand-made ustar header: `typeflag` as given (`b'0'` file, `b'1'` hard
    /// link, `b'2'` symlink, `b'3'` device, `b'5'` directory, …), its data padded to 512 bytes.
    pub fn raw(
        &mut self,
        name: impl AsRef<[u8]>,
        typeflag: u8,
        data: impl AsRef<[u8]>,
        link: impl AsRef<[u8]>,
    ) -> &mut Self {
        let data = data.as_ref();
        self.header(name.as_ref(), typeflag, link.as_ref(), data.len() as u64);
        self.bytes.extend_from_slice(data);
        self.bytes.resize(self.bytes.len().div_ceil(512) * 512, 0);
        self
    }

    /// Only the header of a regular file of `size` bytes: the caller streams the data, its
    /// padding and the end blocks itself (for members too big to hold in memory).
    pub fn header_only(&mut self, name: impl AsRef<[u8]>, size: u64) -> &mut Self {
        self.header(name.as_ref(), b'0', b"", size);
        self
    }

    /// The bytes so far, without the end-of-archive blocks.
    pub fn finish_without_end(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes)
    }

    /// The finished archive (two zero blocks appended).
    pub fn finish(&mut self) -> Vec<u8> {
        let mut bytes = std::mem::take(&mut self.bytes);
        bytes.extend_from_slice(&[0; 1024]);
        bytes
    }

    /// A ustar header; `name` is cut at 100 bytes (a longer one needs a GNU or PAX record).
    fn header(&mut self, name: &[u8], typeflag: u8, link: &[u8], size: u64) {
        assert!(link.len() <= 100, "link targets up to 100 bytes");
        let name = &name[..name.len().min(100)];
        let mut header = [0_u8; 512];
        header[..name.len()].copy_from_slice(name);
        header[100..108].copy_from_slice(b"0000644\0");
        header[108..116].copy_from_slice(b"0000000\0");
        header[116..124].copy_from_slice(b"0000000\0");
        header[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
        header[136..148].copy_from_slice(b"14763060000\0");
        header[156] = typeflag;
        header[157..157 + link.len()].copy_from_slice(link);
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|&byte| u32::from(byte)).sum();
        header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        self.bytes.extend_from_slice(&header);
    }
}

/// Gzip-compresses `bytes`, fast (the generated archives of the process tests are large).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    gzip_at(bytes, flate2::Compression::fast())
}

/// Gzip-compresses `bytes` at the default level: the ratio an attacker's zip bomb would have.
pub fn gzip_default(bytes: &[u8]) -> Vec<u8> {
    gzip_at(bytes, flate2::Compression::default())
}

fn gzip_at(bytes: &[u8], level: flate2::Compression) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}
