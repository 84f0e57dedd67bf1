//! Retry tracking on runs: the task id, retry count, error details, heartbeat and timing, metrics.
//!
//! SQLite takes one column per `ALTER TABLE` (sea-query panics otherwise) and no UNIQUE in
//! `ADD COLUMN`, so the unique task id is a separate unique index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    integer, json_binary_null, text_null, timestamp_with_time_zone_null, uuid_null,
};

/// Adds the retry-tracking columns to `ingestion_runs`.
pub(crate) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261115_000002_add_retry_tracking"
    }
}

const TASK_ID_INDEX: &str = "uq_ingestion_runs_task_id";
const FAILURES_INDEX: &str = "idx_ingestion_runs_status_completed_at";

fn columns() -> Vec<ColumnDef> {
    vec![
        uuid_null(Runs::TaskId),
        integer(Runs::RetryCount).default(0).take(),
        text_null(Runs::ErrorMessage),
        text_null(Runs::ErrorTraceback),
        timestamp_with_time_zone_null(Runs::LastHeartbeat),
        timestamp_with_time_zone_null(Runs::StartedAt),
        timestamp_with_time_zone_null(Runs::CompletedAt),
        json_binary_null(Runs::Metrics),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for mut col in columns() {
            let alter = Table::alter()
                .table(Runs::Table)
                .add_column(&mut col)
                .to_owned();
            m.alter_table(alter).await?;
        }
        let unique = Index::create()
            .name(TASK_ID_INDEX)
            .table(Runs::Table)
            .col(Runs::TaskId)
            .unique()
            .to_owned();
        m.create_index(unique).await?;
        let failures = Index::create()
            .name(FAILURES_INDEX)
            .table(Runs::Table)
            .col(Runs::Status)
            .col(Runs::CompletedAt)
            .to_owned();
        m.create_index(failures).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in [FAILURES_INDEX, TASK_ID_INDEX] {
            m.drop_index(Index::drop().name(name).table(Runs::Table).to_owned())
                .await?;
        }
        for col in columns().into_iter().rev() {
            let alter = Table::alter()
                .table(Runs::Table)
                .drop_column(col.get_column_name())
                .to_owned();
            m.alter_table(alter).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Runs {
    #[sea_orm(iden = "ingestion_runs")]
    Table,
    Status,
    TaskId,
    RetryCount,
    ErrorMessage,
    ErrorTraceback,
    LastHeartbeat,
    StartedAt,
    CompletedAt,
    Metrics,
}
