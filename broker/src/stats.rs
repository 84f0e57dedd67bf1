//! Queue depths and counters, read in one round trip.

use std::collections::{BTreeMap, HashMap};

use redis::aio::ConnectionLike;
use serde::Serialize;

use crate::error::Result;
use crate::keys::QueueKeys;

/// Depths and lifetime counters of one queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueueStats {
    /// Elements waiting.
    pub pending: u64,
    /// Elements taken by consumers (leased or orphaned).
    pub processing: u64,
    /// Elements waiting for their due time.
    pub delayed: u64,
    /// Dead letters kept.
    pub dead: u64,
    /// Tasks acked.
    pub processed: u64,
    /// Attempts that failed (retried, dead-lettered or expired).
    pub failed: u64,
    /// Failed attempts scheduled for a retry.
    pub retried: u64,
    /// Leases that expired.
    pub expired: u64,
    /// Elements dead-lettered.
    pub dead_lettered: u64,
    /// Failed attempts by error type (`transient`, `timeout`, `permanent`, `transient_exhausted`,
    /// `malformed`, `unknown_task`, …); they add up to `failed`.
    pub failed_by_type: BTreeMap<String, u64>,
}

impl QueueStats {
    pub(crate) async fn read(con: &mut impl ConnectionLike, k: &QueueKeys) -> Result<Self> {
        let (pending, processing, delayed, dead, counters): (
            u64,
            u64,
            u64,
            u64,
            HashMap<String, u64>,
        ) = redis::pipe()
            .llen(&k.pending)
            .llen(&k.processing)
            .zcard(&k.delayed)
            .zcard(&k.dead)
            .hgetall(&k.stats)
            .query_async(con)
            .await?;
        let counter = |name: &str| counters.get(name).copied().unwrap_or(0);
        Ok(Self {
            pending,
            processing,
            delayed,
            dead,
            processed: counter("processed"),
            failed: counter("failed"),
            retried: counter("retried"),
            expired: counter("expired"),
            dead_lettered: counter("dead_lettered"),
            failed_by_type: counters
                .iter()
                .filter_map(|(name, n)| {
                    name.strip_prefix("failed:")
                        .map(|kind| (kind.to_owned(), *n))
                })
                .collect(),
        })
    }
}
