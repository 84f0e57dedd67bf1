//! `Broker`: the shared handle (config + one auto-reconnecting connection, to a standalone Redis
//! or a Redis Cluster) and its factories.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client};
use tracing::instrument;

use crate::config::BrokerConfig;
use crate::connection::{self, RedisConnection};
use crate::consumer::Consumer;
use crate::dead::DeadLetters;
use crate::error::{BrokerError, Result};
use crate::keys::{self, QueueKeys};
use crate::names::{QueueName, WorkerId};
use crate::producer::Producer;
use crate::redact::redact;
use crate::stats::QueueStats;
use crate::topology::{self, Topology};
use crate::workers::WorkerRegistry;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Cheap-to-clone handle on the broker: configuration plus a shared, auto-reconnecting connection.
#[derive(Clone)]
pub struct Broker {
    config: Arc<BrokerConfig>,
    target: Target,
    con: RedisConnection,
    /// Queues this handle (and its clones) already added to the global queue set.
    known_queues: Arc<Mutex<HashSet<QueueName>>>,
}

/// Where blocking connections are made.
#[derive(Clone)]
enum Target {
    Standalone(Client),
    Cluster(Arc<[String]>),
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
        let (target, con) = match Topology::parse(&config.redis_url)? {
            Topology::Standalone(url) => connect_standalone(&url).await?,
            Topology::Cluster(seeds) => connect_cluster(seeds).await?,
        };
        Ok(Self {
            config: Arc::new(config),
            target,
            con,
            known_queues: Arc::default(),
        })
    }

    /// Whether this broker talks to a Redis Cluster (`redis_url` was a list of node URLs).
    pub fn is_cluster(&self) -> bool {
        matches!(self.target, Target::Cluster(_))
    }

    /// The shared connection, for callers that read keys themselves (the API's sweeper). On a
    /// cluster it routes each command by its key.
    pub fn connection(&self) -> RedisConnection {
        self.con.clone()
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

    /// Adds `queue` to the global queue set, once per broker handle: a single-key command of its
    /// own, never in a pipeline or script with the queue's keys (they live in another slot on a
    /// cluster).
    pub(crate) async fn note_queue(&self, queue: &QueueName) -> Result<()> {
        if self.known_queues.lock().is_ok_and(|k| k.contains(queue)) {
            return Ok(());
        }
        redis::cmd("SADD")
            .arg(keys::queues(&self.config.key_prefix))
            .arg(queue.as_str())
            .query_async::<()>(&mut self.connection())
            .await?;
        if let Ok(mut known) = self.known_queues.lock() {
            known.insert(queue.clone());
        }
        Ok(())
    }

    /// With `wait_replicas` > 0: `WAIT` until that many replicas have the writes this handle made
    /// to the master of `key` (every clone shares one connection, so one `WAIT` covers them).
    ///
    /// # Errors
    /// `NotReplicated` when too few replicas acknowledged in time; `Redis` when `WAIT` fails.
    pub(crate) async fn replicated(&self, key: &str) -> Result<()> {
        self.connection()
            .replicated(key, self.config.wait_replicas)
            .await
    }

    pub(crate) fn queue_keys(&self, queue: &QueueName) -> QueueKeys {
        QueueKeys::new(&self.config.key_prefix, queue)
    }

    /// A new connection of its own for blocking commands that wait up to `wait`.
    pub(crate) async fn blocking_connection(&self, wait: Duration) -> Result<RedisConnection> {
        let timeout = wait + RESPONSE_TIMEOUT;
        Ok(match &self.target {
            Target::Standalone(client) => {
                RedisConnection::Dedicated(dedicated(client, timeout).await?)
            }
            Target::Cluster(seeds) => RedisConnection::Cluster(
                connection::cluster(seeds, CONNECT_TIMEOUT, timeout).await?,
            ),
        })
    }
}

/// One standalone Redis: probed with `PING`, then the shared `ConnectionManager`.
async fn connect_standalone(redis_url: &str) -> Result<(Target, RedisConnection)> {
    let url = redact(redis_url);
    let client = Client::open(redis_url)
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
    // A cluster node given as a single URL would answer MOVED to most keys: say so now.
    if topology::cluster_enabled(&mut probe).await.unwrap_or(false) {
        return Err(BrokerError::Cluster(format!(
            "{url} is a Redis Cluster node: list the cluster's node URLs comma-separated in \
             CONFQ_REDIS_URL (one URL followed by a comma is a seed list too)"
        )));
    }
    let manager_config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        .set_max_delay(Duration::from_secs(2));
    let con = ConnectionManager::new_with_config(client.clone(), manager_config)
        .await
        .map_err(unreachable)?;
    Ok((Target::Standalone(client), RedisConnection::Manager(con)))
}

/// A Redis Cluster: every seed probed (one clear error for bad input), then a cluster connection.
async fn connect_cluster(seeds: Vec<String>) -> Result<(Target, RedisConnection)> {
    topology::check_cluster(&seeds, CONNECT_TIMEOUT).await?;
    let con = connection::cluster(&seeds, CONNECT_TIMEOUT, RESPONSE_TIMEOUT)
        .await
        .map_err(|source| BrokerError::Unreachable {
            url: redact(&seeds.join(",")),
            source,
        })?;
    Ok((Target::Cluster(seeds.into()), RedisConnection::Cluster(con)))
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
