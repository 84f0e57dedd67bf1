//! `confq dead list|requeue|purge`: dead-letter operations.

use broker::TaskId;
use serde_json::json;

use crate::cli::{DeadArgs, DeadCommand, Settings};
use crate::commands::table;
use crate::exit::Failure;
use crate::{services, settings};

/// Runs one dead-letter operation.
pub async fn run(settings: &Settings, args: &DeadArgs) -> Result<(), Failure> {
    let queue = settings::queue(&args.queue)?;
    let services = services::broker(settings, false).await?;
    let dead = services.broker.dead_letters();
    let failed = |error: broker::BrokerError| {
        Failure::runtime(format!("dead-letter operation failed: {error}"))
    };
    match &args.command {
        DeadCommand::List(list) => {
            let items = dead.list(&queue, 0, 1000).await.map_err(failed)?;
            if list.json {
                println!("{}", json!({ "items": items, "next": null }));
            } else {
                let rows: Vec<Vec<String>> = items
                    .iter()
                    .map(|item| {
                        vec![
                            item.task_id
                                .as_ref()
                                .map_or_else(|| "-".into(), ToString::to_string),
                            item.envelope
                                .as_ref()
                                .map_or_else(|| "-".into(), |envelope| envelope.task.clone()),
                            item.dead_at.to_rfc3339(),
                            item.reason.clone(),
                        ]
                    })
                    .collect();
                println!(
                    "{}",
                    table::render(&["task_id", "task", "dead_at", "reason"], &rows)
                );
            }
        }
        DeadCommand::Requeue(requeue) => {
            if requeue.all {
                let count = dead.requeue_all(&queue).await.map_err(failed)?;
                println!("requeued {count} dead letters");
            } else if let Some(id) = &requeue.task_id {
                let id: TaskId = id
                    .parse()
                    .map_err(|_| Failure::usage(format!("{id:?} is not a task id (UUID)")))?;
                if !dead.requeue(&queue, &id).await.map_err(failed)? {
                    return Err(Failure::runtime(format!(
                        "no dead letter with task id {id} in queue {queue}"
                    )));
                }
                println!("requeued {id}");
            }
        }
        DeadCommand::Purge => {
            let count = dead.purge(&queue).await.map_err(failed)?;
            println!("purged {count} dead letters");
        }
    }
    Ok(())
}
