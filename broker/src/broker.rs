//! `Broker`: the shared handle (config, one auto-reconnecting multiplexed connection and the pool
//! of blocking connections, to a standalone Redis or a Redis Cluster) and its factories.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client};
use tracing::instrument;

use crate::blocking::BlockingPool;
use crate::config::BrokerConfig;
use crate::connection::{self, RedisConnection};
use crate::consumer::Consumer;
use crate::dead::DeadLetters;
use crate::error::{BrokerError, Result};
use crate::keys::{self, QueueKeys};
use crate::names::{QueueName, WorkerId};
use crate::producer::Producer;
use crate::redact::redact;
use crate::selection::Selection;
use crate::stats::QueueStats;
use crate::topology::{self, Topology};
use crate::workers::WorkerRegistry;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Shortest wait of one blocking fetch.
pub(crate) const MIN_BLOCK: Duration = Duration::from_millis(100);

/// Cheap-to-clone handle on the broker: configuration, a shared auto-reconnecting connection and
/// the pool its consumers take their blocking connections from.
#[derive(Clone)]
pub struct Broker {
    config: Arc<BrokerConfig>,
    blocking: BlockingPool,
    con: RedisConnection,
    /// Queues this handle (and its clones) already added to the global queue set.
    known_queues: Arc<Mutex<HashSet<QueueName>>>,
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
    ///
    /// # Examples
    /// A standalone Redis (a comma-separated list of node URLs is a Redis Cluster), under the key
    /// prefix `confq`, and the depths of the `ingest` queue:
    /// ```no_run
    /// use broker::{Broker, BrokerConfig, QueueName};
    ///
    /// # async fn example() -> Result<(), broker::BrokerError> {
    /// let broker = Broker::connect(BrokerConfig {
    ///     redis_url: "redis://127.0.0.1:6379".into(),
    ///     key_prefix: "confq".into(),
    ///     ..BrokerConfig::default()
    /// })
    /// .await?;
    /// let stats = broker.stats(&QueueName::parse("ingest")?).await?;
    /// println!("{} pending, {} dead", stats.pending, stats.dead);
    /// # Ok(())
    /// # }
    /// ```
    #[instrument(skip_all, err(level = "debug"), fields(url = %redact(&config.redis_url)))]
    pub async fn connect(config: BrokerConfig) -> Result<Self> {
        validate(&config)?;
        // The longest a blocking call may wait for its answer: one BLMOVE of `fetch`, plus slack.
        let blocking = config.block_timeout.max(MIN_BLOCK) + RESPONSE_TIMEOUT;
        let (blocking, con) = match Topology::parse(&config.redis_url)? {
            Topology::Standalone(url) => connect_standalone(&url, blocking).await?,
            Topology::Cluster(seeds) => connect_cluster(&seeds).await?,
        };
        Ok(Self {
            config: Arc::new(config),
            blocking,
            con,
            known_queues: Arc::default(),
        })
    }

    /// Whether this broker talks to a Redis Cluster (`redis_url` was a list of node URLs).
    pub fn is_cluster(&self) -> bool {
        matches!(self.blocking, BlockingPool::Cluster(_))
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

    /// A consumer of `queues` in strict priority (earlier queues first).
    ///
    /// # Errors
    /// `Config` when `queues` is empty; `Redis` when the blocking connection cannot be made.
    pub async fn consumer(&self, queues: Vec<QueueName>, worker: WorkerId) -> Result<Consumer> {
        Consumer::new(self.clone(), Selection::strict(queues)?, worker).await
    }

    /// A consumer of the queues of `selection` (weighted or strict). With one queue it holds a
    /// blocking connection for `BLMOVE`; with several, a subscription to their wake channels.
    ///
    /// # Errors
    /// `Redis` when the blocking connection or the subscription cannot be made.
    pub async fn consumer_with(&self, selection: Selection, worker: WorkerId) -> Result<Consumer> {
        Consumer::new(self.clone(), selection, worker).await
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

    /// The pool consumers take their blocking connection from.
    pub(crate) fn blocking(&self) -> &BlockingPool {
        &self.blocking
    }

    /// How long a blocking call on a pooled connection may go unanswered: its own wait plus
    /// the response timeout of every other call.
    pub(crate) fn blocking_limit(wait: Duration) -> Duration {
        wait + RESPONSE_TIMEOUT
    }
}

/// One standalone Redis: probed with `PING`, then the shared `ConnectionManager` and the pool of
/// blocking connections (each with a response timeout of `blocking`).
async fn connect_standalone(
    redis_url: &str,
    blocking: Duration,
) -> Result<(BlockingPool, RedisConnection)> {
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
    let con = ConnectionManager::new_with_config(client, manager_config)
        .await
        .map_err(unreachable)?;
    let pool = BlockingPool::standalone(redis_url, connection_config(blocking))?;
    Ok((pool, RedisConnection::Manager(con)))
}

/// A Redis Cluster: every seed probed (one clear error for bad input), then a cluster connection.
async fn connect_cluster(seeds: &[String]) -> Result<(BlockingPool, RedisConnection)> {
    topology::check_cluster(seeds, CONNECT_TIMEOUT).await?;
    let con = connection::cluster(seeds, CONNECT_TIMEOUT, RESPONSE_TIMEOUT)
        .await
        .map_err(|source| BrokerError::Unreachable {
            url: redact(&seeds.join(",")),
            source,
        })?;
    Ok((BlockingPool::cluster(seeds)?, RedisConnection::Cluster(con)))
}

fn connection_config(response_timeout: Duration) -> AsyncConnectionConfig {
    AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(response_timeout))
}

async fn dedicated(
    client: &Client,
    response_timeout: Duration,
) -> redis::RedisResult<MultiplexedConnection> {
    client
        .get_multiplexed_async_connection_with_config(&connection_config(response_timeout))
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
