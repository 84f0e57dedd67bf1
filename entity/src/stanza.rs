//! The `stanzas` entity: one parsed stanza (or a file's pre-header global settings).
#![allow(missing_docs)] // columns are documented in docs/normalization-model.md

use sea_orm::entity::prelude::*;

/// One row of `stanzas`. `settings` is JSON object text in file order; text columns are
/// NUL-escaped when `nul_escaped` is set.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stanzas")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub file_id: i64,
    pub app: Option<String>,
    pub layer: String,
    pub conf_type: String,
    pub name: String,
    pub global: bool,
    pub source_path: String,
    pub line: i64,
    #[sea_orm(column_type = "Text")]
    pub settings: String,
    pub nul_escaped: bool,
}

/// Stanzas belong to a file and a run.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
