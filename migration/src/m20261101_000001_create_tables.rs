//! The first schema: ingestion runs, their parsed conf files and stanzas.
//!
//! Text that may hold NUL lives in rows flagged `nul_escaped` (see docs/normalization-model.md);
//! settings and warnings are JSON text so key order and `\u0000` survive on both databases.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_pk_auto, boolean, integer, string, text, text_null, timestamp_with_time_zone,
};

/// Creates `ingestion_runs`, `conf_files` and `stanzas`.
pub(crate) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261101_000001_create_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(runs_table()).await?;
        m.create_index(index(
            "idx_runs_status_id",
            Runs::Table,
            [Runs::Status, Runs::Id],
        ))
        .await?;
        m.create_index(index("idx_runs_created_at", Runs::Table, [Runs::CreatedAt]))
            .await?;
        m.create_table(files_table()).await?;
        m.create_index(index(
            "idx_conf_files_run_id",
            ConfFiles::Table,
            [ConfFiles::RunId, ConfFiles::Id],
        ))
        .await?;
        m.create_table(stanzas_table()).await?;
        m.create_index(
            index(
                "uq_stanzas_run_file_name_global",
                Stanzas::Table,
                [
                    Stanzas::RunId,
                    Stanzas::FileId,
                    Stanzas::Name,
                    Stanzas::Global,
                ],
            )
            .unique()
            .take(),
        )
        .await?;
        m.create_index(index(
            "idx_stanzas_run_id",
            Stanzas::Table,
            [Stanzas::RunId, Stanzas::Id],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Stanzas::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ConfFiles::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Runs::Table).to_owned())
            .await
    }
}

fn index<T: IntoIden + 'static, C: IntoIndexColumn>(
    name: &str,
    table: T,
    cols: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for col in cols {
        idx.col(col);
    }
    idx
}

fn runs_table() -> TableCreateStatement {
    Table::create()
        .table(Runs::Table)
        .col(big_pk_auto(Runs::Id))
        .col(text(Runs::Filename))
        .col(text(Runs::ObjectKey))
        .col(big_integer(Runs::SizeBytes))
        .col(string(Runs::Sha256))
        .col(string(Runs::Source))
        .col(string(Runs::Status))
        .col(integer(Runs::Attempt).default(0))
        .col(timestamp_with_time_zone(Runs::CreatedAt))
        .col(timestamp_with_time_zone(Runs::UpdatedAt))
        .to_owned()
}

fn files_table() -> TableCreateStatement {
    Table::create()
        .table(ConfFiles::Table)
        .col(big_pk_auto(ConfFiles::Id))
        .col(big_integer(ConfFiles::RunId))
        .col(text(ConfFiles::Path))
        .col(text_null(ConfFiles::App))
        .col(string(ConfFiles::Layer))
        .col(text(ConfFiles::ConfType))
        .col(big_integer(ConfFiles::SizeBytes))
        .col(string(ConfFiles::Sha256))
        .col(big_integer(ConfFiles::StanzaCount))
        .col(text_null(ConfFiles::ParseError))
        .col(text(ConfFiles::Warnings))
        .col(boolean(ConfFiles::NulEscaped).default(false))
        .foreign_key(
            ForeignKey::create()
                .name("fk_conf_files_run")
                .from(ConfFiles::Table, ConfFiles::RunId)
                .to(Runs::Table, Runs::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn stanzas_table() -> TableCreateStatement {
    Table::create()
        .table(Stanzas::Table)
        .col(big_pk_auto(Stanzas::Id))
        .col(big_integer(Stanzas::RunId))
        .col(big_integer(Stanzas::FileId))
        .col(text_null(Stanzas::App))
        .col(string(Stanzas::Layer))
        .col(text(Stanzas::ConfType))
        .col(text(Stanzas::Name))
        .col(boolean(Stanzas::Global))
        .col(text(Stanzas::SourcePath))
        .col(big_integer(Stanzas::Line))
        .col(text(Stanzas::Settings))
        .col(boolean(Stanzas::NulEscaped).default(false))
        .foreign_key(
            ForeignKey::create()
                .name("fk_stanzas_file")
                .from(Stanzas::Table, Stanzas::FileId)
                .to(ConfFiles::Table, ConfFiles::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum Runs {
    #[sea_orm(iden = "ingestion_runs")]
    Table,
    Id,
    Filename,
    ObjectKey,
    SizeBytes,
    Sha256,
    Source,
    Status,
    Attempt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ConfFiles {
    Table,
    Id,
    RunId,
    Path,
    App,
    Layer,
    ConfType,
    SizeBytes,
    Sha256,
    StanzaCount,
    ParseError,
    Warnings,
    NulEscaped,
}

#[derive(DeriveIden)]
enum Stanzas {
    Table,
    Id,
    RunId,
    FileId,
    App,
    Layer,
    ConfType,
    Name,
    Global,
    SourcePath,
    Line,
    Settings,
    NulEscaped,
}
