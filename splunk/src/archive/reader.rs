//! [`ArchiveReader`]: sniffs the format, then pulls one `.conf`/`.meta` member at a time, opening
//! app packages found inside one level deep; [`super::admit`] applies every defence.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use tokio::io::AsyncRead;

use super::admit::Admission;
use super::level::Level;
use super::nested::Nester;
use super::source::Watch;
use super::{ArchiveFormat, ArchiveWarning, ConfEntry, Limits};
use crate::error::ArchiveError;

/// Pull-based reader of the `.conf`/`.meta` members of a zip, tar or tar.gz stream, and of the
/// app packages inside it (one level deep; paths `<package path>!<member path>`).
///
/// Holds at most one member of the archive in memory, plus the conf members of the package being
/// read (all under `max_conf_bytes`). Duplicated paths are all returned (with a warning); use
/// [`super::keep_last`] to keep the last as extraction would.
pub struct ArchiveReader<R: AsyncRead + Unpin> {
    level: Level<R>,
    admission: Admission,
    /// Conf members of an opened package, handed out before the archive's next member.
    pending: VecDeque<ConfEntry>,
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
        Ok(ArchiveReader {
            level: Level::open(reader, &limits, watch, None).await?,
            admission: Admission::new(limits),
            pending: VecDeque::new(),
            failed: false,
        })
    }

    /// The detected format.
    pub fn format(&self) -> ArchiveFormat {
        self.level.format()
    }

    /// The next `.conf`/`.meta` member, fully read; `None` at the end of the archive.
    ///
    /// # Errors
    /// A permanent error for a hostile or broken archive or package inside it (see
    /// [`ArchiveError::is_permanent`]); [`ArchiveError::Io`] when the underlying reader fails.
    /// After an error, reading stops.
    pub async fn next_file(&mut self) -> Result<Option<ConfEntry>, ArchiveError> {
        if self.failed {
            return Ok(None);
        }
        let result = self.next_inner().await;
        self.failed = result.is_err();
        result
    }

    async fn next_inner(&mut self) -> Result<Option<ConfEntry>, ArchiveError> {
        let limits = self.admission.limits;
        loop {
            if let Some(entry) = self.pending.pop_front() {
                return Ok(Some(entry));
            }
            let mut nester = Nester {
                admission: &mut self.admission,
                parent: self.level.watch().clone(),
                pending: &mut self.pending,
                error: None,
            };
            let member = self.level.next(&mut nester, &limits).await;
            if let Some(error) = nester.error.take() {
                return Err(error);
            }
            let Some(member) = member? else {
                return Ok(None);
            };
            if let Some(entry) = self.admission.admit(member, None)? {
                return Ok(Some(entry));
            }
        }
    }

    /// Skipped members and other oddities so far, in archive order.
    pub fn warnings(&self) -> &[ArchiveWarning] {
        &self.admission.warnings
    }

    /// Members of any kind seen so far, those of packages inside the archive included.
    pub fn entries_seen(&self) -> u64 {
        self.admission.entries_seen
    }

    /// Bytes read from the underlying reader so far (compressed, as stored).
    pub fn bytes_read(&self) -> u64 {
        self.level.watch().raw_bytes.load(Relaxed)
    }

    /// Uncompressed bytes so far (what the total cap counts: the archive's members, packages
    /// inside it included, plus what those packages decompress to).
    pub fn uncompressed_bytes(&self) -> u64 {
        self.level.watch().total.load(Relaxed)
    }
}
