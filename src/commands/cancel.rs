//! `confq cancel TASK_ID`: cancels a task by id as `POST /v1/tasks/{task_id}/cancel` does
//! (its ingestion run too, when it was removed from the queue).

use broker::CancelOutcome;

use crate::cli::{CancelArgs, Settings};
use crate::commands::task::parse_id;
use crate::exit::Failure;
use crate::output::out;
use crate::services;

/// Cancels one task and says what happened.
pub(crate) async fn run(settings: &Settings, args: &CancelArgs) -> Result<(), Failure> {
    let id = parse_id(&args.task_id)?;
    let broker = services::broker(settings, false).await?;
    let store = services::store(settings).await?;
    let outcome = entity::cancel::cancel_task(&broker.broker, &store, &id)
        .await
        .map_err(|error| Failure::caused("cannot cancel the task", &error))?;
    match outcome {
        CancelOutcome::Cancelled { from, .. } => {
            out!("cancelled {id} (it was {})", from.as_str());
            Ok(())
        }
        CancelOutcome::Signalled => {
            out!("cancelling {id}: it is running; its worker was told to stop");
            Ok(())
        }
        CancelOutcome::Finished(state) => Err(Failure::runtime(format!(
            "task {id} already finished ({}): there is nothing to cancel",
            state.as_str()
        ))),
        CancelOutcome::Unknown => Err(Failure::runtime(format!(
            "no task {id}: never enqueued here, or finished more than CONFQ_RESULT_TTL_SECS ago"
        ))),
    }
}
