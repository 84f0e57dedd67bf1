//! The `run_stats` entity: the single row of running totals behind the metrics summary.
#![allow(missing_docs)] // columns are documented in docs/normalization-model.md

use sea_orm::entity::prelude::*;

/// Row `id = 1`: run counts per status, retry totals, and durations of complete runs.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "run_stats")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub stored: i64,
    pub parsing: i64,
    pub retrying: i64,
    pub complete: i64,
    pub failed: i64,
    pub cancelled: i64,
    pub retries_sum: i64,
    pub retries_max: i64,
    pub duration_count: i64,
    pub duration_sum: f64,
}

/// No relations: the row summarises `ingestion_runs`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
