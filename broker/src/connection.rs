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
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{Cmd, Pipeline, RedisFuture, Value};
use tracing::warn;

use crate::error::{BrokerError, Result};

/// How long a `WAIT` for replicas may take before the write counts as not replicated.
pub(crate) const WAIT_TIMEOUT: Duration = Duration::from_secs(1);

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

impl RedisConnection {
    /// With `replicas` > 0: `WAIT replicas` on the master that serves `key`, after a write to
    /// `key` through this connection, so that the write survives a failover of that master.
    ///
    /// # Errors
    /// `NotReplicated` when fewer replicas acknowledged within [`WAIT_TIMEOUT`]; `Redis` when
    /// the command fails.
    pub(crate) async fn replicated(&mut self, key: &str, replicas: usize) -> Result<()> {
        if replicas == 0 {
            return Ok(());
        }
        let mut wait = redis::cmd("WAIT");
        wait.arg(replicas).arg(WAIT_TIMEOUT.as_millis() as u64);
        let acked: usize = match self {
            // The key's master, on the connection the write went through (`WAIT` counts the
            // writes of its own client connection).
            Self::Cluster(con) => {
                let route = Route::with_key(key.as_bytes(), SlotAddr::Master);
                let answer = con
                    .route_command(
                        wait,
                        RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(route)),
                    )
                    .await?;
                redis::from_redis_value_ref(&answer).map_err(redis::RedisError::from)?
            }
            other => wait.query_async(other).await?,
        };
        if acked < replicas {
            warn!(
                acked,
                wanted = replicas,
                "write not acknowledged by enough replicas"
            );
            return Err(BrokerError::NotReplicated {
                acked,
                wanted: replicas,
            });
        }
        Ok(())
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
