//! `settings`: one row per setting (key and value of a stanza), built from a complete run's
//! stanzas (`Store::index_settings`, after the ingestion's write), so `GET /v1/settings` finds
//! where a key is set, or a value appears, across runs without reading every stanza's JSON. The substring index is each database's own: `pg_trgm` GIN on
//! PostgreSQL (skipped, with a notice, when the extension cannot be created), an FTS5 trigram
//! table kept in step by triggers on SQLite.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

/// Creates `settings`, its indexes and the substring index.
pub(crate) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000006_create_settings"
    }
}

/// The table, with each database's auto-increment id and `key_head` type. `key_head` is the key's
/// first 200 characters: what the key index holds, so a hostile key of any length never exceeds
/// PostgreSQL's btree row limit; `COLLATE "C"` makes its range comparisons byte order (prefix
/// search), as SQLite's BINARY does. On SQLite `id` is the rowid the FTS5 table refers to.
fn table(id: &str, key_head: &str) -> String {
    format!(
        "CREATE TABLE settings (
            id {id},
            run_id BIGINT NOT NULL,
            file_id BIGINT NOT NULL,
            conf_type TEXT NOT NULL,
            stanza TEXT NOT NULL,
            key TEXT NOT NULL,
            key_head {key_head} NOT NULL,
            value TEXT NOT NULL,
            app TEXT,
            layer TEXT NOT NULL,
            source_path TEXT NOT NULL,
            line BIGINT NOT NULL,
            nul_escaped BOOLEAN NOT NULL
        )"
    )
}

const INDEXES: &[&str] = &[
    "CREATE INDEX settings_key ON settings (key_head, id)",
    "CREATE INDEX settings_run ON settings (run_id, key_head, id)",
];

const POSTGRES_TRGM: &[&str] = &[
    r"DO $$ BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm is not available (%): value search will scan', SQLERRM;
    END $$",
    r"DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
            CREATE INDEX settings_value_trgm ON settings USING gin (value gin_trgm_ops);
        END IF;
    END $$",
];

const SQLITE_FTS: &[&str] = &[
    "CREATE VIRTUAL TABLE settings_value USING fts5(
        value, content = 'settings', content_rowid = 'id', tokenize = 'trigram'
    )",
    "CREATE TRIGGER settings_value_insert AFTER INSERT ON settings BEGIN
        INSERT INTO settings_value (rowid, value) VALUES (new.id, new.value);
    END",
    "CREATE TRIGGER settings_value_delete AFTER DELETE ON settings BEGIN
        INSERT INTO settings_value (settings_value, rowid, value)
        VALUES ('delete', old.id, old.value);
    END",
];

const DOWN_POSTGRES: &[&str] = &["DROP TABLE settings"];

const DOWN_SQLITE: &[&str] = &[
    "DROP TRIGGER settings_value_delete",
    "DROP TRIGGER settings_value_insert",
    "DROP TABLE settings_value",
    "DROP TABLE settings",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let postgres = m.get_database_backend() == DatabaseBackend::Postgres;
        let (create, substring) = if postgres {
            (
                table("BIGSERIAL PRIMARY KEY", r#"TEXT COLLATE "C""#),
                POSTGRES_TRGM,
            )
        } else {
            (
                table("INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT"),
                SQLITE_FTS,
            )
        };
        let rest = INDEXES.iter().chain(substring).map(|sql| (*sql).to_owned());
        run(m, std::iter::once(create).chain(rest)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let statements = match m.get_database_backend() {
            DatabaseBackend::Postgres => DOWN_POSTGRES,
            _ => DOWN_SQLITE,
        };
        run(m, statements.iter().map(|sql| (*sql).to_owned())).await
    }
}

async fn run(m: &SchemaManager<'_>, statements: impl Iterator<Item = String>) -> Result<(), DbErr> {
    for sql in statements {
        m.get_connection().execute_unprepared(&sql).await?;
    }
    Ok(())
}
