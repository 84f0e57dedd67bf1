//! The broker queue a run's task was sent to (`POST /v1/uploads?queue=`, `confq ingest --queue`),
//! shown in the run's status and reused when the run is retried or its task re-sent. Null for runs
//! made before this column (they went to the configured default queue).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_null;

use crate::runs_column;

/// Adds `queue` to `ingestion_runs`.
pub(crate) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000005_add_run_queue"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        runs_column::add(m, string_null(Runs::Queue)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        runs_column::drop(m, Runs::Queue).await
    }
}

#[derive(DeriveIden)]
enum Runs {
    Queue,
}
