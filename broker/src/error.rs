//! The broker's error type: what went wrong talking to Redis or reading an element.

use crate::envelope::EnvelopeError;
use crate::names::TaskId;

/// Every failure the broker reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// A Redis command failed.
    #[error("redis command failed")]
    Redis {
        /// The redis-rs error.
        #[source]
        source: redis::RedisError,
    },
    /// Redis did not answer when connecting (the URL has its password hidden).
    #[error("Redis is not reachable at {url}")]
    Unreachable {
        /// The redacted URL.
        url: String,
        /// Why the connection failed.
        #[source]
        source: redis::RedisError,
    },
    /// The lease of this task is no longer ours: it expired and was reaped, or the task was released.
    #[error("lease of task {task_id} is lost")]
    LeaseLost {
        /// The task whose lease was lost.
        task_id: TaskId,
    },
    /// An element is not a valid v1 envelope.
    #[error("invalid envelope")]
    Envelope(#[source] EnvelopeError),
    /// The configuration or a name is invalid.
    #[error("invalid broker configuration: {0}")]
    Config(String),
    /// `CONFQ_REDIS_URL` names a Redis Cluster that cannot be used as it is: a seed is a
    /// standalone Redis, or the cluster does not serve all its slots (URLs redacted).
    #[error("unusable Redis Cluster: {0}")]
    Cluster(String),
    /// `CONFQ_REDIS_WAIT_REPLICAS` asked for more replicas than acknowledged a write in time: the
    /// write was made on the master but could still be lost to a failover.
    #[error(
        "the write reached {acked} of the {wanted} replicas asked for (CONFQ_REDIS_WAIT_REPLICAS) in time"
    )]
    NotReplicated {
        /// Replicas that acknowledged the write.
        acked: usize,
        /// `CONFQ_REDIS_WAIT_REPLICAS`.
        wanted: usize,
    },
    /// The pool of blocking connections could not lend one in time (a Redis error while making
    /// one is reported as `Redis`).
    #[error("no blocking Redis connection available")]
    Pool {
        /// deadpool's error.
        #[source]
        source: deadpool_redis::PoolError,
    },
}

impl BrokerError {
    /// True when retrying later can succeed: connection, timeout, I/O or a loading/failing-over server.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Redis { source } => redis_is_transient(source),
            Self::Unreachable { .. } | Self::NotReplicated { .. } => true,
            Self::Pool { source } => matches!(source, deadpool_redis::PoolError::Timeout(_)),
            Self::LeaseLost { .. } | Self::Envelope(_) | Self::Config(_) | Self::Cluster(_) => {
                false
            }
        }
    }
}

fn redis_is_transient(e: &redis::RedisError) -> bool {
    use redis::{ErrorKind, ServerErrorKind};
    e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_unrecoverable_error()
        || matches!(
            e.kind(),
            ErrorKind::Server(
                ServerErrorKind::BusyLoading
                    | ServerErrorKind::TryAgain
                    | ServerErrorKind::ClusterDown
                    | ServerErrorKind::MasterDown
            )
        )
}

impl From<redis::RedisError> for BrokerError {
    fn from(source: redis::RedisError) -> Self {
        Self::Redis { source }
    }
}

impl From<deadpool_redis::PoolError> for BrokerError {
    fn from(source: deadpool_redis::PoolError) -> Self {
        match source {
            deadpool_redis::PoolError::Backend(source) => Self::Redis { source },
            source => Self::Pool { source },
        }
    }
}

impl From<EnvelopeError> for BrokerError {
    fn from(e: EnvelopeError) -> Self {
        Self::Envelope(e)
    }
}

/// Result alias of this crate.
pub type Result<T, E = BrokerError> = std::result::Result<T, E>;
