//! The reaper's database side: when the broker redelivers or dead-letters an ingestion whose lease
//! expired, the run row says so too (retry_count, `retrying`, or `failed` with `timeout`), so a run
//! is never left `parsing` with no task behind it.

use broker::ExpiredTask;
use entity::StoreError;
use entity::store::{RunId, Store};
use protocol::{PARSE_UPLOAD, ParseUpload};
use tracing::{info, warn};

use worker::retry::retries_before;

/// Records every expired ingestion on its run row. Returns the expiries it could not record
/// because the database failed transiently, for the caller to try again on its next tick (the
/// broker side is done already and will not report them again).
pub async fn record_expiries(store: &Store, expired: Vec<ExpiredTask>) -> Vec<ExpiredTask> {
    let mut unrecorded = Vec::new();
    let mut last_error = None;
    for task in expired {
        if task.envelope.task != PARSE_UPLOAD {
            continue;
        }
        match record_one(store, &task).await {
            Ok(()) => {}
            Err(error) if error.is_transient() => {
                last_error = Some(error);
                unrecorded.push(task);
            }
            Err(error) => {
                warn!(task.id = %task.envelope.id, error = %broker::report::Chain(&error),
                      "could not record a lease expiry on its run; giving up on it");
            }
        }
    }
    if let Some(error) = last_error {
        warn!(pending = unrecorded.len(), error = %broker::report::Chain(&error),
              "could not record lease expiries on their runs; will retry");
    }
    unrecorded
}

async fn record_one(store: &Store, expired: &ExpiredTask) -> Result<(), StoreError> {
    // Tests make the database fail here once ([`crate::fault`]).
    if crate::fault::fails("reaper.record_expiry").await {
        return Err(crate::fault::db_outage(
            "record a lease expiry (injected fault)",
        ));
    }
    let Some(run) = run_of(store, expired).await? else {
        warn!(task.id = %expired.envelope.id, "expired ingestion names no known run");
        return Ok(());
    };
    if expired.cancelled {
        // A cancel had reached it: the broker ended it `cancelled`, and so does its run.
        store.cancel_run(run).await?;
        info!(run.id = run.0, task.id = %expired.envelope.id, "run cancelled after its lease expired");
        return Ok(());
    }
    // The envelope was bumped by the reaper: the delivery that expired had one attempt less.
    let expired_delivery = expired.envelope.attempt.saturating_sub(1);
    // Retries before the delivery that expired: its retry_count while it ran.
    let retries = retries_before(&expired.envelope).saturating_sub(1);
    let message = expiry_message(expired.dead_lettered, retries);
    // Exhausted: it ends like the transient path, with the retries it used. Otherwise one more
    // retry is scheduled.
    let retry_count = if expired.dead_lettered {
        retries
    } else {
        retries.saturating_add(1)
    };
    let retry_count = i32::try_from(retry_count).unwrap_or(i32::MAX);
    if store
        .expire_attempt(
            run,
            expired_delivery,
            retry_count,
            expired.dead_lettered,
            &message,
        )
        .await?
    {
        info!(run.id = run.0, task.id = %expired.envelope.id, %message, "run updated after lease expiry");
    }
    Ok(())
}

/// The `error_message` (and `error_traceback`) of a run whose lease expired on a delivery that
/// `retries` retries preceded: worded like a transient failure's.
pub fn expiry_message(exhausted: bool, retries: u32) -> String {
    let what = "lease expired: the worker stopped renewing it (timeout)";
    if exhausted {
        format!("Failed after {retries} retries: {what}")
    } else {
        format!("Transient error (retry {retries}): {what}")
    }
}

async fn run_of(store: &Store, expired: &ExpiredTask) -> Result<Option<RunId>, StoreError> {
    let args = serde_json::Value::Object(expired.envelope.args.clone());
    match serde_json::from_value::<ParseUpload>(args) {
        Ok(ParseUpload::Run { run_id }) => Ok(Some(RunId(run_id))),
        Ok(ParseUpload::Object { .. }) => Ok(store
            .run_by_task(expired.envelope.id.0)
            .await?
            .map(|run| run.id)),
        Err(_) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::expiry_message;

    #[test]
    fn expiry_messages_name_the_timeout() {
        assert_eq!(
            expiry_message(true, 3),
            "Failed after 3 retries: lease expired: the worker stopped renewing it (timeout)"
        );
        assert!(expiry_message(false, 0).starts_with("Transient error (retry 0): "));
    }
}
