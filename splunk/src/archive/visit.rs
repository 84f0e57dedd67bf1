//! How a backend treats each member it meets: read it into memory, open it as an app package
//! while its data streams by, or stream past it.

use std::io;

use tokio::io::AsyncRead;

use super::member::Head;

/// What to do with one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// Stream past it (still counted against the caps).
    Skip,
    /// Read it whole (a `.conf`/`.meta` file), under the per-member cap.
    Read,
    /// Hand its data stream to [`Visit::open`] (an app package), then stream past what is left.
    Open,
}

/// The caller's side of a backend's member loop.
pub(crate) trait Visit {
    /// Decides from the header alone.
    fn want(&self, head: &Head) -> Want;

    /// Reads a member that [`Visit::want`] chose to open; `name` is its raw name.
    fn open<E: AsyncRead + Unpin + Send>(
        &mut self,
        name: &str,
        data: &mut E,
    ) -> impl Future<Output = io::Result<()>> + Send;
}

/// The members of a package inside the archive: conf files are read and nothing is opened, so
/// nesting stops one level deep.
pub(crate) struct Flat;

impl Visit for Flat {
    fn want(&self, head: &Head) -> Want {
        if head.is_conf() {
            Want::Read
        } else {
            Want::Skip
        }
    }

    async fn open<E: AsyncRead + Unpin + Send>(&mut self, _: &str, _: &mut E) -> io::Result<()> {
        // `want` never says `Open`.
        Ok(())
    }
}
