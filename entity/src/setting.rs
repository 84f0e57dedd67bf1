//! The `settings` entity: one key/value of one stanza, for search across runs.
#![allow(missing_docs)] // columns are documented in docs/normalization-model.md

use sea_orm::entity::prelude::*;

/// One row of `settings`. `key_head` is the key's first 200 characters (what the key index
/// holds); text columns are NUL-escaped when `nul_escaped` is set. `line` is the stanza's line.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "settings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub file_id: i64,
    pub conf_type: String,
    pub stanza: String,
    pub key: String,
    pub key_head: String,
    #[sea_orm(column_type = "Text")]
    pub value: String,
    pub app: Option<String>,
    pub layer: String,
    pub source_path: String,
    pub line: i64,
    pub nul_escaped: bool,
}

/// Settings belong to a stanza, a file and a run.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
