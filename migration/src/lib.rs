#![doc = include_str!("../README.md")]
#![warn(unreachable_pub)] // what is `pub` is meant to be: the crate's API

use sea_orm_migration::prelude::{MigrationTrait, async_trait};

mod m20261101_000001_create_tables;
mod m20261115_000002_add_retry_tracking;
mod m20261120_000003_create_run_stats;
mod m20261128_000004_add_delivery_attempt;
mod m20261201_000005_add_run_queue;
mod m20261201_000006_create_settings;
mod m20261201_000007_add_settings_indexed;
mod m20261201_000008_add_run_stats_cancelled;
mod runs_column;

pub use sea_orm_migration::MigratorTrait;

/// The ordered list of every confq migration.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261101_000001_create_tables::Migration),
            Box::new(m20261115_000002_add_retry_tracking::Migration),
            Box::new(m20261120_000003_create_run_stats::Migration),
            Box::new(m20261128_000004_add_delivery_attempt::Migration),
            Box::new(m20261201_000005_add_run_queue::Migration),
            Box::new(m20261201_000006_create_settings::Migration),
            Box::new(m20261201_000007_add_settings_indexed::Migration),
            Box::new(m20261201_000008_add_run_stats_cancelled::Migration),
        ]
    }
}
