//! The task-state scripts: find a task by id in one queue, cancel it, and record the cancel a
//! worker carried out.

use redis::aio::ConnectionLike;

use super::{CANCEL, CANCELLED, LOOKUP, StateArgs, TRIM_RESULTS};
use crate::error::Result;
use crate::keys::QueueKeys;

/// The reply of `lookup.lua` or `cancel.lua`: a tag and its values (empty: not in this queue).
pub(crate) type Found = Vec<Vec<u8>>;

/// `lookup.lua`; with `states_only`, just the recorded state (no search of the queue's lists).
pub(crate) async fn lookup(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    id: &str,
    states_only: bool,
) -> Result<Found> {
    Ok(LOOKUP
        .key(&k.results)
        .key(&k.processing)
        .key(&k.tokens)
        .key(&k.pending)
        .key(&k.delayed)
        .key(&k.dead)
        .arg(id)
        .arg(if states_only { "1" } else { "0" })
        .invoke_async(con)
        .await?)
}

pub(crate) async fn cancel(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    id: &str,
    ttl_ms: u64,
) -> Result<Found> {
    Ok(CANCEL
        .key(&k.results)
        .key(&k.processing)
        .key(&k.tokens)
        .key(&k.pending)
        .key(&k.delayed)
        .key(&k.dead)
        .key(&k.stats)
        .key(&k.unleased)
        .arg(id)
        .arg(ttl_ms)
        .arg(&k.cancel)
        .invoke_async(con)
        .await?)
}

pub(crate) async fn cancelled(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    raw: &str,
    token: &str,
    state: &StateArgs,
) -> Result<bool> {
    let n: i64 = CANCELLED
        .key(&k.processing)
        .key(&k.leases)
        .key(&k.tokens)
        .key(&k.stats)
        .key(&k.results)
        .arg(raw)
        .arg(token)
        .arg(&state.id)
        .arg(state.cancel_ttl_ms)
        .arg(&state.task)
        .arg(state.attempt)
        .invoke_async(con)
        .await?;
    Ok(n == 1)
}

/// One step of a walk over the results hash (`trim_results.lua`): looks at about `count` fields
/// from `cursor`, drops the expired ones; returns the next cursor (`"0"`: the walk is over) and
/// how many were dropped.
pub(crate) async fn trim_results(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    cursor: &str,
    count: usize,
) -> Result<(String, usize)> {
    Ok(TRIM_RESULTS
        .key(&k.results)
        .arg(cursor)
        .arg(count)
        .invoke_async(con)
        .await?)
}
