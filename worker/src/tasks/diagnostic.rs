//! The diagnostic tasks every worker registers, for smoke tests, benchmarks and operators:
//! `confq.noop`, `confq.echo {…}` (its args are its result), `confq.sleep {"ms": N}` (stops when
//! cancelled) and `confq.fail {"kind": "transient"|"permanent"}`.

use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;

use crate::failure::{FailureClass, TaskFailure};
use serde_json::{Map, Value};

use crate::task::{Task, TaskContext, TaskResult, TypedTask};

/// `confq.noop`: does nothing but log `confq.noop started` at debug level (target
/// `worker::tasks::diagnostic`), the moment the latency bench reads as the task's start.
pub struct Noop;

/// Arguments of `confq.noop` (any object is accepted).
#[derive(Debug, Deserialize)]
pub struct NoopArgs {}

impl TypedTask for Noop {
    type Args = NoopArgs;
    const NAME: &'static str = "confq.noop";

    fn run(&self, _ctx: TaskContext, _args: NoopArgs) -> BoxFuture<'static, TaskResult> {
        Box::pin(async {
            tracing::debug!("confq.noop started");
            Ok(())
        })
    }
}

/// `confq.echo`: returns its arguments as its result.
pub struct Echo;

impl Task for Echo {
    fn name(&self) -> &'static str {
        "confq.echo"
    }

    fn run(&self, ctx: TaskContext, args: Map<String, Value>) -> BoxFuture<'static, TaskResult> {
        ctx.set_result(Value::Object(args));
        Box::pin(async { Ok(()) })
    }
}

/// `confq.sleep`: sleeps `ms` milliseconds, reporting progress so its lease is renewed; stops
/// early (a transient failure) when its delivery is cancelled (a cancel, a time limit).
pub struct Sleep;

/// Arguments of `confq.sleep`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SleepArgs {
    /// How long to sleep, in milliseconds.
    pub ms: u64,
}

impl TypedTask for Sleep {
    type Args = SleepArgs;
    const NAME: &'static str = "confq.sleep";

    fn run(&self, ctx: TaskContext, args: SleepArgs) -> BoxFuture<'static, TaskResult> {
        Box::pin(async move {
            let step = Duration::from_millis(250);
            let mut left = Duration::from_millis(args.ms);
            while !left.is_zero() {
                let nap = left.min(step);
                tokio::select! {
                    () = tokio::time::sleep(nap) => {}
                    () = ctx.cancel.cancelled() => {
                        return Err(TaskFailure::message(FailureClass::Transient, "confq.sleep was cancelled"));
                    }
                }
                ctx.progress.tick();
                left -= nap;
            }
            Ok(())
        })
    }
}

/// `confq.fail`: fails with the requested class.
pub struct Fail;

/// Arguments of `confq.fail`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailArgs {
    /// `transient` or `permanent`.
    pub kind: FailKind,
}

/// The class `confq.fail` fails with.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailKind {
    /// Retried by the policy.
    Transient,
    /// Never retried.
    Permanent,
}

impl TypedTask for Fail {
    type Args = FailArgs;
    const NAME: &'static str = "confq.fail";

    fn run(&self, _ctx: TaskContext, args: FailArgs) -> BoxFuture<'static, TaskResult> {
        let class = match args.kind {
            FailKind::Transient => FailureClass::Transient,
            FailKind::Permanent => FailureClass::Permanent,
        };
        Box::pin(async move {
            Err(TaskFailure::message(
                class,
                format!("confq.fail asked for a {class} failure"),
            ))
        })
    }
}
