//! `example.incr {"key"}`: one `INCR` of a Redis key, nothing else. The task the peer benchmark
//! (`bench/peers/`) gives every system, so that each does the same small piece of real work.

use futures::future::BoxFuture;
use redis::aio::MultiplexedConnection;
use serde::Deserialize;
use worker::{TaskContext, TaskFailure, TaskResult, TypedTask};

/// `example.incr`: increments `key` on the Redis it was made with.
pub struct Incr {
    redis: MultiplexedConnection,
}

impl Incr {
    /// The task over `redis` (a connection of its own, not the broker's).
    pub fn new(redis: MultiplexedConnection) -> Self {
        Self { redis }
    }
}

/// Arguments of `example.incr`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncrArgs {
    /// The Redis key to increment.
    pub key: String,
}

impl TypedTask for Incr {
    type Args = IncrArgs;
    const NAME: &'static str = "example.incr";

    fn run(&self, _ctx: TaskContext, args: IncrArgs) -> BoxFuture<'static, TaskResult> {
        let mut redis = self.redis.clone();
        Box::pin(async move {
            redis::cmd("INCR")
                .arg(&args.key)
                .query_async::<i64>(&mut redis)
                .await
                .map_err(|error| TaskFailure::transient(&error))?;
            Ok(())
        })
    }
}
