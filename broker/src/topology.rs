//! Which Redis `redis_url` names: one URL is a standalone Redis; a comma-separated list of node
//! URLs (or one URL followed by a comma) is the seed list of a Redis Cluster. Before the broker
//! connects to a cluster, every seed is probed so that bad input gets one clear error: a list
//! mixing cluster and standalone nodes, no seed answering, or a cluster whose slots are not all
//! served.

use std::time::Duration;

use futures::future::join_all;
use redis::aio::ConnectionLike;
use tracing::warn;

use crate::error::{BrokerError, Result};
use crate::redact::redact;

/// What `redis_url` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Topology {
    /// One standalone Redis.
    Standalone(String),
    /// The seed nodes of a Redis Cluster (the rest of the cluster is discovered from them).
    Cluster(Vec<String>),
}

impl Topology {
    /// Reads `redis_url`: a comma makes it a cluster seed list.
    pub(crate) fn parse(redis_url: &str) -> Result<Self> {
        if !redis_url.contains(',') {
            return Ok(Self::Standalone(redis_url.trim().to_owned()));
        }
        let seeds: Vec<String> = redis_url
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if seeds.is_empty() {
            return Err(BrokerError::Config(
                "CONFQ_REDIS_URL lists no node URL".to_owned(),
            ));
        }
        for seed in &seeds {
            redis::Client::open(seed.as_str()).map_err(|e| {
                BrokerError::Config(format!(
                    "invalid Redis URL {} in the list: {e}",
                    redact(seed)
                ))
            })?;
        }
        Ok(Self::Cluster(seeds))
    }
}

/// What one seed said about itself.
enum Seed {
    /// A cluster node; its `CLUSTER INFO` text.
    ClusterNode(String),
    /// A Redis that is not in cluster mode.
    Standalone,
    /// No answer.
    Unreachable(redis::RedisError),
}

/// Checks that the seeds are nodes of one healthy cluster.
///
/// # Errors
/// `Unreachable` when no seed answers; `Cluster` when a seed is a standalone Redis or the cluster
/// does not serve all its slots.
pub(crate) async fn check_cluster(seeds: &[String], timeout: Duration) -> Result<()> {
    let probes = join_all(seeds.iter().map(|s| probe(s, timeout))).await;
    let mut info = None;
    let mut last_error = None;
    let mut silent = Vec::new();
    for (seed, probe) in seeds.iter().zip(probes) {
        match probe {
            Seed::Standalone => {
                return Err(BrokerError::Cluster(format!(
                    "{} is a standalone Redis (cluster_enabled:0), not a cluster node: list only \
                     nodes of one Redis Cluster in CONFQ_REDIS_URL, or give a single URL (no comma) \
                     for a standalone Redis",
                    redact(seed)
                )));
            }
            Seed::ClusterNode(text) => {
                info.get_or_insert(text);
            }
            Seed::Unreachable(error) => {
                silent.push(redact(seed));
                last_error = Some(error);
            }
        }
    }
    // Some seeds answering is enough (the cluster is found from them); say which did not.
    if info.is_some() && !silent.is_empty() {
        warn!(seeds = %silent.join(","), "cluster seed nodes do not answer");
    }
    let Some(info) = info else {
        return Err(BrokerError::Unreachable {
            url: redact(&seeds.join(",")),
            source: last_error.unwrap_or_else(|| {
                redis::RedisError::from((redis::ErrorKind::Io, "no seed node answered"))
            }),
        });
    };
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
            .unwrap_or("?")
            .to_owned()
    };
    if field("cluster_state") != "ok" {
        return Err(BrokerError::Cluster(format!(
            "the cluster at {} is not serving all its slots (cluster_state:{}, {} of 16384 slots \
             ok, {} failed): repair it (`redis-cli --cluster check` / `--cluster fix`) or wait for \
             its failover, then start again",
            redact(&seeds.join(",")),
            field("cluster_state"),
            field("cluster_slots_ok"),
            field("cluster_slots_fail"),
        )));
    }
    Ok(())
}

/// `INFO cluster` then, on a cluster node, `CLUSTER INFO`, on a short-lived connection.
async fn probe(seed: &str, timeout: Duration) -> Seed {
    let answer = async {
        let client = redis::Client::open(seed)?;
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let mut con = client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        if !cluster_enabled(&mut con).await? {
            return Ok(None);
        }
        let info: String = redis::cmd("CLUSTER")
            .arg("INFO")
            .query_async(&mut con)
            .await?;
        Ok::<_, redis::RedisError>(Some(info))
    };
    match answer.await {
        Ok(Some(info)) => Seed::ClusterNode(info),
        Ok(None) => Seed::Standalone,
        Err(error) => Seed::Unreachable(error),
    }
}

/// Whether the node that `con` reaches runs in cluster mode (`INFO cluster`).
pub(crate) async fn cluster_enabled(con: &mut impl ConnectionLike) -> redis::RedisResult<bool> {
    let info: String = redis::cmd("INFO").arg("cluster").query_async(con).await?;
    Ok(info.lines().any(|l| l.trim() == "cluster_enabled:1"))
}

#[cfg(test)]
mod tests {
    use super::Topology;

    #[test]
    fn a_comma_makes_a_cluster_seed_list() {
        assert_eq!(
            Topology::parse("redis://a:6379").unwrap(),
            Topology::Standalone("redis://a:6379".into())
        );
        assert_eq!(
            Topology::parse("redis://a:7000, redis://b:7001").unwrap(),
            Topology::Cluster(vec!["redis://a:7000".into(), "redis://b:7001".into()])
        );
        assert_eq!(
            Topology::parse("redis://a:7000,").unwrap(),
            Topology::Cluster(vec!["redis://a:7000".into()])
        );
        assert!(Topology::parse(",").is_err());
        let err = Topology::parse("redis://u:hunter2@a:7000,nope://b").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
