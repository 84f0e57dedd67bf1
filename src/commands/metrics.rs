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
    let store = match services::store(settings).await {
        Ok(store) => store,
        Err(failure) => return Err(workers_anyway(&services.broker, args, failure).await),
    };
    let queue = protocol::default_queue();
    let document =
        api::documents::metrics_with(&services.broker, &store, &queue, settings.stuck_after()?)
            .await
            .map_err(|error| services::database_failure("compute metrics", &error));
    let document = match document {
        Ok(document) => document,
        Err(failure) => return Err(workers_anyway(&services.broker, args, failure).await),
    };
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
        object.remove("workers");
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
    out!("{}", workers_table(&document["workers"]));
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

/// When the database does not answer, the workers and their breakers (read from Redis) are
/// what an operator needs most: the table still prints (not with `--json`), then `failure`.
async fn workers_anyway(broker: &broker::Broker, args: &JsonArgs, failure: Failure) -> Failure {
    if args.json {
        return failure;
    }
    if let Ok(live) = broker.workers().live().await {
        let workers: Vec<api::documents::WorkerDocument> = live.iter().map(Into::into).collect();
        if let Ok(workers) = serde_json::to_value(workers) {
            out!("{}", workers_table(&workers));
        }
    }
    failure
}

/// Live workers, one row each, with their breakers (`database=open storage=closed`).
fn workers_table(workers: &Value) -> String {
    let rows: Vec<Vec<String>> = workers
        .as_array()
        .map(|workers| {
            workers
                .iter()
                .map(|w| {
                    let breakers = w["breakers"]
                        .as_object()
                        .map(|b| {
                            b.iter()
                                .map(|(d, state)| format!("{d}={}", table::cell(state)))
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .unwrap_or_default();
                    let queues = w["queues"]
                        .as_array()
                        .map(|q| q.iter().map(table::cell).collect::<Vec<_>>().join(","))
                        .unwrap_or_default();
                    vec![
                        table::cell(&w["id"]),
                        queues,
                        format!(
                            "{}/{}",
                            table::cell(&w["in_flight"]),
                            table::cell(&w["concurrency"])
                        ),
                        breakers,
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    format!(
        "\n{}",
        table::render(&["worker", "queues", "in flight", "breakers"], &rows)
    )
}
