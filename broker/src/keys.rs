//! The only file that spells a Redis key. Every key of a queue carries the `{queue}` hash tag.

use crate::names::{QueueName, WorkerId};

/// The keys of one queue, all in the slot of `{queue}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueKeys {
    /// List of waiting elements (LPUSH in, taken from the right).
    pub pending: String,
    /// List of elements taken by a consumer.
    pub processing: String,
    /// Zset: element → lease deadline (ms, Redis server time).
    pub leases: String,
    /// Hash: element → lease token of its current holder.
    pub tokens: String,
    /// Hash: element → when the reaper first saw it in processing without a lease (ms).
    pub unleased: String,
    /// Zset: element → due time (ms).
    pub delayed: String,
    /// Zset: dead-letter record (JSON) → sequence number (ms it died × 1000 + n, `dead_lib.lua`).
    pub dead: String,
    /// Hash of counters: processed, failed, retried, expired, dead_lettered.
    pub stats: String,
    /// Pub/sub channel (not a key) producers publish to when they push onto pending, so that an
    /// idle consumer of several queues wakes (`wake.rs`).
    pub wake: String,
    /// Pub/sub channel (not a key) on which a cancel of a running task publishes its id, so that
    /// the worker holding it stops (`worker::control`).
    pub cancel: String,
    /// Hash: task id → its recorded state (JSON, ending in its `expires_at`), for finished tasks
    /// and running ones a cancel reached (`cancel:<expiry ms>`); written by the script that
    /// finishes the task (`state_lib.lua`); the reaper drops expired ones (`trim_results.lua`).
    pub results: String,
    /// The Celery list (kombu's key, unprefixed) a consumer also claims from, for a queue taken
    /// with `--celery-queue`; `None` otherwise. It is named as the queue, so it shares the
    /// `{queue}` slot (a key without braces hashes on its whole name).
    pub celery_list: Option<String>,
}

impl QueueKeys {
    /// The keys of `queue` under `prefix`.
    ///
    /// # Examples
    /// The list a producer in any language `LPUSH`es onto:
    /// ```
    /// use broker::QueueName;
    /// use broker::keys::QueueKeys;
    ///
    /// let keys = QueueKeys::new("confq", &QueueName::parse("ingest").unwrap());
    /// assert_eq!(keys.pending, "confq:{ingest}:pending");
    /// ```
    pub fn new(prefix: &str, queue: &QueueName) -> Self {
        let key = |suffix: &str| format!("{prefix}:{{{queue}}}:{suffix}");
        Self {
            pending: key("pending"),
            processing: key("processing"),
            leases: key("leases"),
            tokens: key("tokens"),
            unleased: key("unleased"),
            delayed: key("delayed"),
            dead: key("dead"),
            stats: key("stats"),
            wake: key("wake"),
            cancel: key("cancel"),
            results: key("results"),
            celery_list: None,
        }
    }

    /// The keys of `queue`, fed also by the Celery list of the same name (see
    /// [`QueueKeys::celery_list`]).
    pub fn celery(prefix: &str, queue: &QueueName) -> Self {
        Self {
            celery_list: Some(queue.as_str().to_owned()),
            ..Self::new(prefix, queue)
        }
    }
}

/// kombu's list for priority `step` (3, 6 or 9) of the Celery queue `name`: the name, the
/// separator `\x06\x16` and the step. Priority 0 is the plain list `name`.
pub fn celery_priority_list(name: &str, step: u8) -> String {
    format!("{name}\x06\x16{step}")
}

/// Celery's result key of a task (and the pub/sub channel its result is published on).
pub fn celery_result(task_id: &str) -> String {
    format!("celery-task-meta-{task_id}")
}

/// Set of every queue ever enqueued to.
pub fn queues(prefix: &str) -> String {
    format!("{prefix}:queues")
}

/// Set of registered worker ids (entries whose info key expired are pruned on read).
pub fn workers(prefix: &str) -> String {
    format!("{prefix}:workers")
}

/// A worker's info (JSON, with a TTL).
pub fn worker(prefix: &str, id: &WorkerId) -> String {
    format!("{prefix}:worker:{id}")
}

/// When a reaper last finished a tick (milliseconds since the Unix epoch).
pub fn reaper_tick(prefix: &str) -> String {
    format!("{prefix}:reaper:last_tick")
}

/// Pub/sub channel (not a key) on which every process announces run status changes, one JSON
/// message per change (`events.rs`; the API's `/v1/stream` relays them).
pub fn run_events(prefix: &str) -> String {
    format!("{prefix}:events:runs")
}

#[cfg(test)]
mod tests {
    use super::{
        QueueKeys, celery_priority_list, celery_result, queues, reaper_tick, run_events, worker,
        workers,
    };
    use crate::names::{QueueName, WorkerId};

    #[test]
    fn every_key_has_its_exact_text() {
        let k = QueueKeys::new("confq", &QueueName::parse("ingest").unwrap());
        assert_eq!(k.pending, "confq:{ingest}:pending");
        assert_eq!(k.processing, "confq:{ingest}:processing");
        assert_eq!(k.leases, "confq:{ingest}:leases");
        assert_eq!(k.tokens, "confq:{ingest}:tokens");
        assert_eq!(k.unleased, "confq:{ingest}:unleased");
        assert_eq!(k.delayed, "confq:{ingest}:delayed");
        assert_eq!(k.dead, "confq:{ingest}:dead");
        assert_eq!(k.stats, "confq:{ingest}:stats");
        assert_eq!(k.wake, "confq:{ingest}:wake");
        assert_eq!(k.cancel, "confq:{ingest}:cancel");
        assert_eq!(k.results, "confq:{ingest}:results");
        assert_eq!(queues("confq"), "confq:queues");
        assert_eq!(workers("confq"), "confq:workers");
        assert_eq!(worker("confq", &WorkerId::new("h-1")), "confq:worker:h-1");
        assert_eq!(reaper_tick("confq"), "confq:reaper:last_tick");
        assert_eq!(run_events("confq"), "confq:events:runs");
        assert_eq!(k.celery_list, None);
        let c = QueueKeys::celery("confq", &QueueName::parse("celery").unwrap());
        assert_eq!(c.celery_list.as_deref(), Some("celery"));
        assert_eq!(c.pending, "confq:{celery}:pending");
        assert_eq!(celery_priority_list("celery", 9), "celery\u{6}\u{16}9");
        assert_eq!(celery_result("abc"), "celery-task-meta-abc");
    }
}
