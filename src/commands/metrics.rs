//! `confq metrics [--json]`: the aggregate metrics with queue depths (`--json`: exactly the HTTP
//! metrics document).

use serde_json::Value;

use crate::cli::{JsonArgs, Settings};
use crate::commands::table;
use crate::exit::Failure;
use crate::output::out;
use crate::services;

/// Prints the metrics document.
pub(crate) async fn run(settings: &Settings, args: &JsonArgs) -> Result<(), Failure> {
    let services = services::broker(settings, false).await?;
    let store = services::store(settings).await?;
    let queue = protocol::default_queue();
    let document =
        api::documents::metrics_with(&services.broker, &store, &queue, settings.stuck_after()?)
            .await
            .map_err(|error| services::database_failure("compute metrics", &error))?;
    let document =
        serde_json::to_value(document).map_err(|error| Failure::runtime(error.to_string()))?;
    if args.json {
        out!("{document}");
        return Ok(());
    }
    let mut summary = document.clone();
    if let Some(object) = summary.as_object_mut() {
        object.remove("queues");
        object.remove("recent_failures");
    }
    out!("{}\n", table::key_values(&summary));
    let rows: Vec<Vec<String>> = document["queues"]
        .as_object()
        .map(|queues| {
            queues
                .iter()
                .map(|(name, depths)| {
                    let mut row = vec![name.clone()];
                    row.extend(
                        ["pending", "processing", "delayed", "dead", "workers"]
                            .map(|key| table::cell(&depths[key])),
                    );
                    row
                })
                .collect()
        })
        .unwrap_or_default();
    out!(
        "{}",
        table::render(
            &[
                "queue",
                "pending",
                "processing",
                "delayed",
                "dead",
                "workers"
            ],
            &rows
        )
    );
    if let Some(failures) = document["recent_failures"]
        .as_array()
        .filter(|failures| !failures.is_empty())
    {
        out!("\nrecent failures:");
        for failure in failures {
            out!(
                "  run {}: {}",
                table::cell(&failure["id"]),
                table::cell(failure.get("error_message").unwrap_or(&Value::Null))
            );
        }
    }
    Ok(())
}
