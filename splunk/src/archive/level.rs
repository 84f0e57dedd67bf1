//! One archive stream — the archive itself, or an app package inside it: its format, sniffed from
//! the content, and the backend that pulls its members in order.

use std::sync::Arc;

use async_compression::tokio::bufread::GzipDecoder;
use tokio::io::{AsyncRead, BufReader};

use super::bytes_io::{classify, peek};
use super::member::Member;
use super::sniff::{SNIFF_LEN, Sniffed, is_tar, sniff};
use super::source::{Source, Watch};
use super::tar::{TarBackend, TarStream};
use super::visit::Visit;
use super::zip::ZipBackend;
use super::{ArchiveFormat, Limits};
use crate::error::ArchiveError;

enum Backend<R: AsyncRead + Unpin> {
    Tar(Box<TarBackend<R>>),
    Zip(ZipBackend<R>),
}

/// One archive stream and where it is.
pub(crate) struct Level<R: AsyncRead + Unpin> {
    format: ArchiveFormat,
    backend: Backend<R>,
    watch: Arc<Watch>,
    /// Name of the member being read, or of the last one read: errors name it.
    current: String,
    /// For a package inside the archive, its path there: errors name `<package>!<member>`.
    package: Option<String>,
}

impl<R: AsyncRead + Unpin + Send> Level<R> {
    /// Sniffs the format of `reader` and gets ready to pull members; `package` names a package
    /// inside the archive (its errors then name it).
    pub(super) async fn open(
        reader: R,
        limits: &Limits,
        watch: Arc<Watch>,
        package: Option<&str>,
    ) -> Result<Self, ArchiveError> {
        let shown = shown(package, "");
        let fail = |e| classify(e, &watch, limits, &shown);
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
                tar(TarStream::Plain(input), &watch, limits, &shown)?,
            ),
            Sniffed::Gzip => {
                let decoder = GzipDecoder::new(BufReader::new(input));
                let (inner, stream) = peek(decoder, SNIFF_LEN).await.map_err(fail)?;
                if !is_tar(&inner) {
                    let reason = "gzip data that does not hold a tar archive".to_owned();
                    return Err(ArchiveError::Unsupported { reason });
                }
                let stream = TarStream::Gzip(Box::new(stream));
                (ArchiveFormat::TarGz, tar(stream, &watch, limits, &shown)?)
            }
        };
        Ok(Level {
            format,
            backend,
            watch,
            current: String::new(),
            package: package.map(str::to_owned),
        })
    }

    /// The detected format.
    pub(super) fn format(&self) -> ArchiveFormat {
        self.format
    }

    /// This stream's watch (a package inside it gets a child of it).
    pub(super) fn watch(&self) -> &Arc<Watch> {
        &self.watch
    }

    /// The next member, read, opened or streamed past as `visit` decides; `None` at the end.
    pub(super) async fn next<V: Visit>(
        &mut self,
        visit: &mut V,
        limits: &Limits,
    ) -> Result<Option<Member>, ArchiveError> {
        let member = match &mut self.backend {
            Backend::Tar(t) => t.next(visit, limits, &mut self.current).await,
            Backend::Zip(z) => z.next(visit, &self.watch, limits, &mut self.current).await,
        };
        member.map_err(|e| {
            let entry = shown(self.package.as_deref(), &self.current);
            classify(e, &self.watch, limits, &entry)
        })
    }
}

/// How errors name a member: `<package>!<member>` inside a package.
fn shown(package: Option<&str>, entry: &str) -> String {
    let entry = if entry.is_empty() {
        "(start of archive)"
    } else {
        entry
    };
    match package {
        Some(package) => format!("{package}!{entry}"),
        None => entry.to_owned(),
    }
}

fn tar<R: AsyncRead + Unpin + Send>(
    stream: TarStream<R>,
    watch: &Arc<Watch>,
    limits: &Limits,
    shown: &str,
) -> Result<Backend<R>, ArchiveError> {
    let backend = TarBackend::new(stream, watch.clone(), limits)
        .map_err(|e| classify(e, watch, limits, shown))?;
    Ok(Backend::Tar(Box::new(backend)))
}
