//! Connecting (SQLite tuned for concurrent writers, or PostgreSQL) and locked migrations.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database};
use tracing::instrument;

use super::Store;
use crate::StoreError;

/// Any constant works: it only has to be the same in every confq process.
const MIGRATION_LOCK_KEY: i64 = 0x636f_6e66_715f_6d67; // "confq_mg"

impl Store {
    /// Connects to `sqlite://path?mode=rwc` (creating the parent directory; WAL, busy timeout)
    /// or `postgres://…`.
    ///
    /// # Errors
    /// [`StoreError::InvalidUrl`] for an unsupported URL, [`StoreError::Db`] when the database
    /// does not answer. Messages never contain the URL's password.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Self::connect_with(url, DEFAULT_ACQUIRE_TIMEOUT).await
    }

    /// [`Store::connect`] with calls failing after waiting `acquire_timeout` for a connection
    /// (while the database is down, a call hangs this long before its transient failure).
    ///
    /// # Errors
    /// As [`Store::connect`].
    #[instrument(skip_all, err(level = "debug"))]
    pub async fn connect_with(url: &str, acquire_timeout: Duration) -> Result<Store, StoreError> {
        let (url, lock_path) = if url.starts_with("sqlite:") {
            prepare_sqlite(url)?
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (url.to_owned(), None)
        } else {
            return Err(invalid(url, "expected sqlite://… or postgres://…"));
        };
        let db = Database::connect(options(
            &url,
            lock_path.is_none() && url.starts_with("sqlite:"),
            acquire_timeout,
        ))
        .await
        .map_err(StoreError::db("connect"))?;
        Ok(Store {
            db,
            url: Arc::from(url),
            lock_path,
            events: None,
        })
    }

    /// Applies pending migrations; safe when several processes start at once
    /// (`pg_advisory_lock` on PostgreSQL, a lock file next to the SQLite database).
    ///
    /// # Errors
    /// [`StoreError::Db`] when a migration fails, [`StoreError::MigrationLock`] when the lock
    /// file cannot be taken.
    #[instrument(skip_all, err(Debug))]
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => self.migrate_postgres().await,
            _ => self.migrate_sqlite().await,
        }
    }

    /// Checks that the database answers.
    ///
    /// # Errors
    /// [`StoreError::Db`] when it does not.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(StoreError::db("ping"))
    }

    async fn migrate_postgres(&self) -> Result<(), StoreError> {
        // Session-level advisory locks belong to one connection: use a dedicated one.
        let mut opts = options(&self.url, true, DEFAULT_ACQUIRE_TIMEOUT);
        opts.min_connections(1);
        let conn = Database::connect(opts)
            .await
            .map_err(StoreError::db("connect for migrations"))?;
        // Waiting for another process's migrations may take longer than the row-lock timeout.
        let sql = format!("SET lock_timeout = 0; SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})");
        conn.execute_unprepared(&sql)
            .await
            .map_err(StoreError::db("take the migration lock"))?;
        let outcome = Migrator::up(&conn, None).await;
        let sql = format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})");
        let unlocked = conn.execute_unprepared(&sql).await;
        let _ = conn.close().await; // closing also releases the lock
        outcome.map_err(StoreError::db("migrate"))?;
        unlocked
            .map(|_| ())
            .map_err(StoreError::db("release the migration lock"))
    }

    async fn migrate_sqlite(&self) -> Result<(), StoreError> {
        let Some(path) = self.lock_path.clone() else {
            // In memory: one connection, one process; a process-wide mutex is enough.
            static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
            let _guard = LOCK.lock().await;
            return Migrator::up(&self.db, None)
                .await
                .map_err(StoreError::db("migrate"));
        };
        let guard = lock_file(path).await?;
        let outcome = Migrator::up(&self.db, None).await;
        drop(guard);
        outcome.map_err(StoreError::db("migrate"))
    }
}

/// Takes an exclusive `flock` on `path` (blocking, so off the async threads).
async fn lock_file(path: PathBuf) -> Result<std::fs::File, StoreError> {
    let shown = path.display().to_string();
    let locked = tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(std::io::Error::other)
    .and_then(|inner| inner);
    locked.map_err(|source| StoreError::MigrationLock {
        path: shown,
        source,
    })
}

/// Longest wait for a row lock on PostgreSQL.
const POSTGRES_LOCK_TIMEOUT: &str = "10s";
/// A PostgreSQL session idle inside a transaction for this long is ended (its locks released).
const POSTGRES_IDLE_IN_TRANSACTION_TIMEOUT: &str = "60s";

/// How long a call waits for a connection unless told otherwise.
const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(15);

fn options(url: &str, single: bool, acquire_timeout: Duration) -> ConnectOptions {
    let mut opts = ConnectOptions::new(url);
    opts.sqlx_logging(false)
        .max_connections(if single { 1 } else { 10 })
        .acquire_timeout(acquire_timeout)
        .connect_timeout(Duration::from_secs(10));
    // A worker frozen (SIGSTOP, GC) or cut off inside a transaction must not hold a run's row
    // lock for ever: its session is ended after a minute idle in the transaction, and nobody
    // waits more than a few seconds for a row lock (the wait fails as a transient error and is
    // retried), so the reaper and other workers keep going.
    opts.map_sqlx_postgres_opts(|o| {
        o.options([
            ("lock_timeout", POSTGRES_LOCK_TIMEOUT),
            (
                "idle_in_transaction_session_timeout",
                POSTGRES_IDLE_IN_TRANSACTION_TIMEOUT,
            ),
        ])
    });
    opts.map_sqlx_sqlite_opts(|o| {
        o.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
    });
    opts
}

/// Adds `mode=rwc`, creates the parent directory, and returns the migration lock path
/// (`None` for an in-memory database).
fn prepare_sqlite(url: &str) -> Result<(String, Option<PathBuf>), StoreError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or_default();
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.contains("mode=memory") {
        return Ok((url.to_owned(), None));
    }
    let file = Path::new(path);
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|err| invalid(url, &format!("cannot create {}: {err}", parent.display())))?;
    }
    let url = match query {
        "" => format!("sqlite://{path}?mode=rwc"),
        q if q.contains("mode=") => url.to_owned(),
        q => format!("sqlite://{path}?{q}&mode=rwc"),
    };
    let lock = PathBuf::from(format!("{path}.migrate.lock"));
    Ok((url, Some(lock)))
}

fn invalid(url: &str, reason: &str) -> StoreError {
    StoreError::InvalidUrl {
        url: broker::redact::redact(url),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_url_gets_mode_rwc_and_a_lock_file() {
        let dir = std::env::temp_dir().join(format!("confq-url-{}", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}/db/confq.db", dir.display());
        let (url, lock) = prepare_sqlite(&url).expect("prepare");
        assert!(url.ends_with("confq.db?mode=rwc"), "{url}");
        assert!(lock.expect("lock path").ends_with("confq.db.migrate.lock"));
        assert!(dir.join("db").is_dir());
        let _ = std::fs::remove_dir_all(dir);
    }
}
