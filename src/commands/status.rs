//! `confq status RUN_ID [--json]`: one run's status, the same fields as the HTTP endpoint.

use entity::store::RunId;

use crate::cli::{Settings, StatusArgs};
use crate::commands::table;
use crate::exit::Failure;
use crate::output::out;
use crate::services;

/// Prints one run's status document.
pub(crate) async fn run(settings: &Settings, args: &StatusArgs) -> Result<(), Failure> {
    let store = services::store(settings).await?;
    let run = store
        .run(RunId(args.run_id))
        .await
        .map_err(|error| services::database_failure(&format!("read run {}", args.run_id), &error))?
        .ok_or_else(|| Failure::runtime(format!("run {} does not exist", args.run_id)))?;
    let document = serde_json::to_value(api::documents::StatusDocument::from(run))
        .map_err(|error| Failure::runtime(error.to_string()))?;
    if args.json {
        out!("{document}");
    } else {
        out!("{}", table::key_values(&document));
    }
    Ok(())
}
