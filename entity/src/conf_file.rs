//! The `conf_files` entity: one `.conf`/`.meta` file found in a run's archive.
#![allow(missing_docs)] // columns are documented in docs/normalization-model.md

use sea_orm::entity::prelude::*;

/// One row of `conf_files`. Text columns are NUL-escaped when `nul_escaped` is set;
/// `warnings` is JSON text (`[{"line", "message"}]`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "conf_files")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub path: String,
    pub app: Option<String>,
    pub layer: String,
    pub conf_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub stanza_count: i64,
    pub parse_error: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub warnings: String,
    pub nul_escaped: bool,
}

/// Files belong to a run.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
