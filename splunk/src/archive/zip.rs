//! The zip backend over async_zip's streaming reader (local headers only; no seeking). Kept behind
//! this one file because async_zip's 0.0.x API moves.

use std::io;

use async_zip::base::read::stream::{Ready, ZipFileReader};
use async_zip::error::ZipError;
use tokio::io::{AsyncRead, BufReader};
use tokio_util::compat::{Compat, FuturesAsyncReadCompatExt};

use super::Limits;
use super::bytes_io::{Peeked, drain, read_capped};
use super::member::{Head, Kind, Member};
use super::source::{Meter, Source, Watch};
use super::visit::{Visit, Want};

type Inner<R> = Compat<BufReader<Peeked<Source<R>>>>;

/// Members of a zip, one at a time.
pub(crate) struct ZipBackend<R> {
    /// `None` once the central directory (or an error) has been reached.
    reader: Option<ZipFileReader<Ready<Inner<R>>>>,
}

impl<R: AsyncRead + Unpin + Send> ZipBackend<R> {
    /// `empty`: the archive is a bare end-of-central-directory record, with no members.
    pub(super) fn new(input: Peeked<Source<R>>, empty: bool) -> Self {
        let reader = (!empty).then(|| ZipFileReader::with_tokio(BufReader::new(input)));
        ZipBackend { reader }
    }

    /// The next member: its head, and its data when `visit` wants it read (an opened or skipped
    /// member is drained). `current` gets the member's name as soon as its header is read, so
    /// errors can name it.
    pub(super) async fn next<V: Visit>(
        &mut self,
        visit: &mut V,
        watch: &Watch,
        limits: &Limits,
        current: &mut String,
    ) -> io::Result<Option<Member>> {
        let Some(zip) = self.reader.take() else {
            return Ok(None);
        };
        let Some(mut reading) = zip.next_with_entry().await.map_err(to_io)? else {
            return Ok(None);
        };
        let entry = reading.reader().entry();
        let raw = entry.filename().as_bytes().to_vec();
        let dir = raw.ends_with(b"/") || raw.ends_with(b"\\");
        let head = Head::new(
            &raw,
            if dir { Kind::Dir } else { Kind::File },
            entry.uncompressed_size(),
        );
        current.clone_from(&head.name);
        // Stream-mode entries with a data descriptor carry a zero CRC in the local header (async_zip
        // does not say which entries have one); a true CRC of zero only skips this check.
        let expected_crc = Some(entry.crc32()).filter(|&crc| crc != 0);
        let mut data_reader = reading.reader_mut().compat();
        let total = Some(limits.max_total_bytes);
        let data = match visit.want(&head) {
            Want::Read => Some(
                read_capped(
                    &mut data_reader,
                    limits.max_entry_bytes,
                    head.declared,
                    watch,
                    total,
                )
                .await?,
            ),
            Want::Open => {
                let mut counted = Meter::new(&mut data_reader, watch, limits.max_total_bytes, None);
                visit.open(&head.name, &mut counted).await?;
                drain(&mut data_reader, watch, total).await?;
                None
            }
            Want::Skip => {
                drain(&mut data_reader, watch, total).await?;
                None
            }
        };
        let got = data.as_ref().map_or(u64::MAX, |d| d.len() as u64);
        if expected_crc.is_some() && got < head.declared {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "member data ends early",
            ));
        }
        if let Some(crc) = expected_crc
            && reading.reader_mut().compute_hash() != crc
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "CRC-32 mismatch",
            ));
        }
        self.reader = Some(reading.done().await.map_err(to_io)?);
        Ok(Some(Member { head, data }))
    }
}

/// async_zip wraps the underlying reader's errors; unwrap them so the caller can tell storage
/// failures from corruption.
fn to_io(err: ZipError) -> io::Error {
    match err {
        ZipError::UpstreamReadError(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidData, other),
    }
}
