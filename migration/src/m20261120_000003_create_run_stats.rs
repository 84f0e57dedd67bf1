//! `run_stats`: one row of running totals so the metrics summary never scans `ingestion_runs`.
//!
//! The store updates it in the same transaction as every status change; this migration
//! backfills it from whatever runs already exist.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, double, integer};
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// Creates and backfills `run_stats`.
pub(crate) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261120_000003_create_run_stats"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(RunStats::Table)
            .col(integer(RunStats::Id).primary_key());
        for col in [
            RunStats::Stored,
            RunStats::Parsing,
            RunStats::Retrying,
            RunStats::Complete,
            RunStats::Failed,
            RunStats::RetriesSum,
            RunStats::RetriesMax,
            RunStats::DurationCount,
        ] {
            table.col(big_integer(col).default(0));
        }
        table.col(double(RunStats::DurationSum).default(0.0));
        m.create_table(table.to_owned()).await?;
        let db = m.get_connection();
        db.execute_unprepared(&backfill_sql(db.get_database_backend()))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RunStats::Table).to_owned())
            .await
    }
}

/// The single stats row, computed from the existing runs (an empty table gives zeros).
fn backfill_sql(backend: DbBackend) -> String {
    let duration = match backend {
        DbBackend::Postgres => "CAST(metrics->>'duration_seconds' AS DOUBLE PRECISION)",
        _ => "CAST(json_extract(metrics, '$.duration_seconds') AS REAL)",
    };
    format!(
        "INSERT INTO run_stats (id, stored, parsing, retrying, complete, failed, retries_sum, \
         retries_max, duration_count, duration_sum) \
         SELECT 1, \
         COALESCE(SUM(CASE WHEN status = 'stored' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'parsing' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'retrying' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'complete' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(retry_count), 0), COALESCE(MAX(retry_count), 0), \
         COALESCE(SUM(CASE WHEN status = 'complete' AND {duration} IS NOT NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'complete' THEN {duration} ELSE NULL END), 0) \
         FROM ingestion_runs"
    )
}

#[derive(DeriveIden)]
enum RunStats {
    Table,
    Id,
    Stored,
    Parsing,
    Retrying,
    Complete,
    Failed,
    RetriesSum,
    RetriesMax,
    DurationCount,
    DurationSum,
}
