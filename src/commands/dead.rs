//! `confq dead list|requeue|purge`: dead-letter operations.

use broker::TaskId;
use serde_json::json;

use crate::cli::{DeadArgs, DeadCommand, Settings};
use crate::commands::table;
use crate::exit::Failure;
use crate::output::out;
use crate::{services, settings};

/// Dead letters read per round trip when listing.
const PAGE: usize = 1000;

/// Runs one dead-letter operation.
pub(crate) async fn run(settings: &Settings, args: &DeadArgs) -> Result<(), Failure> {
    let queue = settings::queue(&args.queue)?;
    let services = services::broker(settings, false).await?;
    let dead = services.broker.dead_letters();
    let failed =
        |error: broker::BrokerError| Failure::caused("dead-letter operation failed", &error);
    match &args.command {
        DeadCommand::List(list) => {
            let mut items = Vec::new();
            let mut after = None;
            loop {
                let page = dead.list(&queue, after, PAGE).await.map_err(failed)?;
                items.extend(page.items);
                after = page.next;
                if after.is_none() {
                    break;
                }
            }
            if list.json {
                // The HTTP list's document, so scripts can use either.
                let page = api::schemas::DeadLetterPage {
                    items: items.iter().cloned().map(Into::into).collect(),
                    next: None,
                };
                out!("{}", json!(page));
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
                out!(
                    "{}",
                    table::render(&["task_id", "task", "dead_at", "reason"], &rows)
                );
            }
        }
        DeadCommand::Requeue(requeue) => {
            if requeue.all {
                let count = dead.requeue_all(&queue).await.map_err(failed)?;
                out!("requeued {count} dead letters");
            } else if let Some(id) = &requeue.task_id {
                let id: TaskId = id
                    .parse()
                    .map_err(|_| Failure::usage(format!("{id:?} is not a task id (UUID)")))?;
                if !dead.requeue(&queue, &id).await.map_err(failed)? {
                    return Err(Failure::runtime(format!(
                        "no dead letter with task id {id} in queue {queue}"
                    )));
                }
                out!("requeued {id}");
            }
        }
        DeadCommand::Purge => {
            let count = dead.purge(&queue).await.map_err(failed)?;
            out!("purged {count} dead letters");
        }
    }
    Ok(())
}
