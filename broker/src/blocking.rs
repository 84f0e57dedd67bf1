//! The pool of connections that block: deadpool-redis, standalone or cluster
//! (`deadpool_redis::cluster`). A consumer holds one for its `BLMOVE` (a blocking command on a
//! shared, multiplexed connection would stall every other call on it), gives it back when it is
//! dropped, and throws it away after any error; the pool checks a returning connection with a
//! `PING` before lending it again. Everything else runs on the broker's shared multiplexed
//! connection (docs/broker.md, "Connections").

use std::time::Duration;

use deadpool_redis::{PoolConfig, Runtime, Timeouts};
use redis::{AsyncConnectionConfig, Cmd, FromRedisValue};

use crate::error::{BrokerError, Result};
use crate::redact::redact;

/// Connections a pool lends at most (one per consumer of the process).
const MAX_SIZE: usize = 64;

/// How long getting, creating or re-checking a pooled connection may take.
const POOL_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections for blocking commands, to a standalone Redis or a Redis Cluster.
#[derive(Clone)]
pub(crate) enum BlockingPool {
    /// Multiplexed connections to one Redis, with a response timeout.
    Standalone(deadpool_redis::Pool),
    /// Cluster connections (each routes by key and follows `MOVED`/`ASK`).
    Cluster(deadpool_redis::cluster::Pool),
}

/// One connection lent by a [`BlockingPool`]; back to the pool when dropped.
pub(crate) enum Pooled {
    /// From the standalone pool.
    Standalone(deadpool_redis::Connection),
    /// From the cluster pool.
    Cluster(deadpool_redis::cluster::Connection),
}

impl std::fmt::Debug for Pooled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Self::Standalone(_) => "Standalone",
            Self::Cluster(_) => "Cluster",
        };
        f.debug_tuple("Pooled").field(&kind).finish()
    }
}

fn pool_config() -> PoolConfig {
    PoolConfig {
        max_size: MAX_SIZE,
        timeouts: Timeouts {
            wait: Some(POOL_TIMEOUT),
            create: Some(POOL_TIMEOUT),
            recycle: Some(POOL_TIMEOUT),
        },
        ..PoolConfig::default()
    }
}

fn config_error(url: &str, e: impl std::fmt::Display) -> BrokerError {
    BrokerError::Config(format!(
        "cannot make a connection pool for {}: {e}",
        redact(url)
    ))
}

impl BlockingPool {
    /// A pool of connections to the standalone Redis at `url`, each with `config`'s timeouts.
    /// No connection is made until the first `get`.
    pub(crate) fn standalone(url: &str, config: AsyncConnectionConfig) -> Result<Self> {
        let manager = deadpool_redis::Manager::new_with_config(url, config)
            .map_err(|e| config_error(url, e))?;
        let pool = deadpool_redis::Pool::builder(manager)
            .config(pool_config())
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| config_error(url, e))?;
        Ok(Self::Standalone(pool))
    }

    /// A pool of connections to the cluster that `seeds` lists. deadpool-redis builds these
    /// without a response timeout; [`Pooled::query`] bounds every call instead.
    pub(crate) fn cluster(seeds: &[String]) -> Result<Self> {
        let urls = seeds.join(",");
        let config = deadpool_redis::cluster::Config {
            pool: Some(pool_config()),
            ..deadpool_redis::cluster::Config::from_urls(seeds.to_vec())
        };
        let pool = config
            .create_pool(Some(Runtime::Tokio1))
            .map_err(|e| config_error(&urls, e))?;
        Ok(Self::Cluster(pool))
    }

    /// A connection of the pool: an idle one that still answers `PING`, or a new one.
    ///
    /// # Errors
    /// `Pool` when none can be had within the pool's timeouts or Redis refuses the connection.
    pub(crate) async fn get(&self) -> Result<Pooled> {
        Ok(match self {
            Self::Standalone(pool) => Pooled::Standalone(pool.get().await?),
            Self::Cluster(pool) => Pooled::Cluster(pool.get().await?),
        })
    }
}

impl Pooled {
    /// Runs `cmd`, failing with a timeout error when no answer comes within `limit` (cluster
    /// connections from the pool have no response timeout of their own).
    ///
    /// # Errors
    /// `Redis` when the command fails or times out; the caller then [`Pooled::discard`]s it.
    pub(crate) async fn query<T: FromRedisValue>(
        &mut self,
        cmd: &Cmd,
        limit: Duration,
    ) -> Result<T> {
        let call = async {
            match self {
                Self::Standalone(con) => cmd.query_async(con).await,
                Self::Cluster(con) => cmd.query_async(con).await,
            }
        };
        match tokio::time::timeout(limit, call).await {
            Ok(answer) => Ok(answer?),
            Err(_) => Err(redis::RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "blocking command got no answer in time",
            ))
            .into()),
        }
    }

    /// Takes the connection out of the pool and closes it (after an error: it may hold a late
    /// reply or be connected to a failed node).
    pub(crate) fn discard(self) {
        match self {
            Self::Standalone(con) => drop(deadpool_redis::Connection::take(con)),
            Self::Cluster(con) => drop(deadpool_redis::cluster::Connection::take(con)),
        }
    }
}
