//! `GET /v1/settings`: where a key is set, or a value appears, across runs. Reads the `settings`
//! table through the indexes each database offers (see docs/benchmarks.md for the plans): the key
//! index for exact keys and `PREFIX*` patterns, `pg_trgm` (PostgreSQL) or FTS5 trigrams (SQLite)
//! for value substrings.

use sea_orm::{
    ConnectionTrait, DatabaseBackend, FromQueryResult, Statement, TransactionTrait, Value,
};
use serde::Serialize;
use tracing::instrument;

use super::Store;
use super::ids::RunId;
use super::nul::{decode, escape};
use super::page::{Page, PageOf};
use super::search_text::{contains, glob, like, phrase, stored, successor};
use super::setting_rows::{KEY_HEAD_CHARS, key_head};
use crate::StoreError;

/// The most `*` a key pattern may hold.
pub const MAX_STARS: usize = 4;
/// The longest `key` or `value` a search accepts, in bytes.
pub const MAX_SEARCH_BYTES: usize = 1024;

/// A key to search for: exact, or with `*` standing for any run of characters (`EVAL-*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPattern(String);

impl KeyPattern {
    /// Checks a pattern: at most [`MAX_STARS`] `*` and [`MAX_SEARCH_BYTES`] bytes.
    ///
    /// # Errors
    /// [`StoreError::InvalidSearch`] saying which limit the pattern breaks.
    pub fn parse(pattern: &str) -> Result<Self, StoreError> {
        if pattern.len() > MAX_SEARCH_BYTES {
            return Err(invalid(format!(
                "`key` is longer than {MAX_SEARCH_BYTES} bytes"
            )));
        }
        if pattern.matches('*').count() > MAX_STARS {
            return Err(invalid(format!("`key` has more than {MAX_STARS} `*`")));
        }
        Ok(KeyPattern(pattern.to_owned()))
    }

    fn is_exact(&self) -> bool {
        !self.0.contains('*')
    }
}

/// Checks a value substring: at most [`MAX_SEARCH_BYTES`] bytes.
///
/// # Errors
/// [`StoreError::InvalidSearch`] when it is longer.
pub fn value_substring(value: &str) -> Result<String, StoreError> {
    if value.len() > MAX_SEARCH_BYTES {
        return Err(invalid(format!(
            "`value` is longer than {MAX_SEARCH_BYTES} bytes"
        )));
    }
    Ok(value.to_owned())
}

fn invalid(message: String) -> StoreError {
    StoreError::InvalidSearch(message)
}

/// Filter of [`Store::search_settings`]; every part is optional and they combine with AND.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingFilter {
    /// The key, exact or with `*`.
    pub key: Option<KeyPattern>,
    /// A case-insensitive substring of the value (checked by [`value_substring`]).
    pub value: Option<String>,
    /// Only this conf type (`props`).
    pub conf: Option<String>,
    /// Only this app.
    pub app: Option<String>,
    /// Only this run.
    pub run: Option<RunId>,
}

/// One place a setting is defined (the items of `GET /v1/settings`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SettingRow {
    /// Row id (the pagination cursor).
    #[serde(skip)]
    pub id: i64,
    /// The run.
    pub run_id: i64,
    /// Conf type.
    pub conf: String,
    /// Stanza name.
    pub stanza: String,
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
    /// App folder.
    pub app: Option<String>,
    /// Layer.
    pub layer: String,
    /// Path of the file inside the archive.
    pub source_path: String,
    /// Line of the stanza's header (of its first setting for pre-header settings).
    pub line: i64,
}

#[derive(FromQueryResult)]
struct Found {
    id: i64,
    run_id: i64,
    conf_type: String,
    stanza: String,
    key: String,
    value: String,
    app: Option<String>,
    layer: String,
    source_path: String,
    line: i64,
    nul_escaped: bool,
}

impl Store {
    /// Settings matching `filter`, keyset-paginated: with a key filter in key order (then
    /// ingestion order), without one in ingestion order.
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`], [`StoreError::Db`].
    #[instrument(skip_all, err(Debug))]
    pub async fn search_settings(
        &self,
        filter: &SettingFilter,
        page: Page,
    ) -> Result<PageOf<SettingRow>, StoreError> {
        let size = page.size();
        let statement = search_statement(
            self.db.get_database_backend(),
            filter,
            page.after_id()?,
            size,
        );
        let txn = self.db.begin().await.map_err(StoreError::db("begin"))?;
        if txn.get_database_backend() == DatabaseBackend::Postgres {
            // A prepared statement gets a generic plan after five runs, blind to the values: it
            // then bitmap-scans the trigram index for `server_error` (100,000 rows) instead of
            // walking the key index (268 ms instead of 0.5 ms at 1,000,000 settings).
            txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
                .await
                .map_err(StoreError::db("set the plan mode"))?;
        }
        let found = Found::find_by_statement(statement)
            .all(&txn)
            .await
            .map_err(StoreError::db("search settings"))?;
        txn.commit()
            .await
            .map_err(StoreError::db("end the search"))?;
        let rows = found.into_iter().map(setting_row).collect();
        Ok(PageOf::from_rows(rows, size, |row| row.id))
    }
}

/// Builds the search as SQL with bound values, in the dialect of `backend` (public so the bench
/// can `EXPLAIN` exactly what runs).
pub fn search_statement(
    backend: DatabaseBackend,
    filter: &SettingFilter,
    after: Option<i64>,
    size: u64,
) -> Statement {
    let mut q = Sql::new(backend);
    let postgres = backend == DatabaseBackend::Postgres;
    // With a key, rows come in key-index order (`key_head`, then id), which the index serves as
    // it is, so a pattern matching many keys never sorts them all; without one, in id order.
    let keyed = filter.key.is_some();
    // On SQLite a substring of 3 characters or more is looked up in the FTS5 trigram table, which
    // hands rows out in id order — unless a key narrows first: then the key index leads and the
    // value is checked on its rows, keeping the order without sorting every value match.
    // Substrings shorter than a trigram always scan.
    let trigram = |v: &String| v.chars().count() >= 3;
    let fts = !postgres && !keyed && filter.value.as_ref().is_some_and(trigram);
    let id = if fts { "f.rowid" } else { "s.id" };
    let mut sql = String::from(
        "SELECT s.id, s.run_id, s.conf_type, s.stanza, s.key, s.value, s.app, s.layer, \
         s.source_path, s.line, s.nul_escaped FROM settings s",
    );
    if fts {
        sql.push_str(" JOIN settings_value f ON f.rowid = s.id");
    } else if keyed && !postgres && filter.run.is_none() {
        // ANALYZE's statistics (few runs) tempt SQLite into a skip-scan of `settings_run` and a
        // sort of every match; the key index gives the order as it is.
        sql.push_str(" INDEXED BY settings_key");
    }
    sql.push_str(" WHERE 1 = 1");
    match (after, keyed) {
        (Some(after), true) => sql.push_str(&format!(
            " AND (s.key_head, s.id) > (SELECT key_head, id FROM settings WHERE id = {})",
            q.bind(after)
        )),
        (Some(after), false) => sql.push_str(&format!(" AND {id} > {}", q.bind(after))),
        (None, _) => {}
    }
    if let Some(pattern) = &filter.key {
        key_sql(&mut sql, &mut q, pattern);
    }
    if let Some(value) = filter.value.as_deref().map(stored) {
        let value = value.as_ref();
        let clause = match (postgres, fts) {
            (true, _) => format!(" AND s.value ILIKE {} ESCAPE '\\'", q.bind(contains(value))),
            (false, true) => format!(" AND f.settings_value MATCH {}", q.bind(phrase(value))),
            (false, false) => format!(
                " AND instr(lower(s.value), lower({})) > 0",
                q.bind(value.to_owned())
            ),
        };
        sql.push_str(&clause);
    }
    for (column, wanted) in [("s.conf_type", &filter.conf), ("s.app", &filter.app)] {
        if let Some(wanted) = wanted {
            sql.push_str(&q.equal(column, wanted));
        }
    }
    if let Some(run) = filter.run {
        sql.push_str(&format!(" AND s.run_id = {}", q.bind(run.0)));
        if !keyed {
            // Without a key the rows come in id order (primary key or FTS5 rowids), and a run's
            // rows, written in one transaction, are one id range: bounding the ids to it (from
            // `settings_run`) skips every other run's rows. The bounds hold whatever the ids, so
            // the result is the same; only the speed depends on it. (`id + 0`: otherwise PostgreSQL
            // walks the primary key from one end looking for the run, past every other run.)
            let (low, high) = (q.bind(run.0), q.bind(run.0));
            sql.push_str(&format!(
                " AND {id} >= (SELECT min(id + 0) FROM settings WHERE run_id = {low}) \
                 AND {id} <= (SELECT max(id + 0) FROM settings WHERE run_id = {high})"
            ));
        }
    }
    let order = if keyed { "s.key_head, s.id" } else { id };
    sql.push_str(&format!(" ORDER BY {order} LIMIT {}", size + 1));
    Statement::from_sql_and_values(backend, sql, q.values)
}

/// The key condition: the indexed `key_head` narrows (equality, or the range of the prefix before
/// the first `*`), then the full key decides.
fn key_sql(sql: &mut String, q: &mut Sql, pattern: &KeyPattern) {
    if pattern.is_exact() {
        sql.push_str(&q.equal("s.key_head", key_head(&pattern.0)));
        sql.push_str(&q.equal("s.key", &pattern.0));
        return;
    }
    let text = stored(&pattern.0);
    let prefix = text.split('*').next().unwrap_or("");
    if prefix.chars().count() >= KEY_HEAD_CHARS {
        sql.push_str(&q.equal("s.key_head", key_head(prefix)));
    } else if !prefix.is_empty() {
        let low = q.bind(prefix.to_owned());
        sql.push_str(&format!(" AND s.key_head >= {low}"));
        if let Some(high) = successor(prefix) {
            sql.push_str(&format!(" AND s.key_head < {}", q.bind(high)));
        }
    }
    let clause = match q.backend {
        DatabaseBackend::Postgres => {
            format!(" AND s.key LIKE {} ESCAPE '\\'", q.bind(like(&text)))
        }
        _ => format!(" AND s.key GLOB {}", q.bind(glob(&text))),
    };
    sql.push_str(&clause);
}

/// Bound values and their placeholders in the dialect of the backend.
struct Sql {
    backend: DatabaseBackend,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DatabaseBackend) -> Self {
        Sql {
            backend,
            values: Vec::new(),
        }
    }

    /// Binds `value` and returns its placeholder.
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DatabaseBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    /// ` AND column = value`, also matching NUL-escaped rows when escaping changes the value.
    fn equal(&mut self, column: &str, value: &str) -> String {
        let escaped = escape(value);
        if escaped == value {
            return format!(" AND {column} = {}", self.bind(value.to_owned()));
        }
        let plain = if value.contains('\0') {
            // PostgreSQL cannot bind NUL; only an escaped row can hold it.
            "FALSE".to_owned()
        } else {
            format!(
                "(NOT s.nul_escaped AND {column} = {})",
                self.bind(value.to_owned())
            )
        };
        let flagged = format!("(s.nul_escaped AND {column} = {})", self.bind(escaped));
        format!(" AND ({plain} OR {flagged})")
    }
}

fn setting_row(f: Found) -> SettingRow {
    let esc = f.nul_escaped;
    SettingRow {
        id: f.id,
        run_id: f.run_id,
        conf: decode(f.conf_type, esc),
        stanza: decode(f.stanza, esc),
        key: decode(f.key, esc),
        value: decode(f.value, esc),
        app: f.app.map(|app| decode(app, esc)),
        layer: decode(f.layer, esc),
        source_path: decode(f.source_path, esc),
        line: f.line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_with_more_than_four_stars_or_over_a_kilobyte_are_refused() {
        assert!(KeyPattern::parse("EVAL-*").is_ok());
        assert!(KeyPattern::parse("*a*b*c*").is_ok());
        assert!(KeyPattern::parse("*a*b*c*d*").is_err());
        assert!(KeyPattern::parse(&"k".repeat(1025)).is_err());
        assert!(value_substring(&"v".repeat(1024)).is_ok());
        assert!(value_substring(&"v".repeat(1025)).is_err());
    }
}
