//! `confq task TASK_ID [--json]`: one task's state by id, the same document as
//! `GET /v1/tasks/{task_id}`.

use broker::TaskId;

use crate::cli::{Settings, TaskArgs};
use crate::commands::table;
use crate::exit::Failure;
use crate::output::out;
use crate::services;

/// Prints one task's state document.
pub(crate) async fn run(settings: &Settings, args: &TaskArgs) -> Result<(), Failure> {
    let id = parse_id(&args.task_id)?;
    let services = services::broker(settings, false).await?;
    let info = services
        .broker
        .task(&id)
        .await
        .map_err(|error| Failure::caused("cannot look the task up", &error))?
        .ok_or_else(|| {
            Failure::runtime(format!(
                "no task {id}: never enqueued here, or finished more than CONFQ_RESULT_TTL_SECS ago"
            ))
        })?;
    let document = serde_json::to_value(api::routes::tasks::TaskDocument::from(info))
        .map_err(|error| Failure::runtime(error.to_string()))?;
    if args.json {
        out!("{document}");
    } else {
        out!("{}", table::key_values(&document));
    }
    Ok(())
}

/// A task id argument, or a usage failure.
pub(crate) fn parse_id(text: &str) -> Result<TaskId, Failure> {
    text.parse()
        .map_err(|_| Failure::usage(format!("{text:?} is not a task id (UUID)")))
}
