//! The broker through a failover of a Redis Cluster: a master is `SIGKILL`ed, its replica is
//! promoted, and calls resume by themselves. Each test starts its own local cluster
//! (`testenv::cluster`), since it kills one of its nodes.

mod common;

use broker::{QueueName, keys::QueueKeys};
use common::{broker_with, fast_config, task, worker};
use testenv::cluster::Cluster;

/// Whether the node on `port` has `code` in its script cache (`SCRIPT EXISTS`).
async fn cached(port: u16, code: &str) -> bool {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).expect("node url");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect to the node");
    let exists: Vec<bool> = redis::cmd("SCRIPT")
        .arg("EXISTS")
        .arg(redis::Script::new(code).get_hash())
        .query_async(&mut con)
        .await
        .expect("SCRIPT EXISTS");
    exists[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_runs_on_a_replica_promoted_by_a_failover_that_never_saw_it() {
    let cluster = Cluster::start();
    let b = broker_with(fast_config(&cluster.url())).await;
    let q = QueueName::parse("ingest").unwrap();
    let other = QueueName::parse("reports").unwrap();
    b.producer().enqueue(&other, &task(0)).await.unwrap();
    // Connections made before the failover: their slot map still names the master killed below.
    let c = b.consumer(vec![q.clone()], worker()).await.unwrap();
    let co = b.consumer(vec![other.clone()], worker()).await.unwrap();
    let key = QueueKeys::new(&b.config().key_prefix, &q).pending;
    let killed = cluster.kill_master_of(&key);

    // While the killed master is still in the clients' slot map, a script runs for the first
    // time on a healthy master (`reports` lives on another one).
    let got = co
        .fetch(1)
        .await
        .expect("fetch on a healthy master during the failover");
    assert_eq!(got.len(), 1);
    co.ack(&got[0]).await.unwrap();
    eprintln!("reports fetched during the failover");
    let promoted = tokio::task::block_in_place(|| cluster.wait_promoted(&key, killed));
    eprintln!("master {killed} of {key} killed; replica {promoted} promoted");

    // A producer connected after the promotion (LPUSH: no script involved).
    let late = broker_with(broker::BrokerConfig {
        key_prefix: b.config().key_prefix.clone(),
        ..fast_config(&format!("redis://127.0.0.1:{promoted},"))
    })
    .await;
    late.producer().enqueue(&q, &task(1)).await.unwrap();

    // The script as the broker sends it: its shared functions, then its own file.
    let claim = concat!(
        include_str!("../lua/batch_lib.lua"),
        include_str!("../lua/claim.lua")
    );
    assert!(
        !cached(promoted, claim).await,
        "the promoted replica never ran claim.lua"
    );
    let got = c.fetch(1).await.expect("fetch through the failover");
    assert_eq!(got.len(), 1);
    c.ack(&got[0]).await.expect("ack after the failover");
    assert!(
        cached(promoted, claim).await,
        "the body sent on NOSCRIPT is cached"
    );
    assert_eq!(b.stats(&q).await.unwrap().processed, 1);
}

#[tokio::test]
async fn an_enqueue_that_no_replica_acknowledged_is_refused_with_wait_replicas() {
    // A standalone Redis has no replica: WAIT 1 times out with 0 and the producer is told.
    let alone = common::PrivateRedis::start();
    let b = broker_with(broker::BrokerConfig {
        wait_replicas: 1,
        ..fast_config(&alone.url())
    })
    .await;
    let q = QueueName::parse("ingest").unwrap();
    let err = b.producer().enqueue(&q, &task(1)).await.unwrap_err();
    assert!(
        matches!(
            err,
            broker::BrokerError::NotReplicated {
                acked: 0,
                wanted: 1
            }
        ),
        "{err:?}"
    );
    assert!(err.is_transient());
}

#[tokio::test]
async fn on_a_cluster_an_enqueue_and_a_retry_return_once_a_replica_has_them() {
    let b = broker_with(broker::BrokerConfig {
        wait_replicas: 1,
        ..fast_config(&common::shared_cluster().url())
    })
    .await;
    let q = QueueName::parse("reports").unwrap();
    b.producer().enqueue(&q, &task(1)).await.unwrap();
    b.producer()
        .enqueue_in(&q, &task(2), std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let c = b.consumer(vec![q.clone()], worker()).await.unwrap();
    let d = c.fetch(1).await.unwrap().remove(0);
    c.retry_later(&d, std::time::Duration::from_secs(60), "again")
        .await
        .unwrap();
    assert_eq!(b.stats(&q).await.unwrap().delayed, 2);
    common::cleanup(&b).await;
}
