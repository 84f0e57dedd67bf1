//! The stanzas behind the effective-configuration views: every stored stanza of a complete run,
//! of one conf type or of all of them.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::Store;
use super::ids::{RunId, RunStatus};
use super::listing::{matching, stanza_row};
use super::results::StanzaRow;
use crate::{StoreError, stanza};

impl Store {
    /// Every stanza of run `run` whose conf type is `conf` (all conf types when `None`), in file
    /// order. An unknown conf type gives an empty list: Splunk has no closed list of them.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown run, [`StoreError::NotComplete`] (with the status)
    /// for a run that is not complete, [`StoreError::Db`], [`StoreError::Corrupt`].
    #[tracing::instrument(skip(self), fields(run.id = %run), err)]
    pub async fn view_stanzas(
        &self,
        run: RunId,
        conf: Option<&str>,
    ) -> Result<Vec<StanzaRow>, StoreError> {
        let found = self.run(run).await?.ok_or(StoreError::NotFound(run))?;
        if found.status != RunStatus::Complete {
            return Err(StoreError::NotComplete {
                run,
                status: found.status,
            });
        }
        use stanza::Column as C;
        let mut query = stanza::Entity::find()
            .filter(C::RunId.eq(run.0))
            .order_by_asc(C::Id);
        if let Some(conf) = conf {
            query = query.filter(matching(conf, |v| Expr::col(C::ConfType).eq(v)));
        }
        let rows = query
            .all(&self.db)
            .await
            .map_err(StoreError::db("read a run's stanzas"))?;
        rows.into_iter().map(stanza_row).collect()
    }
}
