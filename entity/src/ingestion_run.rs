//! The `ingestion_runs` entity: one uploaded archive and its processing state.
#![allow(missing_docs)] // columns are documented in docs/normalization-model.md

use sea_orm::entity::prelude::*;

/// One row of `ingestion_runs`; `status` and `source` hold the lowercase names of
/// [`crate::store::RunStatus`] and [`crate::store::RunSource`].
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ingestion_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub filename: String,
    pub object_key: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub source: String,
    pub status: String,
    pub attempt: i32,
    pub task_id: Option<Uuid>,
    pub retry_count: i32,
    pub error_message: Option<String>,
    pub error_traceback: Option<String>,
    pub last_heartbeat: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub metrics: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub delivery_attempt: i32,
    pub queue: Option<String>,
    pub settings_indexed_at: Option<DateTimeUtc>,
}

/// Runs own their files (see [`crate::conf_file`]).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
