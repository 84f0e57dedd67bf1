//! Databases for tests: a SQLite file in a directory of the test's, and a fresh PostgreSQL
//! database per test, created through `CONFQ_TEST_POSTGRES_URL` (as `confq_test_<random>`) and
//! dropped when the handle is dropped.

use std::path::Path;

use sea_orm::{ConnectionTrait, Database};

use crate::{deps, optional};

/// The URL of a SQLite database `confq.db` in `dir`, created on first connection.
pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}/confq.db?mode=rwc", dir.display())
}

/// A PostgreSQL database of the test's own; dropped (`WITH (FORCE)`) when this is dropped.
#[derive(Debug)]
pub struct Postgres {
    url: String,
    admin: String,
    name: String,
}

impl Postgres {
    /// A fresh database when `CONFQ_TEST_POSTGRES_URL` is set; `None` (with a `SKIPPED` line)
    /// when it is not, which under CI fails the test instead (see [`crate::optional`]).
    pub async fn optional() -> Option<Self> {
        let admin = optional("the PostgreSQL variant", deps::postgres_url())?;
        Some(Self::create(&admin).await)
    }

    /// A fresh, empty database created through the database at `admin`.
    ///
    /// # Panics
    /// When `admin` does not answer or the database cannot be created.
    pub async fn create(admin: &str) -> Self {
        let name = format!("confq_test_{}", uuid::Uuid::new_v4().simple());
        let conn = Database::connect(admin)
            .await
            .expect("connect to CONFQ_TEST_POSTGRES_URL");
        conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        let _ = conn.close().await;
        let mut url = url::Url::parse(admin).expect("postgres url");
        url.set_path(&format!("/{name}"));
        Self {
            url: url.to_string(),
            admin: admin.to_owned(),
            name,
        }
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        crate::block_on_thread(async move {
            if let Ok(conn) = Database::connect(admin.as_str()).await {
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = conn.execute_unprepared(&sql).await;
                let _ = conn.close().await;
            }
        });
    }
}
