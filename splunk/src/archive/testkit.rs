//! Test helpers: zips built in memory, small caps, a reader that fails, and one read of an archive
//! to the end; tars (byte by byte, where the defence needs a hostile header that well-behaved
//! writers refuse to produce) come from `testenv::archive`.

use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, StringEncoding, ZipEntryBuilder, ZipString};
use futures::AsyncWriteExt as _;
use testenv::archive::Tar;
use tokio::io::AsyncRead;

use super::{ArchiveError, ArchiveReader, ArchiveWarning, ConfEntry, Limits};

/// Gzips bytes at the default level (`testenv::archive`), for the async tests.
pub(crate) async fn gzip(bytes: &[u8]) -> Vec<u8> {
    testenv::archive::gzip_default(bytes)
}

/// Finishes and gzips a tar: a `.tgz`.
pub(crate) async fn tgz(tar: &mut Tar) -> Vec<u8> {
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
