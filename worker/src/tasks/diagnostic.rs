//! The diagnostic tasks every worker registers, for smoke tests, benchmarks and operators:
//! `confq.noop`, `confq.sleep {"ms": N}` and `confq.fail {"kind": "transient"|"permanent"}`.

use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;

use crate::failure::{FailureClass, TaskFailure};
use crate::task::{TaskContext, TaskResult, TypedTask};

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

/// `confq.sleep`: sleeps `ms` milliseconds, reporting progress so its lease is renewed.
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
                tokio::time::sleep(nap).await;
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
