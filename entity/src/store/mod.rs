//! The run store: every query of confq against its database lives in this module tree.
//!
//! Each state change is one transaction that first locks the run row (a no-op `UPDATE`, which
//! on SQLite also takes the write lock up front) and then keeps `run_stats` in step.

mod begin;
mod cancel;
mod connect;
mod events;
mod expiry;
mod ids;
mod index;
mod lifecycle;
mod listing;
mod nul;
mod page;
mod recovery;
mod results;
mod run;
mod runs;
mod search;
mod search_text;
mod setting_rows;
mod stats;
mod stuck;
mod summary;
mod views;
mod write;

use std::path::PathBuf;
use std::sync::Arc;

use sea_orm::DatabaseConnection;

pub use begin::{Begun, Delivered};
pub use events::RunChange;
pub use ids::{Fence, RunId, RunSource, RunStatus, UnknownName};
pub use index::Indexed;
pub use page::{DEFAULT_LIMIT, MAX_LIMIT, Page, PageOf, RunFilter, StanzaFilter};
pub use results::{ConfFileRow, FileWarning, NewConfFile, NewStanza, StanzaRow, WriteSummary};
pub use run::{NewRun, RUN_WARNINGS, Run, RunMetrics};
pub use search::{
    KeyPattern, MAX_SEARCH_BYTES, MAX_STARS, SettingFilter, SettingRow, search_statement,
    value_substring,
};
pub use stuck::{STUCK_IDS, StuckRuns};
pub use summary::{MetricsSummary, RECENT_FAILURES, RecentFailure, RetryStats};

/// A handle on the database (a connection pool); cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// The URL as given, for the dedicated migration connection; never logged unredacted (see `broker::redact`).
    url: Arc<str>,
    /// SQLite: the file serialising concurrent migrations.
    lock_path: Option<PathBuf>,
    /// Where committed run status changes are announced ([`Store::announcing`]).
    events: Option<broker::EventPublisher>,
}

impl Store {
    /// The underlying SeaORM connection, for tests and tools that need raw SQL.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("url", &broker::redact::redact(&self.url))
            .finish_non_exhaustive()
    }
}
