//! The broker's attempt number of the delivery that began the current attempt, so a lease expiry
//! recorded late (after the redelivery began) can tell that it is stale and change nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::integer;

/// Adds `delivery_attempt` to `ingestion_runs`.
pub(crate) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261128_000004_add_delivery_attempt"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let alter = Table::alter()
            .table(Runs::Table)
            .add_column(integer(Runs::DeliveryAttempt).default(0))
            .to_owned();
        m.alter_table(alter).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let alter = Table::alter()
            .table(Runs::Table)
            .drop_column(Runs::DeliveryAttempt)
            .to_owned();
        m.alter_table(alter).await
    }
}

#[derive(DeriveIden)]
enum Runs {
    #[sea_orm(iden = "ingestion_runs")]
    Table,
    DeliveryAttempt,
}
