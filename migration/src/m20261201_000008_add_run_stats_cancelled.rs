//! Run status `cancelled` (a cancel reached the run's task, `POST /v1/tasks/{id}/cancel`): its
//! count in `run_stats`. `ingestion_runs.status` is plain text with no constraint, so only the
//! totals row gains a column (0: no run was cancelled before this version).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer;

/// Adds `cancelled` to `run_stats`.
pub(crate) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000008_add_run_stats_cancelled"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let alter = Table::alter()
            .table(RunStats::Table)
            .add_column(big_integer(RunStats::Cancelled).default(0))
            .to_owned();
        m.alter_table(alter).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let alter = Table::alter()
            .table(RunStats::Table)
            .drop_column(RunStats::Cancelled)
            .to_owned();
        m.alter_table(alter).await
    }
}

#[derive(DeriveIden)]
enum RunStats {
    Table,
    Cancelled,
}
