//! Reader wrappers that watch the byte streams: where an I/O error came from (the caller's storage,
//! or the archive's content), whether the input ran out, and how many uncompressed bytes went by.
//! Caps are enforced here, in the read path, so declared sizes are never trusted.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

use crate::error::Cap;

/// State shared by the wrappers and the reader; single-threaded use, atomics only for `Send`.
///
/// A package read inside the archive gets its own watch whose `parent` is the outer one: the
/// total cap counts both levels' bytes together, and a failure of the outer stream is told apart
/// from one of the package.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    /// The outer archive's watch, for a package inside it.
    parent: Option<Arc<Watch>>,
    /// The caller's reader returned an error (storage failure: not permanent).
    pub source_failed: AtomicBool,
    /// Raw (possibly compressed) bytes read from the caller.
    pub raw_bytes: AtomicU64,
    /// Uncompressed bytes read (tar stream, or zip entry data).
    pub total: AtomicU64,
    /// Tar only: bytes the tar parser read outside entry data (headers, long names, PAX records).
    pub gap: AtomicU64,
    /// Tar only: the uncompressed tar stream ended (so a tar parser error means truncation).
    pub stream_eof: AtomicBool,
    /// Tar only: `true` while entry data is being read, so `gap` does not grow.
    pub in_entry: AtomicBool,
    /// Which cap was hit (0 = none; see [`Watch::cap`]).
    cap: AtomicU8,
}

impl Watch {
    /// The watch of a package read inside the archive watched by `parent`.
    pub(super) fn child(parent: Arc<Watch>) -> Self {
        Watch {
            parent: Some(parent),
            ..Watch::default()
        }
    }

    pub(super) fn hit(&self, cap: Cap) -> io::Error {
        let code = match cap {
            Cap::TotalBytes => 1,
            Cap::EntryBytes => 2,
            Cap::Entries => 3,
            Cap::ConfBytes => 4,
        };
        self.cap.store(code, Relaxed);
        io::Error::other(format!("archive exceeds the {cap} cap"))
    }

    /// The cap hit so far, here or in the outer archive, if any.
    pub(super) fn cap(&self) -> Option<Cap> {
        let own = match self.cap.load(Relaxed) {
            1 => Some(Cap::TotalBytes),
            2 => Some(Cap::EntryBytes),
            3 => Some(Cap::Entries),
            4 => Some(Cap::ConfBytes),
            _ => None,
        };
        own.or_else(|| self.parent.as_ref().and_then(|p| p.cap()))
    }

    /// The caller's reader failed. A package's own stream is the outer member, so only the outer
    /// archive's source counts: any other failure of that stream is the archive's content.
    pub(super) fn source_failed(&self) -> bool {
        match &self.parent {
            Some(parent) => parent.source_failed(),
            None => self.source_failed.load(Relaxed),
        }
    }

    /// Counts `n` uncompressed bytes against the total cap, which a package shares with the
    /// archive around it.
    pub(super) fn add_total(&self, n: u64, limit: u64) -> io::Result<()> {
        let own = self.total.fetch_add(n, Relaxed).saturating_add(n);
        let shared = match &self.parent {
            Some(parent) => parent.total.fetch_add(n, Relaxed).saturating_add(n),
            None => own,
        };
        if shared > limit {
            return Err(self.hit(Cap::TotalBytes));
        }
        Ok(())
    }
}

/// Wraps the caller's reader: counts bytes and flags errors.
pub(crate) struct Source<R> {
    inner: R,
    watch: Arc<Watch>,
}

impl<R> Source<R> {
    pub(super) fn new(inner: R, watch: Arc<Watch>) -> Self {
        Source { inner, watch }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Source<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = std::task::ready!(Pin::new(&mut self.inner).poll_read(cx, buf));
        match &result {
            Ok(()) => drop(
                self.watch
                    .raw_bytes
                    .fetch_add((buf.filled().len() - before) as u64, Relaxed),
            ),
            Err(_) => self.watch.source_failed.store(true, Relaxed),
        }
        Poll::Ready(result)
    }
}

/// Meters a stream against the total cap. Over the uncompressed tar stream (`max_gap` set) it also
/// enforces the per-entry cap on the bytes the tar parser buffers between entries (GNU long names
/// and PAX records are read whole into memory) and notes the end of the stream. Without `max_gap`
/// it counts a zip member lent to a package reader (the zip backend counts the data it reads
/// itself; a tar stream is metered below its parser).
pub(crate) struct Meter<R, W = Arc<Watch>> {
    inner: R,
    watch: W,
    max_total: u64,
    max_gap: Option<u64>,
}

impl<R, W> Meter<R, W> {
    pub(super) fn new(inner: R, watch: W, max_total: u64, max_gap: Option<u64>) -> Self {
        Meter {
            inner,
            watch,
            max_total,
            max_gap,
        }
    }
}

impl<R: AsyncRead + Unpin, W: std::ops::Deref<Target = Watch> + Unpin> AsyncRead for Meter<R, W> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        std::task::ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        let n = (buf.filled().len() - before) as u64;
        self.watch.add_total(n, self.max_total)?;
        let Some(max_gap) = self.max_gap else {
            return Poll::Ready(Ok(()));
        };
        if n == 0 && buf.remaining() > 0 {
            self.watch.stream_eof.store(true, Relaxed);
        }
        if !self.watch.in_entry.load(Relaxed) && self.watch.gap.fetch_add(n, Relaxed) + n > max_gap
        {
            return Poll::Ready(Err(self.watch.hit(Cap::EntryBytes)));
        }
        Poll::Ready(Ok(()))
    }
}
