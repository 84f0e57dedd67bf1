//! `Broker`: the shared handle (config + one auto-reconnecting connection) and its factories.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client};
use tracing::instrument;

use crate::config::BrokerConfig;
use crate::consumer::Consumer;
use crate::dead::DeadLetters;
use crate::error::{BrokerError, Result};
use crate::keys::{self, QueueKeys};
use crate::names::{QueueName, WorkerId};
use crate::producer::Producer;
use crate::reaper::Reaper;
use crate::redact::redact;
use crate::stats::QueueStats;
use crate::workers::WorkerRegistry;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Cheap-to-clone handle on the broker: configuration plus a shared, auto-reconnecting connection.
#[derive(Clone)]
pub struct Broker {
    config: Arc<BrokerConfig>,
    client: Client,
    con: ConnectionManager,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("redis_url", &redact(&self.config.redis_url))
            .field("key_prefix", &self.config.key_prefix)
            .finish_non_exhaustive()
    }
}

impl Broker {
    /// Connects and checks that Redis answers.
    ///
    /// # Errors
    /// `Config` for an invalid URL or prefix; `Unreachable` (URL redacted) when Redis does not answer.
    #[instrument(skip_all, err(level = "debug"), fields(url = %redact(&config.redis_url)))]
    pub async fn connect(config: BrokerConfig) -> Result<Self> {
        validate(&config)?;
        let url = redact(&config.redis_url);
        let client = Client::open(config.redis_url.as_str())
            .map_err(|e| BrokerError::Config(format!("invalid Redis URL {url}: {e}")))?;
        let unreachable = |source| BrokerError::Unreachable {
            url: url.clone(),
            source,
        };
        let mut probe = dedicated(&client, RESPONSE_TIMEOUT)
            .await
            .map_err(unreachable)?;
        redis::cmd("PING")
            .query_async::<()>(&mut probe)
            .await
            .map_err(unreachable)?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_max_delay(Duration::from_secs(2));
        let con = ConnectionManager::new_with_config(client.clone(), manager_config)
            .await
            .map_err(unreachable)?;
        Ok(Self {
            config: Arc::new(config),
            client,
            con,
        })
    }

    /// The configuration this broker was made with.
    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// Round trip to Redis.
    ///
    /// # Errors
    /// `Redis` when the command fails.
    pub async fn ping(&self) -> Result<()> {
        Ok(redis::cmd("PING")
            .query_async(&mut self.connection())
            .await?)
    }

    /// A producer for enqueuing.
    pub fn producer(&self) -> Producer {
        Producer::new(self.clone())
    }

    /// A consumer of `queues` (earlier queues first) with its own blocking connection.
    ///
    /// # Errors
    /// `Config` when `queues` is empty; `Redis` when the blocking connection cannot be made.
    pub async fn consumer(&self, queues: Vec<QueueName>, worker: WorkerId) -> Result<Consumer> {
        Consumer::new(self.clone(), queues, worker).await
    }

    /// A reaper of `queues`.
    pub fn reaper(&self, queues: Vec<QueueName>) -> Reaper {
        Reaper::new(self.clone(), queues)
    }

    /// Depths and counters of one queue (O(1)).
    ///
    /// # Errors
    /// `Redis` when the commands fail.
    pub async fn stats(&self, queue: &QueueName) -> Result<QueueStats> {
        QueueStats::read(&mut self.connection(), &self.queue_keys(queue)).await
    }

    /// Every queue ever enqueued to.
    ///
    /// # Errors
    /// `Redis` when the command fails.
    pub async fn queues(&self) -> Result<Vec<QueueName>> {
        let names: Vec<String> = redis::cmd("SMEMBERS")
            .arg(keys::queues(&self.config.key_prefix))
            .query_async(&mut self.connection())
            .await?;
        let mut queues: Vec<QueueName> = names
            .iter()
            .filter_map(|n| QueueName::parse(n).ok())
            .collect();
        queues.sort();
        Ok(queues)
    }

    /// Dead-letter operations.
    pub fn dead_letters(&self) -> DeadLetters {
        DeadLetters::new(self.clone())
    }

    /// The live-worker registry.
    pub fn workers(&self) -> WorkerRegistry {
        WorkerRegistry::new(self.clone())
    }

    pub(crate) fn connection(&self) -> ConnectionManager {
        self.con.clone()
    }

    pub(crate) fn queue_keys(&self, queue: &QueueName) -> QueueKeys {
        QueueKeys::new(&self.config.key_prefix, queue)
    }

    /// A new connection of its own for blocking commands that wait up to `wait`.
    pub(crate) async fn blocking_connection(
        &self,
        wait: Duration,
    ) -> Result<MultiplexedConnection> {
        Ok(dedicated(&self.client, wait + RESPONSE_TIMEOUT).await?)
    }
}

async fn dedicated(
    client: &Client,
    response_timeout: Duration,
) -> redis::RedisResult<MultiplexedConnection> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(response_timeout));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

fn validate(config: &BrokerConfig) -> Result<()> {
    let prefix_ok = !config.key_prefix.is_empty()
        && !config.key_prefix.contains(['{', '}', ' '])
        && config.key_prefix.len() <= 64;
    if !prefix_ok {
        return Err(BrokerError::Config(format!(
            "invalid key prefix {:?}: 1-64 characters without braces or spaces",
            config.key_prefix
        )));
    }
    if config.lease.is_zero() || config.block_timeout.is_zero() {
        return Err(BrokerError::Config(
            "lease and block_timeout must be positive".to_owned(),
        ));
    }
    Ok(())
}
