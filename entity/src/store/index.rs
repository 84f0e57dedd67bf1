//! Indexing a complete run's settings for search: the `settings` rows (and, through them, the
//! trigram/FTS5 index entries) are built from the run's stored stanzas in a transaction of their
//! own, after the run completed, so the ingestion's write transaction never pays for them.

use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use tracing::instrument;

use super::Store;
use super::ids::{RunId, RunStatus};
use super::run::now;
use super::runs::{lock_run, status_of};
use super::setting_rows;
use super::write::insert_rows;
use crate::{StoreError, setting, stanza};

/// Stanzas read per page while indexing.
const STANZA_PAGE: u64 = 2_000;
/// Setting rows per multi-row insert: under SQLite's 32,766 and PostgreSQL's 65,535 binds.
const SETTING_CHUNK: usize = 32_000 / setting_rows::PARAMS;

/// What [`Store::index_settings`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Indexed {
    /// The run's settings were indexed now: this many rows.
    Now(u64),
    /// The run was already indexed: nothing was written.
    Already,
}

impl Store {
    /// Builds the search rows (`settings`) of a complete run from its stored stanzas, in ONE
    /// transaction that also sets the run's `settings_indexed_at`: a run is searchable entirely
    /// or not at all. Idempotent: an indexed run is left alone, and rows left by nothing else
    /// are replaced, so calling it again (a redelivery, a crash before the commit) is safe.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown run, [`StoreError::NotComplete`] for a run that is
    /// not complete, [`StoreError::Db`], [`StoreError::Corrupt`].
    #[instrument(skip(self), fields(run.id = %run), err(Debug))]
    pub async fn index_settings(&self, run: RunId) -> Result<Indexed, StoreError> {
        let txn = self.db.begin().await.map_err(StoreError::db("begin"))?;
        // Locking the run serialises two indexers of the same run: the second sees it indexed.
        let model = lock_run(&txn, run).await?;
        let status = status_of(&model)?;
        if status != RunStatus::Complete {
            return Err(StoreError::NotComplete { run, status });
        }
        if model.settings_indexed_at.is_some() {
            return Ok(Indexed::Already);
        }
        setting::Entity::delete_many()
            .filter(setting::Column::RunId.eq(run.0))
            .exec(&txn)
            .await
            .map_err(StoreError::db("delete partial settings"))?;
        let mut written = 0u64;
        let mut rows = Vec::with_capacity(SETTING_CHUNK);
        let mut after = i64::MIN;
        loop {
            let page = stanza::Entity::find()
                .filter(stanza::Column::RunId.eq(run.0))
                .filter(stanza::Column::Id.gt(after))
                .order_by_asc(stanza::Column::Id)
                .limit(STANZA_PAGE)
                .all(&txn)
                .await
                .map_err(StoreError::db("read stanzas to index"))?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for stanza in &page {
                for row in setting_rows::rows(stanza)? {
                    rows.push(row);
                    written += 1;
                    if rows.len() == SETTING_CHUNK {
                        let chunk = std::mem::take(&mut rows);
                        insert_rows(&txn, setting_rows::COLUMNS, chunk).await?;
                    }
                }
            }
        }
        if !rows.is_empty() {
            insert_rows(&txn, setting_rows::COLUMNS, rows).await?;
        }
        let mut am = model.into_active_model();
        am.settings_indexed_at = Set(Some(now()));
        am.update(&txn)
            .await
            .map_err(StoreError::db("mark a run indexed"))?;
        txn.commit().await.map_err(StoreError::db("commit"))?;
        Ok(Indexed::Now(written))
    }
}
