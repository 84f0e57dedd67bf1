//! Keyset pagination and list filters.
//!
//! A cursor is the id of the last item returned; the next page continues strictly past it, so
//! inserts and deletes between pages never cause gaps or repeats among surviving rows.

use serde::Serialize;

use super::ids::RunStatus;
use crate::StoreError;

/// The default page size.
pub const DEFAULT_LIMIT: u64 = 50;
/// The largest page size.
pub const MAX_LIMIT: u64 = 1000;

/// Which page to return.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// Page size; 0 means [`DEFAULT_LIMIT`], capped at [`MAX_LIMIT`].
    pub limit: u64,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
}

impl Page {
    pub(crate) fn size(&self) -> u64 {
        match self.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        }
    }

    pub(crate) fn after_id(&self) -> Result<Option<i64>, StoreError> {
        match self.after.as_deref() {
            None | Some("") => Ok(None),
            Some(cursor) => cursor
                .parse::<i64>()
                .map(Some)
                .map_err(|_| StoreError::InvalidCursor),
        }
    }
}

/// One page of a list: `{"items": [...], "next": cursor or null}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PageOf<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass back as [`Page::after`] for the next page; `None` on the last page.
    pub next: Option<String>,
}

impl<T> PageOf<T> {
    /// Builds a page from up to `size + 1` fetched rows (the extra row proves a next page).
    pub(crate) fn from_rows(mut rows: Vec<T>, size: u64, id: impl Fn(&T) -> i64) -> Self {
        let more = rows.len() as u64 > size;
        rows.truncate(usize::try_from(size).unwrap_or(usize::MAX));
        let next = more
            .then(|| rows.last().map(|row| id(row).to_string()))
            .flatten();
        PageOf { items: rows, next }
    }
}

/// Filter of [`crate::Store::list_runs`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunFilter {
    /// Only runs in this status.
    pub status: Option<RunStatus>,
}

/// Filter of [`crate::Store::list_stanzas`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StanzaFilter {
    /// Only this conf type (`props`).
    pub conf: Option<String>,
    /// Only this app.
    pub app: Option<String>,
    /// Only names starting with this (case-sensitive).
    pub name: Option<String>,
}
