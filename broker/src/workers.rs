//! The live-worker registry: one JSON key per worker with a TTL, plus a set of ids pruned on read.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::broker::Broker;
use crate::config::millis;
use crate::error::Result;
use crate::keys;
use crate::names::{QueueName, WorkerId};

/// What a worker says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerInfo {
    /// Its id.
    pub id: WorkerId,
    /// Host name.
    pub host: String,
    /// Process id.
    pub pid: u32,
    /// Queues it consumes.
    pub queues: Vec<QueueName>,
    /// Tasks it runs at once.
    pub concurrency: usize,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Its last registration or refresh.
    pub last_seen: DateTime<Utc>,
    /// Tasks it was running at its last refresh (absent from older workers' entries: 0).
    #[serde(default)]
    pub in_flight: usize,
    /// Its circuit breakers by dependency: `closed`, `open` or `half_open` (absent from older
    /// workers' entries: none).
    #[serde(default)]
    pub breakers: BTreeMap<String, String>,
}

/// Registration of live workers; a worker that stops refreshing disappears after its TTL.
#[derive(Debug, Clone)]
pub struct WorkerRegistry {
    broker: Broker,
}

impl WorkerRegistry {
    pub(crate) fn new(broker: Broker) -> Self {
        Self { broker }
    }

    /// Registers `info` for `ttl`.
    ///
    /// # Errors
    /// `Redis` when the commands fail.
    pub async fn register(&self, info: &WorkerInfo, ttl: Duration) -> Result<()> {
        let prefix = &self.broker.config().key_prefix;
        let json = serde_json::to_string(info).unwrap_or_default();
        let mut con = self.broker.connection();
        // One key per command: the info key, the id set and the queue set hash to different
        // slots on a cluster. The info key first, so `live` never prunes a fresh id.
        redis::cmd("SET")
            .arg(keys::worker(prefix, &info.id))
            .arg(json)
            .arg("PX")
            .arg(millis(ttl).max(1))
            .query_async::<()>(&mut con)
            .await?;
        redis::cmd("SADD")
            .arg(keys::workers(prefix))
            .arg(info.id.as_str())
            .query_async::<()>(&mut con)
            .await?;
        // A queue a worker consumes is a known queue even if no producer of ours ever used it
        // (another service may LPUSH onto it): the reaper and the metrics find it this way.
        for queue in &info.queues {
            self.broker.note_queue(queue).await?;
        }
        Ok(())
    }

    /// Re-registers `info` with `last_seen` now, for another `ttl`.
    ///
    /// # Errors
    /// `Redis` when the commands fail.
    pub async fn refresh(&self, info: &WorkerInfo, ttl: Duration) -> Result<()> {
        let info = WorkerInfo {
            last_seen: Utc::now(),
            ..info.clone()
        };
        self.register(&info, ttl).await
    }

    /// Removes a worker at once (clean shutdown).
    ///
    /// # Errors
    /// `Redis` when the commands fail.
    pub async fn deregister(&self, id: &WorkerId) -> Result<()> {
        let prefix = &self.broker.config().key_prefix;
        let mut con = self.broker.connection();
        // Two commands: the keys live in different slots on a cluster.
        redis::cmd("SREM")
            .arg(keys::workers(prefix))
            .arg(id.as_str())
            .query_async::<()>(&mut con)
            .await?;
        redis::cmd("DEL")
            .arg(keys::worker(prefix, id))
            .query_async::<()>(&mut con)
            .await?;
        Ok(())
    }

    /// Every worker whose registration has not expired; expired ids are pruned from the set.
    ///
    /// # Errors
    /// `Redis` when the commands fail.
    pub async fn live(&self) -> Result<Vec<WorkerInfo>> {
        let prefix = &self.broker.config().key_prefix;
        let mut con = self.broker.connection();
        let ids: Vec<String> = redis::cmd("SMEMBERS")
            .arg(keys::workers(prefix))
            .query_async(&mut con)
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let info_keys: Vec<String> = ids
            .iter()
            .map(|id| keys::worker(prefix, &WorkerId::new(id.as_str())))
            .collect();
        let infos: Vec<Option<String>> = redis::cmd("MGET")
            .arg(&info_keys)
            .query_async(&mut con)
            .await?;
        let mut live = Vec::new();
        let mut gone = Vec::new();
        for (id, info) in ids.into_iter().zip(infos) {
            match info.and_then(|json| serde_json::from_str::<WorkerInfo>(&json).ok()) {
                Some(info) => live.push(info),
                None => gone.push(id),
            }
        }
        if !gone.is_empty() {
            redis::cmd("SREM")
                .arg(keys::workers(prefix))
                .arg(gone)
                .query_async::<()>(&mut con)
                .await?;
        }
        live.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        Ok(live)
    }

    /// How many live workers consume `queue`.
    ///
    /// # Errors
    /// `Redis` when the commands fail.
    pub async fn live_count(&self, queue: &QueueName) -> Result<u64> {
        let live = self.live().await?;
        Ok(live.iter().filter(|w| w.queues.contains(queue)).count() as u64)
    }
}
