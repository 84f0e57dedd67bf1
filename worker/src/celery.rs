//! The worker's Celery settings (`--celery-queue`, `CONFQ_CELERY_TASK_MAP`,
//! `CONFQ_CELERY_RESULT_URL`) and how they reach the consumer: the lists join the selection
//! (`WorkerConfig::selection`), the aliases and the result writer are attached to the consumer
//! (`attach`). The consuming itself is the broker's (`broker::celery`, docs/celery.md).

use std::collections::HashMap;

use broker::celery::{CeleryOptions, CeleryResults};
use broker::{Broker, BrokerConfig, BrokerError, Consumer, QueueName};

/// Which Celery queues a worker also consumes, and how.
#[derive(Debug, Clone, Default)]
pub struct CelerySettings {
    /// Celery queues (kombu list names) to consume with their priority lists.
    pub queues: Vec<QueueName>,
    /// Celery task name → confq task name.
    pub task_map: HashMap<String, String>,
    /// Redis for the results (`None`: the broker's Redis).
    pub result_url: Option<String>,
    /// Record `STARTED` for every Celery task (Celery's `task_track_started`).
    pub track_started: bool,
}

/// Reads `CONFQ_CELERY_TASK_MAP`: `celery.name=confq.name,…` (blanks around names ignored).
///
/// # Errors
/// A message naming the entry that is not `FROM=TO`.
///
/// # Examples
/// ```
/// let map = worker::celery::task_map("tasks.echo=confq.echo, parse=ingest.parse_upload").unwrap();
/// assert_eq!(map["tasks.echo"], "confq.echo");
/// assert!(worker::celery::task_map("oops").is_err());
/// ```
pub fn task_map(text: &str) -> Result<HashMap<String, String>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| match entry.split_once('=') {
            Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
                Ok((from.trim().to_owned(), to.trim().to_owned()))
            }
            _ => Err(format!(
                "invalid entry {entry:?}: use celery.name=confq.name"
            )),
        })
        .collect()
}

/// `consumer` with the aliases and the result writer of `settings` (results on `broker`'s
/// Redis unless `result_url` names another; kept the broker's result TTL).
///
/// # Errors
/// `Redis` or `Config` when the result Redis cannot be reached or its URL is invalid.
pub async fn attach(
    consumer: Consumer,
    broker: &Broker,
    settings: &CelerySettings,
) -> Result<Consumer, BrokerError> {
    if settings.queues.is_empty() {
        return Ok(consumer);
    }
    let ttl = broker.config().result_ttl;
    let results = match &settings.result_url {
        Some(url) => {
            let other = Broker::connect(BrokerConfig {
                redis_url: url.clone(),
                ..broker.config().clone()
            })
            .await?;
            CeleryResults::new(&other, ttl)
        }
        None => CeleryResults::new(broker, ttl),
    };
    Ok(consumer.with_celery(CeleryOptions {
        task_map: settings.task_map.clone(),
        results,
        track_started: settings.track_started,
        exc_type,
    }))
}

/// The Python exception class a Celery caller sees for a worker's failure type.
///
/// # Examples
/// ```
/// assert_eq!(worker::celery::exc_type(protocol::error_type::PERMANENT), "PermanentError");
/// assert_eq!(worker::celery::exc_type(protocol::error_type::TIMEOUT), "TimeLimitExceeded");
/// ```
pub fn exc_type(error_type: &str) -> &'static str {
    use protocol::error_type::{PERMANENT, TRANSIENT_EXHAUSTED, UNKNOWN_TASK};
    match error_type {
        PERMANENT => "PermanentError",
        TRANSIENT_EXHAUSTED => "TransientError",
        UNKNOWN_TASK => "NotRegistered",
        other => broker::celery::broker_exc_type(other),
    }
}
