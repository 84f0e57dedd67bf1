//! Reading a run's files and stanzas back, keyset-paginated in insertion (file) order.

use sea_orm::sea_query::{Expr, ExprTrait, Func, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::Store;
use super::ids::RunId;
use super::nul::{decode, escape};
use super::page::{Page, PageOf, StanzaFilter};
use super::results::{ConfFileRow, StanzaRow};
use crate::StoreError;
use crate::{conf_file, stanza};

impl Store {
    /// The run's parsed files, in the order they were written.
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`], [`StoreError::Db`].
    pub async fn list_files(
        &self,
        run: RunId,
        page: Page,
    ) -> Result<PageOf<ConfFileRow>, StoreError> {
        use conf_file::Column as C;
        let size = page.size();
        let mut query = conf_file::Entity::find()
            .filter(C::RunId.eq(run.0))
            .order_by_asc(C::Id)
            .limit(size + 1);
        if let Some(after) = page.after_id()? {
            query = query.filter(C::Id.gt(after));
        }
        let rows = query
            .all(&self.db)
            .await
            .map_err(StoreError::db("list files"))?;
        let rows = rows
            .into_iter()
            .map(file_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PageOf::from_rows(rows, size, |row| row.id))
    }

    /// The run's stanzas in file order, optionally filtered by conf type, app and name prefix.
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`], [`StoreError::Db`].
    pub async fn list_stanzas(
        &self,
        run: RunId,
        filter: StanzaFilter,
        page: Page,
    ) -> Result<PageOf<StanzaRow>, StoreError> {
        use stanza::Column as C;
        let size = page.size();
        let mut query = stanza::Entity::find()
            .filter(C::RunId.eq(run.0))
            .order_by_asc(C::Id)
            .limit(size + 1);
        if let Some(after) = page.after_id()? {
            query = query.filter(C::Id.gt(after));
        }
        if let Some(conf) = &filter.conf {
            query = query.filter(matching(conf, |v| Expr::col(C::ConfType).eq(v)));
        }
        if let Some(app) = &filter.app {
            query = query.filter(matching(app, |v| Expr::col(C::App).eq(v)));
        }
        if let Some(prefix) = &filter.name {
            query = query.filter(matching(prefix, |v| starts_with(C::Name, v)));
        }
        let rows = query
            .all(&self.db)
            .await
            .map_err(StoreError::db("list stanzas"))?;
        let rows = rows
            .into_iter()
            .map(stanza_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PageOf::from_rows(rows, size, |row| row.id))
    }
}

/// Matches plain rows against `value` and NUL-escaped rows against its escaped form.
pub(super) fn matching(value: &str, test: impl Fn(String) -> SimpleExpr) -> Condition {
    let flag = Expr::col(stanza::Column::NulEscaped);
    let escaped = Condition::all()
        .add(flag.clone().eq(true))
        .add(test(escape(value)));
    if value.contains('\0') {
        // PostgreSQL cannot even bind it; only an escaped row can match.
        return Condition::any().add(escaped);
    }
    let plain = Condition::all()
        .add(flag.eq(false))
        .add(test(value.to_owned()));
    Condition::any().add(plain).add(escaped)
}

/// `substr(col, 1, chars(prefix)) = prefix`: case-sensitive on both databases, unlike LIKE on
/// SQLite, and free of LIKE wildcards.
fn starts_with(col: stanza::Column, prefix: String) -> SimpleExpr {
    let chars = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
    Expr::expr(
        Func::cust("substr")
            .arg(Expr::col(col))
            .arg(1i32)
            .arg(chars),
    )
    .eq(prefix)
}

fn file_row(m: conf_file::Model) -> Result<ConfFileRow, StoreError> {
    let warnings = serde_json::from_str(&m.warnings)
        .map_err(|_| StoreError::Corrupt(format!("file {}: warnings", m.id)))?;
    let esc = m.nul_escaped;
    Ok(ConfFileRow {
        id: m.id,
        path: decode(m.path, esc),
        app: m.app.map(|app| decode(app, esc)),
        layer: decode(m.layer, esc),
        conf_type: decode(m.conf_type, esc),
        size_bytes: m.size_bytes,
        sha256: m.sha256,
        stanza_count: m.stanza_count,
        parse_error: m.parse_error.map(|err| decode(err, esc)),
        warnings,
    })
}

pub(super) fn stanza_row(m: stanza::Model) -> Result<StanzaRow, StoreError> {
    let settings = match serde_json::from_str(&m.settings) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => return Err(StoreError::Corrupt(format!("stanza {}: settings", m.id))),
    };
    let esc = m.nul_escaped;
    Ok(StanzaRow {
        id: m.id,
        file_id: m.file_id,
        app: m.app.map(|app| decode(app, esc)),
        layer: decode(m.layer, esc),
        conf_type: decode(m.conf_type, esc),
        name: decode(m.name, esc),
        global: m.global,
        source_path: decode(m.source_path, esc),
        line: m.line,
        settings,
    })
}
