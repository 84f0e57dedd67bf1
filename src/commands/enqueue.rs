//! `confq enqueue TASK ARGS_JSON [--queue Q] [--delay SECS]`: pushes one envelope.

use std::time::Duration;

use broker::Envelope;
use serde_json::Value;

use crate::cli::{EnqueueArgs, Settings};
use crate::exit::Failure;
use crate::output::out;
use crate::{services, settings};

/// Pushes one envelope and prints its task id.
pub(crate) async fn run(settings: &Settings, args: &EnqueueArgs) -> Result<(), Failure> {
    let queue = settings::queue(&args.queue)?;
    let Value::Object(task_args) = serde_json::from_str::<Value>(&args.args_json)
        .map_err(|error| Failure::usage(format!("ARGS_JSON is not valid JSON: {error}")))?
    else {
        return Err(Failure::usage(
            "ARGS_JSON must be a JSON object, e.g. '{\"ms\": 100}'",
        ));
    };
    let delay = match args.delay {
        Some(secs) => Some(
            Duration::try_from_secs_f64(secs)
                .map_err(|_| Failure::usage("--delay must be a non-negative number of seconds"))?,
        ),
        None => None,
    };
    let mut envelope = Envelope::new(args.task.clone(), task_args);
    envelope.max_retries = None;
    let services = services::broker(settings, false).await?;
    let producer = services.broker.producer();
    let pushed = match delay {
        Some(delay) => producer.enqueue_in(&queue, &envelope, delay).await,
        None => producer.enqueue(&queue, &envelope).await,
    };
    pushed.map_err(|error| Failure::caused("could not enqueue", &error))?;
    out!("{}", envelope.id);
    Ok(())
}
