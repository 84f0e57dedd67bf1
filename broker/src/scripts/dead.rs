//! The dead-letter upkeep scripts: the caps applied on the reaper's tick, and the renumbering of
//! records an earlier version scored by plain milliseconds.

use redis::aio::ConnectionLike;

use super::{DeadCap, TRIM_DEAD, UPGRADE_DEAD};
use crate::error::Result;
use crate::keys::QueueKeys;

pub(crate) async fn trim_dead(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    cap: DeadCap,
) -> Result<usize> {
    Ok(TRIM_DEAD
        .key(&k.dead)
        .arg(cap.max_len)
        .arg(cap.max_age_ms)
        .invoke_async(con)
        .await?)
}

pub(crate) async fn upgrade_dead(con: &mut impl ConnectionLike, k: &QueueKeys) -> Result<usize> {
    Ok(UPGRADE_DEAD.key(&k.dead).invoke_async(con).await?)
}
