//! The tar backend (plain or gzipped), over astral-tokio-tar's entry stream: never unpacks, only
//! reads or drains each member in order.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::task::{Context, Poll};

use async_compression::tokio::bufread::GzipDecoder;
use futures::StreamExt;
use tokio::io::{AsyncRead, BufReader, ReadBuf};
use tokio_tar::{Archive, ArchiveBuilder, Entries, EntryType};

use super::Limits;
use super::bytes_io::{Peeked, drain, read_capped};
use super::member::{Head, Kind, Member};
use super::source::{Meter, Source, Watch};
use super::visit::{Visit, Want};

/// Gunzipped input, peeked again to check that a tar is inside.
type Gunzipped<R> = Peeked<GzipDecoder<BufReader<Peeked<Source<R>>>>>;

/// The uncompressed tar stream: plain, or gunzipped (then peeked again to check for a tar).
pub(crate) enum TarStream<R> {
    Plain(Peeked<Source<R>>),
    Gzip(Box<Gunzipped<R>>),
}

impl<R: AsyncRead + Unpin> AsyncRead for TarStream<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            TarStream::Plain(r) => Pin::new(r).poll_read(cx, buf),
            TarStream::Gzip(r) => Pin::new(r.as_mut()).poll_read(cx, buf),
        }
    }
}

/// Members of a tar, one at a time.
pub(crate) struct TarBackend<R: AsyncRead + Unpin> {
    entries: Entries<Meter<TarStream<R>>>,
    /// A handle on the same stream, to read what follows the end-of-archive blocks.
    archive: Archive<Meter<TarStream<R>>>,
    watch: Arc<Watch>,
}

impl<R: AsyncRead + Unpin + Send> TarBackend<R> {
    pub(super) fn new(
        stream: TarStream<R>,
        watch: Arc<Watch>,
        limits: &Limits,
    ) -> io::Result<Self> {
        let metered = Meter::new(
            stream,
            watch.clone(),
            limits.max_total_bytes,
            Some(limits.max_entry_bytes),
        );
        let mut archive: Archive<_> = ArchiveBuilder::new(metered)
            .set_allow_external_symlinks(false)
            .set_preserve_permissions(false)
            .set_unpack_xattrs(false)
            .build();
        Ok(TarBackend {
            entries: archive.entries()?,
            archive,
            watch,
        })
    }

    /// The next member: its head, and its data when `visit` wants it read (an opened or skipped
    /// member is drained). `current` gets the member's name as soon as its header is read, so
    /// errors can name it.
    pub(super) async fn next<V: Visit>(
        &mut self,
        visit: &mut V,
        limits: &Limits,
        current: &mut String,
    ) -> io::Result<Option<Member>> {
        self.watch.gap.store(0, Relaxed);
        let Some(entry) = self.entries.next().await else {
            // Read to the end so a gzip trailer (CRC, length) is checked and trailing bytes counted.
            self.watch.in_entry.store(true, Relaxed);
            drain(&mut self.archive, &self.watch, None).await?;
            return Ok(None);
        };
        let mut entry = entry?;
        let raw = entry.path_bytes()?.into_owned();
        let head = Head::new(
            &raw,
            kind(entry.header().entry_type()),
            entry.effective_size(),
        );
        current.clone_from(&head.name);
        self.watch.in_entry.store(true, Relaxed);
        // The tar stream is metered below the parser: no total to count here.
        let data = match visit.want(&head) {
            Want::Read => Some(
                read_capped(
                    &mut entry,
                    limits.max_entry_bytes,
                    head.declared,
                    &self.watch,
                    None,
                )
                .await?,
            ),
            Want::Open => {
                visit.open(&head.name, &mut entry).await?;
                drain(&mut entry, &self.watch, None).await?;
                None
            }
            Want::Skip => {
                drain(&mut entry, &self.watch, None).await?;
                None
            }
        };
        self.watch.in_entry.store(false, Relaxed);
        Ok(Some(Member { head, data }))
    }
}

fn kind(t: EntryType) -> Kind {
    match t {
        EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => Kind::File,
        EntryType::Directory => Kind::Dir,
        EntryType::Symlink | EntryType::Link => Kind::Link,
        EntryType::Char | EntryType::Block | EntryType::Fifo => Kind::Special,
        EntryType::XGlobalHeader => Kind::Ignored,
        _ => Kind::Unknown,
    }
}
