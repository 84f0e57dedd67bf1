//! Test helpers: archives built in memory, byte by byte where the defence needs a hostile header
//! that well-behaved writers refuse to produce.

use async_compression::tokio::write::GzipEncoder;
use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, StringEncoding, ZipEntryBuilder, ZipString};
use futures::AsyncWriteExt as _;
use tokio::io::{AsyncRead, AsyncWriteExt};

use super::{ArchiveError, ArchiveReader, ArchiveWarning, ConfEntry, Limits};

/// Builds a tar with raw ustar headers (any name, any type flag).
#[derive(Default)]
pub(crate) struct TarballBuilder {
    out: Vec<u8>,
}

impl TarballBuilder {
    pub(crate) fn file(self, name: &str, data: &[u8]) -> Self {
        self.raw(name.as_bytes(), b'0', data, "")
    }

    pub(crate) fn dir(self, name: &str) -> Self {
        self.raw(name.as_bytes(), b'5', b"", "")
    }

    pub(crate) fn symlink(self, name: &str, target: &str) -> Self {
        self.raw(name.as_bytes(), b'2', b"", target)
    }

    pub(crate) fn hardlink(self, name: &str, target: &str) -> Self {
        self.raw(name.as_bytes(), b'1', b"", target)
    }

    /// A GNU `././@LongLink` record naming the next member.
    pub(crate) fn gnu_long_name(self, name: &str, data: &[u8]) -> Self {
        let mut long = name.as_bytes().to_vec();
        long.push(0);
        self.raw(b"././@LongLink", b'L', &long, "")
            .file(&name[..50], data)
    }

    /// A PAX `path` record naming the next member.
    pub(crate) fn pax_name(self, name: &str, data: &[u8]) -> Self {
        let body = format!(" path={name}\n");
        let digits = (1..)
            .find(|d: &usize| (d + body.len()).to_string().len() == *d)
            .expect("some width fits");
        let record = format!("{}{body}", digits + body.len());
        self.raw(b"PaxHeaders/x", b'x', record.as_bytes(), "")
            .file("short-pax-name", data)
    }

    /// One member with a hand-made ustar header.
    pub(crate) fn raw(mut self, name: &[u8], typeflag: u8, data: &[u8], link: &str) -> Self {
        let mut h = [0u8; 512];
        h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
        h[100..108].copy_from_slice(b"0000644\0");
        h[108..116].copy_from_slice(b"0000000\0");
        h[116..124].copy_from_slice(b"0000000\0");
        h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
        h[136..148].copy_from_slice(b"00000000000\0");
        h[156] = typeflag;
        h[157..157 + link.len()].copy_from_slice(link.as_bytes());
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        self.out.extend_from_slice(&h);
        self.out.extend_from_slice(data);
        self.out.resize(self.out.len().div_ceil(512) * 512, 0);
        self
    }

    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.out.extend_from_slice(&[0u8; 1024]);
        self.out
    }
}

/// Gzips bytes.
pub(crate) async fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzipEncoder::new(Vec::new());
    enc.write_all(bytes).await.expect("gzip");
    enc.shutdown().await.expect("gzip");
    enc.into_inner()
}

/// Finishes and gzips a tar: a `.tgz`.
pub(crate) async fn tgz(tar: TarballBuilder) -> Vec<u8> {
    gzip(&tar.finish()).await
}

/// Builds a zip with async_zip's writer; names are raw bytes (so `\` and non-UTF-8 are possible).
#[derive(Default)]
pub(crate) struct ZipBuilder {
    entries: Vec<(Vec<u8>, Vec<u8>, Compression, bool)>,
}

impl ZipBuilder {
    pub(crate) fn file(self, name: &str, data: &[u8]) -> Self {
        self.raw(name.as_bytes(), data, Compression::Deflate, false)
    }

    pub(crate) fn stored(self, name: &str, data: &[u8]) -> Self {
        self.raw(name.as_bytes(), data, Compression::Stored, false)
    }

    /// A deflated member written in streaming mode, so it carries a data descriptor.
    pub(crate) fn streamed(self, name: &str, data: &[u8]) -> Self {
        self.raw(name.as_bytes(), data, Compression::Deflate, true)
    }

    pub(crate) fn raw(
        mut self,
        name: &[u8],
        data: &[u8],
        compression: Compression,
        stream: bool,
    ) -> Self {
        self.entries
            .push((name.to_vec(), data.to_vec(), compression, stream));
        self
    }

    pub(crate) async fn finish(self) -> Vec<u8> {
        let mut zip = ZipFileWriter::new(Vec::new());
        for (name, data, compression, stream) in self.entries {
            let encoding = if std::str::from_utf8(&name).is_ok() {
                StringEncoding::Utf8
            } else {
                StringEncoding::Raw
            };
            let entry = ZipEntryBuilder::new(ZipString::new(name, encoding), compression);
            if stream {
                let mut w = zip.write_entry_stream(entry).await.expect("stream entry");
                w.write_all(&data).await.expect("write");
                w.close().await.expect("close entry");
            } else {
                zip.write_entry_whole(entry, &data).await.expect("entry");
            }
        }
        zip.close().await.expect("close zip")
    }
}

/// Caps small enough for a test to reach.
pub(crate) fn small() -> Limits {
    Limits {
        max_total_bytes: 1 << 20,
        max_entry_bytes: 1 << 16,
        max_entries: 100,
        max_conf_bytes: 1 << 20,
    }
}

/// Everything one read of `bytes` produced.
pub(crate) struct Outcome {
    pub files: Vec<ConfEntry>,
    pub error: Option<ArchiveError>,
    pub warnings: Vec<ArchiveWarning>,
    pub entries_seen: u64,
}

impl Outcome {
    pub(crate) fn paths(&self) -> Vec<&str> {
        self.files.iter().map(|f| f.path.as_str()).collect()
    }

    pub(crate) fn err(self) -> ArchiveError {
        self.error.expect("an error")
    }
}

/// Opens and reads `bytes` to the end or the first error.
pub(crate) async fn read_all(bytes: &[u8], limits: Limits) -> Outcome {
    let mut reader = match ArchiveReader::open(bytes, limits).await {
        Ok(r) => r,
        Err(e) => {
            return Outcome {
                files: vec![],
                error: Some(e),
                warnings: vec![],
                entries_seen: 0,
            };
        }
    };
    let mut files = Vec::new();
    let error = loop {
        match reader.next_file().await {
            Ok(Some(f)) => files.push(f),
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    Outcome {
        files,
        error,
        warnings: reader.warnings().to_vec(),
        entries_seen: reader.entries_seen(),
    }
}

/// A reader whose storage fails after `ok` bytes.
pub(crate) struct FailingReader {
    pub data: Vec<u8>,
    pub ok: usize,
}

impl AsyncRead for FailingReader {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.ok == 0 {
            return std::task::Poll::Ready(Err(std::io::Error::other("disk on fire")));
        }
        let n = self.ok.min(buf.remaining()).min(self.data.len());
        buf.put_slice(&self.data[..n]);
        self.data.drain(..n);
        self.ok -= n;
        std::task::Poll::Ready(Ok(()))
    }
}
