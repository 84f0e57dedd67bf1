//! The one connection type of the broker, over a standalone Redis or a Redis Cluster.
//!
//! Every command of the crate goes through [`RedisConnection`], which implements
//! `redis::aio::ConnectionLike`, so `query_async(&mut con)` and `Script::invoke_async` work the
//! same on both topologies. On a cluster a command is routed by its first key; every key a script
//! or a pipeline of this crate touches carries one queue's `{Q}` hash tag, or the command has one
//! key (docs/broker.md, "Topologies").

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, MultiplexedConnection};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};

/// A connection to Redis: shared and auto-reconnecting, dedicated (for blocking commands), or a
/// cluster connection (routes by key, follows `MOVED`/`ASK`, refreshes the slot map itself).
#[derive(Clone)]
pub enum RedisConnection {
    /// The shared standalone connection: multiplexed, reconnects in the background.
    Manager(ConnectionManager),
    /// A dedicated standalone connection (the consumer's blocking `BLMOVE`).
    Dedicated(MultiplexedConnection),
    /// A connection to a Redis Cluster (shared, or dedicated for `BLMOVE`).
    Cluster(ClusterConnection),
}

impl std::fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Self::Manager(_) => "Manager",
            Self::Dedicated(_) => "Dedicated",
            Self::Cluster(_) => "Cluster",
        };
        f.debug_tuple("RedisConnection").field(&kind).finish()
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Manager(con) => con.req_packed_command(cmd),
            Self::Dedicated(con) => con.req_packed_command(cmd),
            Self::Cluster(con) => con.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Manager(con) => con.req_packed_commands(pipeline, offset, count),
            Self::Dedicated(con) => con.req_packed_commands(pipeline, offset, count),
            Self::Cluster(con) => con.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Manager(con) => con.get_db(),
            Self::Dedicated(con) => con.get_db(),
            Self::Cluster(con) => con.get_db(),
        }
    }
}

/// A cluster connection with explicit timeouts (redis-rs sets no response timeout on cluster
/// connections by default, so a dead node would hang a call forever).
pub(crate) async fn cluster(
    seeds: &[String],
    connect_timeout: Duration,
    response_timeout: Duration,
) -> redis::RedisResult<ClusterConnection> {
    ClusterClient::builder(seeds.iter().map(String::as_str))
        .connection_timeout(connect_timeout)
        .response_timeout(response_timeout)
        .build()?
        .get_async_connection()
        .await
}
