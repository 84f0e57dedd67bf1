//! The reaper's and the dead-letter admin's scripts: promote due retries, find and reap expired
//! leases, requeue orphans and dead letters.

use redis::aio::ConnectionLike;

use super::{
    Claimed, DeadCap, EXPIRED, PROMOTE_DUE, REAP_EXPIRED, REQUEUE_DEAD, REQUEUE_ORPHANS, StateArgs,
    pairs,
};
use crate::error::Result;
use crate::keys::QueueKeys;
use crate::settled::Settled;

pub(crate) async fn promote_due(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    max: usize,
) -> Result<usize> {
    Ok(PROMOTE_DUE
        .key(&k.delayed)
        .key(&k.pending)
        .arg(max)
        .arg(&k.wake)
        .invoke_async(con)
        .await?)
}

pub(crate) async fn expired(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    max: usize,
) -> Result<Claimed> {
    let flat: Vec<Vec<u8>> = EXPIRED
        .key(&k.leases)
        .key(&k.tokens)
        .arg(max)
        .invoke_async(con)
        .await?;
    Ok(pairs(flat))
}

/// What the reaper does with one expired lease.
pub(crate) struct Reap<'a> {
    pub raw: &'a [u8],
    pub token: &'a str,
    pub new_raw: &'a [u8],
    /// `None` dead-letters the task.
    pub delay_ms: Option<u64>,
    pub record: &'a str,
    pub cap: DeadCap,
    pub state: StateArgs,
}

pub(crate) async fn reap_expired(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    r: &Reap<'_>,
) -> Result<Option<Settled>> {
    let delay = r
        .delay_ms
        .map_or(-1, |d| i64::try_from(d).unwrap_or(i64::MAX));
    let n: i64 = REAP_EXPIRED
        .key(&k.processing)
        .key(&k.leases)
        .key(&k.tokens)
        .key(&k.delayed)
        .key(&k.dead)
        .key(&k.stats)
        .key(&k.results)
        .arg(r.raw)
        .arg(r.token)
        .arg(r.new_raw)
        .arg(delay)
        .arg(r.record)
        .arg(r.cap.max_len)
        .arg(r.cap.max_age_ms)
        .arg(&r.state.id)
        .arg(r.state.ttl_ms)
        .arg(r.state.cancel_ttl_ms)
        .arg(&r.state.task)
        .arg(r.state.attempt)
        .invoke_async(con)
        .await?;
    Ok(Settled::from_reply(n))
}

pub(crate) async fn requeue_orphans(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    grace_ms: u64,
) -> Result<usize> {
    Ok(REQUEUE_ORPHANS
        .key(&k.processing)
        .key(&k.tokens)
        .key(&k.unleased)
        .key(&k.pending)
        .arg(grace_ms)
        .invoke_async(con)
        .await?)
}

pub(crate) async fn requeue_dead(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    record: &str,
    raw: &str,
    id: &str,
) -> Result<bool> {
    let n: i64 = REQUEUE_DEAD
        .key(&k.dead)
        .key(&k.pending)
        .key(&k.results)
        .arg(record)
        .arg(raw)
        .arg(id)
        .invoke_async(con)
        .await?;
    Ok(n == 1)
}
