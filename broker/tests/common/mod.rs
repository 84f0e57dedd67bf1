//! Shared helpers of the Redis tests: a random key prefix per test, fast configs, a private server
//! (`testenv::redis`).
//!
//! With `CONFQ_TEST_REDIS_CLUSTER=1` every test of the binary runs against one local Redis
//! Cluster (3 masters, 3 replicas, `testenv::cluster`) started on first use and shared through a
//! `OnceLock`; each test still has its own key prefix.
#![allow(dead_code)]

use std::time::Duration;

use broker::{
    Broker, BrokerConfig, DeadLetter, Envelope, QueueName, Reaper, RedisConnection, RetryDecider,
    WorkerId,
};
use serde_json::json;
#[allow(unused_imports)]
pub use testenv::redis::{Server as PrivateRedis, cluster_mode, shared_cluster, url as redis_url};

/// Millisecond-level timings and a prefix no other test uses.
pub fn fast_config(url: &str) -> BrokerConfig {
    BrokerConfig {
        redis_url: url.to_owned(),
        key_prefix: testenv::redis::prefix("test"),
        lease: Duration::from_millis(300),
        orphan_grace: Duration::from_millis(300),
        reaper_interval: Duration::from_millis(50),
        block_timeout: Duration::from_millis(100),
        ..BrokerConfig::default()
    }
}

pub async fn broker_with(config: BrokerConfig) -> Broker {
    Broker::connect(config)
        .await
        .expect("connect to the test Redis")
}

pub async fn broker() -> Broker {
    broker_with(fast_config(&redis_url())).await
}

pub fn queue() -> QueueName {
    QueueName::parse("ingest").expect("a valid queue name")
}

pub fn task(i: usize) -> Envelope {
    let args = json!({"i": i}).as_object().cloned().unwrap_or_default();
    Envelope::new("confq.noop", args)
}

/// The newest (up to 100) dead letters of the default queue.
pub async fn dead_letters(b: &Broker) -> Vec<DeadLetter> {
    let page = b.dead_letters().list(&queue(), None, 100).await;
    page.expect("list dead letters").items
}

/// The tests' retry policy: `max_retries` retries (unless the envelope says otherwise), each at
/// once, counted like the worker's policy counts them (`Envelope::retries`).
#[derive(Debug)]
pub struct Immediate {
    pub max_retries: u32,
}

impl RetryDecider for Immediate {
    fn retry_delay(&self, envelope: &Envelope, _error_type: &str) -> Option<Duration> {
        let limit = envelope.max_retries.unwrap_or(self.max_retries);
        (envelope.retries() <= limit).then_some(Duration::ZERO)
    }
}

/// A reaper of the default queue retrying 3 times at once.
pub fn reaper(b: &Broker) -> Reaper {
    reaper_retrying(b, 3)
}

/// A reaper of the default queue retrying `max_retries` times at once.
pub fn reaper_retrying(b: &Broker, max_retries: u32) -> Reaper {
    Reaper::new(
        b.clone(),
        vec![queue()],
        std::sync::Arc::new(Immediate { max_retries }),
    )
}

pub fn worker() -> WorkerId {
    WorkerId::generate("test")
}

/// A plain connection for seeding and inspecting keys as another client would (a cluster
/// connection when the broker's URL is a node list).
pub async fn raw(broker: &Broker) -> RedisConnection {
    raw_url(&broker.config().redis_url).await
}

/// A plain connection to `url` (standalone) or to the cluster a comma-separated `url` lists.
pub async fn raw_url(url: &str) -> RedisConnection {
    if url.contains(',') {
        let seeds: Vec<&str> = url.split(',').filter(|s| !s.is_empty()).collect();
        let client = redis::cluster::ClusterClient::builder(seeds)
            .response_timeout(Duration::from_secs(5))
            .build()
            .expect("cluster client");
        let con = client
            .get_async_connection()
            .await
            .expect("raw cluster connection");
        return RedisConnection::Cluster(con);
    }
    let client = redis::Client::open(url).expect("url");
    let con = client
        .get_multiplexed_async_connection()
        .await
        .expect("raw connection");
    RedisConnection::Dedicated(con)
}

/// Calls of `command` (lower case, e.g. `lrange`) the server behind `con` has served so far,
/// scripts' own calls included (`INFO commandstats`); 0 when it has served none.
pub async fn command_calls(con: &mut RedisConnection, command: &str) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(con)
        .await
        .expect("INFO commandstats");
    let prefix = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |calls| calls.parse().expect("a call count"))
}

/// Deletes every key of the test's prefix.
pub async fn cleanup(broker: &Broker) {
    let config = broker.config();
    testenv::redis::delete_prefix(&config.redis_url, &config.key_prefix).await;
}

/// Ticks `reaper` until a tick's outcome satisfies `done` and returns that outcome. Leases,
/// grace periods and due times run on the Redis clock, so tests wait them out by polling (each
/// tick before then must find nothing to do), not by sleeping a fixed time.
pub async fn tick_until(
    reaper: &Reaper,
    what: &str,
    done: impl Fn(&broker::ReapOutcome) -> bool,
) -> broker::ReapOutcome {
    testenv::wait::until(testenv::wait::LONG, what, || async {
        let outcome = reaper.tick().await.expect("reaper tick");
        if done(&outcome) {
            Ok(outcome)
        } else {
            Err(format!("{outcome:?}"))
        }
    })
    .await
}

/// The Redis clock (`TIME`) in milliseconds, the clock leases and due times run on.
pub async fn redis_now_ms(b: &Broker) -> u64 {
    let mut con = raw(b).await;
    let (secs, micros): (u64, u64) = redis::cmd("TIME")
        .query_async(&mut con)
        .await
        .expect("TIME");
    secs * 1000 + micros / 1000
}

/// The scores (lease deadlines, due times: ms on the Redis clock) in the zset `key`.
pub async fn scores(b: &Broker, key: &str) -> Vec<u64> {
    let mut con = raw(b).await;
    let pairs: Vec<(String, u64)> = redis::cmd("ZRANGE")
        .arg(key)
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES")
        .query_async(&mut con)
        .await
        .expect("ZRANGE");
    pairs.into_iter().map(|(_, score)| score).collect()
}

/// Asserts that the one score of zset `key` lies `after` past a moment between `from` and `to`
/// (Redis clock, ms): the lease or delay was set to exactly `after`, whatever the machine's load.
pub async fn assert_due_after(b: &Broker, key: &str, (from, to): (u64, u64), after: Duration) {
    let after = u64::try_from(after.as_millis()).expect("ms");
    let got = scores(b, key).await;
    assert!(
        got.len() == 1 && (from + after..=to + after).contains(&got[0]),
        "{key}: {got:?}, expected one score in {}..={}",
        from + after,
        to + after
    );
}

/// How many leases of the default queue have lapsed by the Redis clock (read only: nothing is
/// reaped), counted as the reaper's `expired.lua` counts them.
pub async fn lapsed_leases(b: &Broker) -> usize {
    let keys = broker::keys::QueueKeys::new(&b.config().key_prefix, &queue());
    let now = redis_now_ms(b).await;
    let mut con = raw(b).await;
    redis::cmd("ZCOUNT")
        .arg(&keys.leases)
        .arg("-inf")
        .arg(now)
        .query_async(&mut con)
        .await
        .expect("ZCOUNT")
}
