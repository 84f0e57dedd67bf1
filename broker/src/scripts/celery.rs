//! The scripts of Celery interoperability: hold a task until its `eta`, and write a result in
//! Celery's format (the claim from a Celery list is `claim.lua`'s, with a fifth key).

use redis::aio::ConnectionLike;

use super::{CELERY_DEFER, CELERY_RESULT};
use crate::error::Result;
use crate::keys::QueueKeys;

pub(crate) async fn celery_defer(
    con: &mut impl ConnectionLike,
    k: &QueueKeys,
    raw: &str,
    token: &str,
    envelope: &str,
    due_ms: i64,
) -> Result<bool> {
    let n: i64 = CELERY_DEFER
        .key(&k.processing)
        .key(&k.leases)
        .key(&k.tokens)
        .key(&k.delayed)
        .arg(raw)
        .arg(token)
        .arg(envelope)
        .arg(due_ms)
        .invoke_async(con)
        .await?;
    Ok(n == 1)
}

pub(crate) async fn celery_result(
    con: &mut impl ConnectionLike,
    key: &str,
    doc: &str,
    ttl_ms: u64,
) -> Result<bool> {
    let n: i64 = CELERY_RESULT
        .key(key)
        .arg(doc)
        .arg(ttl_ms)
        .invoke_async(con)
        .await?;
    Ok(n == 1)
}
