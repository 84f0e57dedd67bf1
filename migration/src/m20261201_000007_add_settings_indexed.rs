//! When a complete run's settings were indexed for search (`settings_indexed_at`): the `settings`
//! rows are built after the run completes, outside the ingestion's write transaction, and this
//! column says whether that step is done (null: not yet searchable).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::timestamp_with_time_zone_null;

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
        let alter = Table::alter()
            .table(Runs::Table)
            .add_column(timestamp_with_time_zone_null(Runs::SettingsIndexedAt))
            .to_owned();
        m.alter_table(alter).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let alter = Table::alter()
            .table(Runs::Table)
            .drop_column(Runs::SettingsIndexedAt)
            .to_owned();
        m.alter_table(alter).await
    }
}

#[derive(DeriveIden)]
enum Runs {
    #[sea_orm(iden = "ingestion_runs")]
    Table,
    SettingsIndexedAt,
}
