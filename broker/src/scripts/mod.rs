//! Every Lua script, loaded once, and one typed wrapper per script (keys always go in KEYS):
//! here the scripts of a lease holder and producers, in `reap` those of the reaper and admin, in
//! `dead` the dead-letter upkeep. Scripts that write a dead-letter zset start with `dead_lib.lua`.

mod celery;
mod dead;
mod lua;
mod reap;
mod state;

pub(crate) use celery::{celery_defer, celery_result};
pub(crate) use dead::{trim_dead, upgrade_dead};
pub(crate) use reap::{Reap, expired, promote_due, reap_expired, requeue_dead, requeue_orphans};
pub(crate) use state::{Found, cancel, cancelled, lookup, trim_results};

use std::sync::LazyLock;

use redis::aio::ConnectionLike;

use lua::Lua;

use crate::connection::RedisConnection;
use crate::error::Result;
use crate::keys::QueueKeys;
use crate::settled::Settled;

macro_rules! script {
    ($name:ident, $file:literal) => {
        static $name: LazyLock<Lua> =
            LazyLock::new(|| Lua::new(include_str!(concat!("../../lua/", $file))));
    };
    // The script's own file after the shared functions it uses (`dead_lib.lua`: one home for the
    // dead-letter sequence; `state_lib.lua`: the task state hash; `find_lib.lua`: finding by id;
    // `batch_lib.lua`: variadic writes of many elements).
    ($name:ident, [$($lib:literal),+], $file:literal) => {
        static $name: LazyLock<Lua> = LazyLock::new(|| {
            Lua::new(concat!(
                $(include_str!(concat!("../../lua/", $lib, ".lua")),)+
                include_str!(concat!("../../lua/", $file))
            ))
        });
    };
}

script!(CLAIM, ["batch_lib"], "claim.lua");
script!(CLAIM_ONE, "claim_one.lua");
script!(EXTEND_LEASE, "extend_lease.lua");
script!(ACK, ["state_lib"], "ack.lua");
script!(ACK_MANY, ["batch_lib", "state_lib"], "ack_many.lua");
script!(RETRY_LATER, ["state_lib"], "retry_later.lua");
script!(DEAD_LETTER, ["dead_lib", "state_lib"], "dead_letter.lua");
script!(RELEASE, ["state_lib"], "release.lua");
script!(CANCELLED, ["state_lib"], "cancelled.lua");
script!(ENQUEUE, "enqueue.lua");
script!(ENQUEUE_IN, "enqueue_in.lua");
script!(PROMOTE_DUE, "promote_due.lua");
script!(EXPIRED, "expired.lua");
script!(REAP_EXPIRED, ["dead_lib", "state_lib"], "reap_expired.lua");
script!(REQUEUE_ORPHANS, "requeue_orphans.lua");
script!(REQUEUE_DEAD, "requeue_dead.lua");
script!(TRIM_DEAD, ["dead_lib"], "trim_dead.lua");
script!(UPGRADE_DEAD, ["dead_lib"], "upgrade_dead.lua");
script!(LOOKUP, ["state_lib", "find_lib"], "lookup.lua");
script!(TRIM_RESULTS, ["state_lib"], "trim_results.lua");
script!(CANCEL, ["state_lib", "find_lib"], "cancel.lua");
script!(CELERY_DEFER, ["state_lib"], "celery_defer.lua");
script!(CELERY_RESULT, "celery_result.lua");

/// Limits of a dead-letter zset, passed to the scripts that add to it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeadCap {
    pub max_len: usize,
    pub max_age_ms: u64,
}

/// The task-state arguments of a script that finishes a task: its state hash and what to write.
#[derive(Debug)]
pub(crate) struct StateArgs {
    /// The task id (its field in the queue's results hash).
    pub id: String,
    /// TTL of a finished state; 0 when results are off.
    pub ttl_ms: u64,
    /// TTL of a cancellation's record (kept even with results off).
    pub cancel_ttl_ms: u64,
    /// The task name as JSON text (a string literal), so the scripts write it as it is.
    pub task: String,
    pub attempt: u32,
}

/// A (element, token) pair as the claim scripts return them.
pub(crate) type Claimed = Vec<(Vec<u8>, String)>;

pub(crate) async fn claim(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    max: usize,
    lease_ms: u64,
    token_base: &str,
) -> Result<Claimed> {
    let mut call = CLAIM.key(&k.pending);
    call.key(&k.processing).key(&k.leases).key(&k.tokens);
    if let Some(list) = &k.celery_list {
        call.key(list);
    }
    let flat: Vec<Vec<u8>> = call
        .arg(max)
        .arg(lease_ms)
        .arg(token_base)
        .invoke_async(con)
        .await?;
    Ok(pairs(flat))
}

/// One claim per entry of `batch` (queue keys, how many, token base), all sent at once on the
/// shared multiplexed connection: one round trip (on a cluster, the nodes involved answer in
/// parallel). Each queue is its own slot, so each claim is its own script call. The answers come
/// back per entry, so what one queue claimed is never lost to another queue's error.
pub(crate) async fn claim_many(
    con: &RedisConnection,
    batch: &[(&QueueKeys, usize, String)],
    lease_ms: u64,
) -> Vec<Result<Claimed>> {
    let calls = batch.iter().map(|(k, max, token_base)| {
        let mut con = con.clone();
        async move { claim(&mut con, k, *max, lease_ms, token_base).await }
    });
    futures::future::join_all(calls).await
}

/// Pushes `raws` onto `k`'s pending list (the first is consumed first) and publishes on its wake
/// channel, in one script call.
pub(crate) async fn enqueue(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    raws: &[String],
) -> Result<()> {
    let mut call = ENQUEUE.key(&k.pending);
    call.arg(&k.wake).arg(raws);
    call.invoke_async::<()>(con).await?;
    Ok(())
}

pub(crate) async fn claim_one(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    raw: &[u8],
    lease_ms: u64,
    token: &str,
) -> Result<bool> {
    let n: i64 = CLAIM_ONE
        .key(&k.processing)
        .key(&k.leases)
        .key(&k.tokens)
        .key(&k.unleased)
        .arg(raw)
        .arg(lease_ms)
        .arg(token)
        .invoke_async(con)
        .await?;
    Ok(n == 1)
}

pub(crate) async fn extend_lease(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    raw: &str,
    token: &str,
    lease_ms: u64,
) -> Result<bool> {
    let n: i64 = EXTEND_LEASE
        .key(&k.leases)
        .key(&k.tokens)
        .arg(raw)
        .arg(token)
        .arg(lease_ms)
        .invoke_async(con)
        .await?;
    Ok(n == 1)
}

pub(crate) async fn ack(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    raw: &str,
    token: &str,
    state: &StateArgs,
    result: &str,
) -> Result<bool> {
    let n: i64 = ACK
        .key(&k.processing)
        .key(&k.leases)
        .key(&k.tokens)
        .key(&k.stats)
        .key(&k.results)
        .arg(raw)
        .arg(token)
        .arg(&state.id)
        .arg(state.ttl_ms)
        .arg(&state.task)
        .arg(state.attempt)
        .arg(result)
        .invoke_async(con)
        .await?;
    Ok(n == 1)
}

pub(crate) async fn ack_many(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    items: &[(&str, &str, StateArgs, String)],
    ttl_ms: u64,
) -> Result<Vec<bool>> {
    let mut inv = ACK_MANY.prepare_invoke();
    inv.key(&k.processing)
        .key(&k.leases)
        .key(&k.tokens)
        .key(&k.stats)
        .key(&k.results)
        .arg(ttl_ms);
    for (raw, token, state, result) in items {
        inv.arg(*raw)
            .arg(*token)
            .arg(&state.id)
            .arg(&state.task)
            .arg(state.attempt)
            .arg(result);
    }
    let flags: Vec<i64> = inv.invoke_async(con).await?;
    Ok(flags.into_iter().map(|n| n == 1).collect())
}

// One parameter per group of the script's arguments; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn retry_later(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    raw: &str,
    token: &str,
    new_raw: &str,
    delay_ms: u64,
    error_type: &str,
    state: &StateArgs,
) -> Result<Option<Settled>> {
    let n: i64 = RETRY_LATER
        .key(&k.processing)
        .key(&k.leases)
        .key(&k.tokens)
        .key(&k.delayed)
        .key(&k.stats)
        .key(&k.results)
        .arg(raw)
        .arg(token)
        .arg(new_raw)
        .arg(delay_ms)
        .arg(error_type)
        .arg(&state.id)
        .arg(state.cancel_ttl_ms)
        .arg(&state.task)
        .arg(state.attempt)
        .invoke_async(con)
        .await?;
    Ok(Settled::from_reply(n))
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn dead_letter(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    raw: &[u8],
    token: &str,
    record: &str,
    cap: DeadCap,
    error_type: &str,
    state: &StateArgs,
) -> Result<bool> {
    let n: i64 = DEAD_LETTER
        .key(&k.processing)
        .key(&k.leases)
        .key(&k.tokens)
        .key(&k.dead)
        .key(&k.stats)
        .key(&k.results)
        .arg(raw)
        .arg(token)
        .arg(record)
        .arg(cap.max_len)
        .arg(cap.max_age_ms)
        .arg(error_type)
        .arg(&state.id)
        .arg(state.ttl_ms)
        .arg(&state.task)
        .arg(state.attempt)
        .invoke_async(con)
        .await?;
    Ok(n == 1)
}

pub(crate) async fn release(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    raw: &str,
    token: &str,
    state: &StateArgs,
) -> Result<Option<Settled>> {
    let n: i64 = RELEASE
        .key(&k.processing)
        .key(&k.leases)
        .key(&k.tokens)
        .key(&k.pending)
        .key(&k.results)
        .arg(raw)
        .arg(token)
        .arg(&state.id)
        .arg(state.cancel_ttl_ms)
        .arg(&state.task)
        .arg(state.attempt)
        .invoke_async(con)
        .await?;
    Ok(Settled::from_reply(n))
}

pub(crate) async fn enqueue_in(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    raw: &str,
    delay_ms: u64,
) -> Result<i64> {
    Ok(ENQUEUE_IN
        .key(&k.delayed)
        .arg(raw)
        .arg(delay_ms)
        .invoke_async(con)
        .await?)
}

// Elements stay bytes here: another client may have pushed anything, and a non-UTF-8 element must
// be dead-lettered by its exact bytes, not stall the caller with a conversion error.
fn pairs(flat: Vec<Vec<u8>>) -> Claimed {
    let mut it = flat.into_iter();
    let mut out = Vec::new();
    while let (Some(raw), Some(token)) = (it.next(), it.next()) {
        out.push((raw, String::from_utf8_lossy(&token).into_owned()));
    }
    out
}
