//! [`ArchiveReader`]: sniffs the format, then pulls one `.conf`/`.meta` member at a time, applying
//! every defence (names, links, debris, duplicates, caps) the same way for tar and zip.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use async_compression::tokio::bufread::GzipDecoder;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, BufReader};

use super::bytes_io::{classify, peek};
use super::path::{self, Name};
use super::sniff::{SNIFF_LEN, Sniffed, is_tar, sniff};
use super::source::{Source, Watch};
use super::tar::{TarBackend, TarStream};
use super::zip::ZipBackend;
use super::{ArchiveFormat, ArchiveWarning, ArchiveWarningKind, ConfEntry, Limits};
use crate::error::{ArchiveError, Cap};

/// What kind of member a header describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Link,
    Special,
    /// Metadata members with no file behind them (PAX global headers).
    Ignored,
    Unknown,
}

/// A member's header, as the backends report it.
pub(crate) struct Head {
    /// The name, lossily decoded.
    pub name: String,
    pub utf8: bool,
    pub kind: Kind,
    /// The size the header claims: an allocation hint, never trusted.
    pub declared: u64,
}

impl Head {
    pub(crate) fn new(raw: &[u8], kind: Kind, declared: u64) -> Self {
        let name = String::from_utf8_lossy(raw).into_owned();
        Head {
            utf8: std::str::from_utf8(raw).is_ok(),
            name,
            kind,
            declared,
        }
    }

    /// The clean path of a member worth reading, if it is one.
    fn wanted(&self) -> Option<String> {
        match path::clean(&self.name) {
            Name::Clean(p)
                if self.kind == Kind::File && !path::is_mac_debris(&p) && path::is_wanted(&p) =>
            {
                Some(p)
            }
            _ => None,
        }
    }
}

/// A member's head and, if it was wanted, its data.
pub(crate) struct Member {
    pub head: Head,
    pub data: Option<Vec<u8>>,
}

enum Backend<R: AsyncRead + Unpin> {
    Tar(Box<TarBackend<R>>),
    Zip(ZipBackend<R>),
}

/// Pull-based reader of the `.conf`/`.meta` members of a zip, tar or tar.gz stream.
///
/// Holds at most one member in memory. Duplicated paths are all returned (with a warning); use
/// [`super::keep_last`] to keep the last as extraction would.
pub struct ArchiveReader<R: AsyncRead + Unpin> {
    format: ArchiveFormat,
    backend: Backend<R>,
    limits: Limits,
    watch: Arc<Watch>,
    warnings: Vec<ArchiveWarning>,
    entries_seen: u64,
    returned: HashSet<String>,
    /// Bytes of the conf members handed out so far (against `max_conf_bytes`).
    conf_bytes: u64,
    /// Name of the member being read, or of the last one read: errors name it.
    current: String,
    /// Set after an error: the stream position is unknown, so reading stops.
    failed: bool,
}

impl<R: AsyncRead + Unpin + Send> ArchiveReader<R> {
    /// Sniffs the format from the content and gets ready to read members.
    ///
    /// # Errors
    /// [`ArchiveError::Unsupported`] for anything but zip, tar or tar.gz (a gzip without a tar
    /// inside included); [`ArchiveError::Io`] when `reader` fails; `Truncated`/`Corrupt` for a
    /// gzip stream that breaks in its first block.
    pub async fn open(reader: R, limits: Limits) -> Result<Self, ArchiveError> {
        let watch = Arc::new(Watch::default());
        let fail = |e| classify(e, &watch, &limits, "");
        let (head, input) = peek(Source::new(reader, watch.clone()), SNIFF_LEN)
            .await
            .map_err(fail)?;
        let (format, backend) = match sniff(&head)? {
            Sniffed::Zip { empty } => (
                ArchiveFormat::Zip,
                Backend::Zip(ZipBackend::new(input, empty)),
            ),
            Sniffed::Tar => (
                ArchiveFormat::Tar,
                tar(TarStream::Plain(input), &watch, &limits)?,
            ),
            Sniffed::Gzip => {
                let decoder = GzipDecoder::new(BufReader::new(input));
                let (inner, stream) = peek(decoder, SNIFF_LEN).await.map_err(fail)?;
                if !is_tar(&inner) {
                    let reason = "gzip data that does not hold a tar archive".to_owned();
                    return Err(ArchiveError::Unsupported { reason });
                }
                (
                    ArchiveFormat::TarGz,
                    tar(TarStream::Gzip(Box::new(stream)), &watch, &limits)?,
                )
            }
        };
        Ok(ArchiveReader {
            format,
            backend,
            limits,
            watch,
            warnings: Vec::new(),
            entries_seen: 0,
            returned: HashSet::new(),
            conf_bytes: 0,
            current: String::new(),
            failed: false,
        })
    }

    /// The detected format.
    pub fn format(&self) -> ArchiveFormat {
        self.format
    }

    /// The next `.conf`/`.meta` member, fully read; `None` at the end of the archive.
    ///
    /// # Errors
    /// A permanent error for a hostile or broken archive (see [`ArchiveError::is_permanent`]);
    /// [`ArchiveError::Io`] when the underlying reader fails. After an error, reading stops.
    pub async fn next_file(&mut self) -> Result<Option<ConfEntry>, ArchiveError> {
        if self.failed {
            return Ok(None);
        }
        let result = self.next_inner().await;
        self.failed = result.is_err();
        result
    }

    async fn next_inner(&mut self) -> Result<Option<ConfEntry>, ArchiveError> {
        loop {
            let want = |h: &Head| h.wanted().is_some();
            let member = match &mut self.backend {
                Backend::Tar(t) => t.next(want, &self.limits, &mut self.current).await,
                Backend::Zip(z) => {
                    z.next(want, &self.watch, &self.limits, &mut self.current)
                        .await
                }
            };
            let member =
                member.map_err(|e| classify(e, &self.watch, &self.limits, &self.current))?;
            let Some(Member { head, data }) = member else {
                return Ok(None);
            };
            self.entries_seen += 1;
            if self.entries_seen > self.limits.max_entries {
                let (limit, entry) = (self.limits.max_entries, head.name);
                return Err(ArchiveError::LimitExceeded {
                    cap: Cap::Entries,
                    limit,
                    entry,
                });
            }
            if let Some(entry) = self.admit(head, data)? {
                return Ok(Some(entry));
            }
        }
    }

    /// Applies the defences to one member; `Some` when it is a file to hand out.
    fn admit(
        &mut self,
        head: Head,
        data: Option<Vec<u8>>,
    ) -> Result<Option<ConfEntry>, ArchiveError> {
        let path = match path::clean(&head.name) {
            Name::Escapes => return Err(ArchiveError::PathTraversal { entry: head.name }),
            Name::Clean(p) => p,
        };
        let warn = |kind| ArchiveWarning {
            entry: head.name.clone(),
            kind,
        };
        let skipped = match head.kind {
            Kind::Link => Some(ArchiveWarningKind::Link),
            Kind::Special => Some(ArchiveWarningKind::Special),
            Kind::Unknown => Some(ArchiveWarningKind::UnknownType),
            Kind::File if path::is_mac_debris(&path) => Some(ArchiveWarningKind::MacDebris),
            Kind::File | Kind::Dir | Kind::Ignored => None,
        };
        if let Some(kind) = skipped {
            self.warnings.push(warn(kind));
            return Ok(None);
        }
        let Some(data) = data else { return Ok(None) };
        self.conf_bytes = self.conf_bytes.saturating_add(data.len() as u64);
        if self.conf_bytes > self.limits.max_conf_bytes {
            return Err(ArchiveError::LimitExceeded {
                cap: Cap::ConfBytes,
                limit: self.limits.max_conf_bytes,
                entry: head.name,
            });
        }
        if !head.utf8 {
            self.warnings.push(warn(ArchiveWarningKind::NonUtf8Name));
        }
        if !self.returned.insert(path.clone()) {
            self.warnings.push(warn(ArchiveWarningKind::Duplicate));
        }
        Ok(Some(entry(path, data)))
    }

    /// Skipped members and other oddities so far, in archive order.
    pub fn warnings(&self) -> &[ArchiveWarning] {
        &self.warnings
    }

    /// Members of any kind seen so far.
    pub fn entries_seen(&self) -> u64 {
        self.entries_seen
    }

    /// Bytes read from the underlying reader so far (compressed, as stored).
    pub fn bytes_read(&self) -> u64 {
        self.watch.raw_bytes.load(Relaxed)
    }

    /// Uncompressed bytes so far (what the total cap counts).
    pub fn uncompressed_bytes(&self) -> u64 {
        self.watch.total.load(Relaxed)
    }
}

fn tar<R: AsyncRead + Unpin>(
    stream: TarStream<R>,
    watch: &Arc<Watch>,
    limits: &Limits,
) -> Result<Backend<R>, ArchiveError> {
    let backend = TarBackend::new(stream, watch.clone(), limits)
        .map_err(|e| classify(e, watch, limits, ""))?;
    Ok(Backend::Tar(Box::new(backend)))
}

fn entry(path: String, data: Vec<u8>) -> ConfEntry {
    let (app, layer, conf_type) = path::locate(&path);
    ConfEntry {
        app,
        layer,
        conf_type,
        size: data.len() as u64,
        sha256: hex::encode(Sha256::digest(&data)),
        data: data.into(),
        path,
    }
}
