//! Byte plumbing shared by the tar and zip backends: peeking, capped reads, draining, and turning
//! an `io::Error` into the right [`ArchiveError`] from what the [`Watch`] saw.

use std::io;
use std::sync::atomic::Ordering::Relaxed;

use tokio::io::{AsyncRead, AsyncReadExt, Chain};

use super::source::Watch;
use crate::error::{ArchiveError, Cap};

/// A reader with its first bytes already taken (and put back in front).
pub(crate) type Peeked<R> = Chain<io::Cursor<Vec<u8>>, R>;

/// Reads up to `n` bytes and returns them with a reader that yields them again.
pub(crate) async fn peek<R: AsyncRead + Unpin>(
    mut reader: R,
    n: usize,
) -> io::Result<(Vec<u8>, Peeked<R>)> {
    let mut head = Vec::with_capacity(n);
    while head.len() < n {
        let got = (&mut reader)
            .take((n - head.len()) as u64)
            .read_to_end(&mut head)
            .await?;
        if got == 0 {
            break;
        }
    }
    Ok((head.clone(), io::Cursor::new(head).chain(reader)))
}

/// Reads a whole member, failing with the entry cap past `limit` bytes; counts against the total
/// cap when `total` is given (zip: the tar stream is metered below the tar parser instead).
pub(crate) async fn read_capped<R: AsyncRead + Unpin>(
    reader: &mut R,
    limit: u64,
    declared: u64,
    watch: &Watch,
    total: Option<u64>,
) -> io::Result<Vec<u8>> {
    // Never trust the declared size for allocation beyond a modest hint.
    let hint = declared.min(limit).min(1 << 20);
    let mut data = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut chunk).await?;
        if n == 0 {
            return Ok(data);
        }
        if let Some(max_total) = total {
            watch.add_total(n as u64, max_total)?;
        }
        if (data.len() + n) as u64 > limit {
            return Err(watch.hit(Cap::EntryBytes));
        }
        data.extend_from_slice(&chunk[..n]);
    }
}

/// Reads a member to its end without keeping it (still counted against the total cap).
pub(crate) async fn drain<R: AsyncRead + Unpin>(
    reader: &mut R,
    watch: &Watch,
    total: Option<u64>,
) -> io::Result<()> {
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        if let Some(max_total) = total {
            watch.add_total(n as u64, max_total)?;
        }
    }
}

/// Decides what an I/O error at `entry` (as errors show it) means: a cap, a storage failure (retryable), truncation or corruption.
pub(crate) fn classify(
    err: io::Error,
    watch: &Watch,
    limits: &super::Limits,
    entry: &str,
) -> ArchiveError {
    let entry = entry.to_owned();
    if let Some(cap) = watch.cap() {
        let limit = match cap {
            Cap::TotalBytes => limits.max_total_bytes,
            Cap::EntryBytes => limits.max_entry_bytes,
            Cap::Entries => limits.max_entries,
            Cap::ConfBytes => limits.max_conf_bytes,
        };
        return ArchiveError::LimitExceeded { cap, limit, entry };
    }
    if watch.source_failed() {
        return ArchiveError::Io(err);
    }
    if watch.stream_eof.load(Relaxed) || err.kind() == io::ErrorKind::UnexpectedEof {
        return ArchiveError::Truncated { entry };
    }
    ArchiveError::Corrupt { entry, source: err }
}
