//! Adding or dropping one column of `ingestion_runs`, the shape of every migration after the
//! first that widens the run row.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum Runs {
    #[sea_orm(iden = "ingestion_runs")]
    Table,
}

/// `ALTER TABLE ingestion_runs ADD COLUMN column`.
pub(crate) async fn add(m: &SchemaManager<'_>, column: ColumnDef) -> Result<(), DbErr> {
    let mut column = column;
    let alter = Table::alter()
        .table(Runs::Table)
        .add_column(&mut column)
        .to_owned();
    m.alter_table(alter).await
}

/// `ALTER TABLE ingestion_runs DROP COLUMN column`.
pub(crate) async fn drop(m: &SchemaManager<'_>, column: impl IntoIden) -> Result<(), DbErr> {
    let alter = Table::alter()
        .table(Runs::Table)
        .drop_column(column)
        .to_owned();
    m.alter_table(alter).await
}
