//! When a complete run's settings were indexed for search (`settings_indexed_at`): the `settings`
//! rows are built after the run completes, outside the ingestion's write transaction, and this
//! column says whether that step is done (null: not yet searchable).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::timestamp_with_time_zone_null;

use crate::runs_column;

/// Adds `settings_indexed_at` to `ingestion_runs`.
pub(crate) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000007_add_settings_indexed"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        runs_column::add(m, timestamp_with_time_zone_null(Runs::SettingsIndexedAt)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        runs_column::drop(m, Runs::SettingsIndexedAt).await
    }
}

#[derive(DeriveIden)]
enum Runs {
    SettingsIndexedAt,
}
