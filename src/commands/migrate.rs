//! `confq migrate`: applies the database migrations.

use crate::cli::Settings;
use crate::exit::Failure;
use crate::output::out;
use crate::services;

/// Applies every pending migration (even with `--no-migrate`: that is this command's job).
pub(crate) async fn run(settings: &Settings) -> Result<(), Failure> {
    let settings = Settings {
        no_migrate: false,
        ..settings.clone()
    };
    services::store(&settings).await?;
    out!(
        "migrations applied to {}",
        broker::redact::redact(&settings.database_url())
    );
    Ok(())
}
