//! App packages inside the archive (premium apps' `install/*.tgz`, deployment bundles of app
//! archives): opened one level deep while the outer member streams by, under the archive's caps.
//! Their conf members wait in a queue until the package has been read to its end.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;

use tokio::io::AsyncRead;

use super::admit::Admission;
use super::level::Level;
use super::member::Head;
use super::path::{self, Name};
use super::source::Watch;
use super::visit::{Flat, Visit, Want};
use super::{ArchiveWarningKind, ConfEntry};
use crate::error::ArchiveError;

/// The archive's own members: conf files are read, packages opened.
pub(crate) struct Nester<'a> {
    pub admission: &'a mut Admission,
    /// The archive's watch: a package's bytes count against its total.
    pub parent: Arc<Watch>,
    /// The conf members of opened packages, in order.
    pub pending: &'a mut VecDeque<ConfEntry>,
    /// Why an opened package failed: the backend only sees an `io::Error`.
    pub error: Option<ArchiveError>,
}

impl Visit for Nester<'_> {
    fn want(&self, head: &Head) -> Want {
        if head.is_conf() {
            Want::Read
        } else if head.is_package() {
            Want::Open
        } else {
            Want::Skip
        }
    }

    async fn open<E: AsyncRead + Unpin + Send>(
        &mut self,
        name: &str,
        data: &mut E,
    ) -> io::Result<()> {
        // `want` opened it, so the name is clean.
        let Name::Clean(package) = path::clean(name) else {
            return Ok(());
        };
        let read = read_package(data, &package, self.admission, &self.parent, self.pending);
        match read.await {
            Ok(()) => Ok(()),
            Err(error) => {
                self.error = Some(error);
                Err(io::Error::other("a package inside the archive failed"))
            }
        }
    }
}

/// Reads the package at `package` (its path in the archive) from `data` to its end. Content that
/// is not zip, tar or tar.gz is a plain file, with a warning.
async fn read_package<E: AsyncRead + Unpin + Send>(
    data: &mut E,
    package: &str,
    admission: &mut Admission,
    parent: &Arc<Watch>,
    pending: &mut VecDeque<ConfEntry>,
) -> Result<(), ArchiveError> {
    let limits = admission.limits;
    let watch = Arc::new(Watch::child(parent.clone()));
    let mut level = match Level::open(data, &limits, watch, Some(package)).await {
        Ok(level) => level,
        Err(ArchiveError::Unsupported { .. }) => {
            admission.warn(package.to_owned(), ArchiveWarningKind::NotAPackage);
            return Ok(());
        }
        Err(error) => return Err(error),
    };
    while let Some(member) = level.next(&mut Flat, &limits).await? {
        if let Some(entry) = admission.admit(member, Some(package))? {
            pending.push_back(entry);
        }
    }
    Ok(())
}
