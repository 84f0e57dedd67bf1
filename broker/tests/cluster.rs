//! The broker on a Redis Cluster (`CONFQ_REDIS_URL` = a comma-separated list of node URLs): the
//! steps that write global bookkeeping next to a queue's keys, queues on several masters, scripts
//! on nodes whose script cache is empty, and bad input. These tests always start a local cluster
//! (`testenv::cluster`); the rest of the suite runs on one with `CONFQ_TEST_REDIS_CLUSTER=1`.

mod common;

use std::time::Duration;

use broker::{BrokerConfig, BrokerError, QueueName, WorkerInfo};
use chrono::Utc;
use common::{broker_with, cleanup, fast_config, raw, raw_url, shared_cluster, task, worker};
use testenv::cluster::Cluster;

fn queues() -> Vec<QueueName> {
    ["ingest", "reports", "exports"]
        .into_iter()
        .map(|q| QueueName::parse(q).expect("queue name"))
        .collect()
}

/// The port of the master that serves `key`'s slot.
async fn master_of(con: &mut broker::RedisConnection, key: &str) -> String {
    let slot: i64 = redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(key)
        .query_async(con)
        .await
        .expect("CLUSTER KEYSLOT");
    let slots: Vec<(i64, i64, (String, i64))> = redis::cmd("CLUSTER")
        .arg("SLOTS")
        .query_async::<Vec<redis::Value>>(con)
        .await
        .expect("CLUSTER SLOTS")
        .into_iter()
        .map(|row| {
            let redis::Value::Array(items) = row else {
                panic!("CLUSTER SLOTS row");
            };
            let n = |v: &redis::Value| redis::from_redis_value_ref::<i64>(v).expect("a number");
            let redis::Value::Array(master) = &items[2] else {
                panic!("CLUSTER SLOTS master");
            };
            let host = redis::from_redis_value_ref::<String>(&master[0]).expect("a host");
            (n(&items[0]), n(&items[1]), (host, n(&master[1])))
        })
        .collect();
    let (_, _, (host, port)) = slots
        .into_iter()
        .find(|(lo, hi, _)| (*lo..=*hi).contains(&slot))
        .expect("a master serves every slot");
    format!("{host}:{port}")
}

#[tokio::test]
async fn every_producer_and_registry_step_works_with_queues_on_three_masters() {
    let b = broker_with(fast_config(&shared_cluster().url())).await;
    assert!(b.is_cluster());
    let p = b.producer();
    for (i, q) in queues().iter().enumerate() {
        p.enqueue_many(q, &[task(i), task(i + 10)]).await.unwrap();
        p.enqueue_at(q, &task(i + 20), Utc::now() + chrono::Duration::hours(1))
            .await
            .unwrap();
        p.enqueue_in(q, &task(i + 30), Duration::from_secs(3600))
            .await
            .unwrap();
    }
    let mut con = raw(&b).await;
    let mut masters = Vec::new();
    for q in queues() {
        let stats = b.stats(&q).await.unwrap();
        assert_eq!((stats.pending, stats.delayed), (2, 2), "{q}");
        let key = broker::keys::QueueKeys::new(&b.config().key_prefix, &q).pending;
        masters.push(master_of(&mut con, &key).await);
    }
    masters.sort();
    masters.dedup();
    assert_eq!(
        masters.len(),
        3,
        "ingest, reports and exports live on three masters"
    );
    assert_eq!(b.queues().await.unwrap().len(), 3);

    let reg = b.workers();
    let info = WorkerInfo {
        id: worker(),
        host: "h".into(),
        pid: 1,
        queues: queues(),
        concurrency: 2,
        started_at: Utc::now(),
        last_seen: Utc::now(),
        in_flight: 0,
        breakers: [("database".to_owned(), "open".to_owned())].into(),
    };
    let other = WorkerInfo {
        id: worker(),
        ..info.clone()
    };
    reg.register(&info, Duration::from_secs(10)).await.unwrap();
    reg.refresh(&other, Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        reg.live().await.unwrap().len(),
        2,
        "MGET over several slots"
    );
    reg.deregister(&info.id).await.unwrap();
    assert_eq!(reg.live_count(&queues()[1]).await.unwrap(), 1);

    let c = b.consumer(queues(), worker()).await.unwrap();
    let got = c.fetch(10).await.unwrap();
    assert_eq!(got.len(), 6, "two pending tasks of each queue");
    assert!(c.ack_many(&got).await.unwrap().into_iter().all(|ok| ok));
    cleanup(&b).await;
}

#[tokio::test]
async fn a_blocking_fetch_on_a_cluster_gets_a_task_pushed_while_it_waits() {
    let b = broker_with(BrokerConfig {
        block_timeout: Duration::from_secs(2),
        ..fast_config(&shared_cluster().url())
    })
    .await;
    let q = QueueName::parse("reports").unwrap();
    let c = b.consumer(vec![q.clone()], worker()).await.unwrap();
    let producer = b.producer();
    let push = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        producer.enqueue(&q, &task(7)).await.unwrap();
    });
    let mut got = Vec::new();
    for _ in 0..20 {
        got = c.fetch(1).await.unwrap();
        if !got.is_empty() {
            break;
        }
    }
    push.await.unwrap();
    assert_eq!(got.len(), 1);
    c.ack(&got[0]).await.unwrap();
    cleanup(&b).await;
}

#[tokio::test]
async fn scripts_run_on_nodes_whose_script_cache_is_empty() {
    let b = broker_with(fast_config(&shared_cluster().url())).await;
    let q = QueueName::parse("ingest").unwrap();
    b.producer().enqueue(&q, &task(1)).await.unwrap();
    let c = b.consumer(vec![q.clone()], worker()).await.unwrap();
    let d = c.fetch(1).await.unwrap().remove(0);
    // Every node forgets every script (as a fresh replica promoted by a failover would have
    // none): the next EVALSHA gets NOSCRIPT, loads and runs again.
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut raw(&b).await)
        .await
        .unwrap();
    c.ack(&d).await.unwrap();
    assert_eq!(b.stats(&q).await.unwrap().processed, 1);
    cleanup(&b).await;
}

#[tokio::test]
async fn a_list_mixing_cluster_and_standalone_nodes_is_refused_naming_the_standalone_one() {
    let standalone = common::PrivateRedis::start();
    let url = format!("{},{}", shared_cluster().urls()[0], standalone.url());
    let err = broker::Broker::connect(fast_config(&url))
        .await
        .unwrap_err();
    assert!(matches!(err, BrokerError::Cluster(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&standalone.url()), "{text}");
    assert!(text.contains("standalone Redis"), "{text}");
    assert!(!text.contains('\n'), "one line: {text}");
}

#[tokio::test]
async fn unreachable_seeds_fail_fast_without_leaking_the_password() {
    let url = "redis://u:hunter2@127.0.0.1:1,redis://u:hunter2@127.0.0.1:2";
    let err = broker::Broker::connect(fast_config(url)).await.unwrap_err();
    assert!(matches!(err, BrokerError::Unreachable { .. }), "{err:?}");
    let text = format!("{err} {err:?} {}", broker::report::one_line(&err));
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("127.0.0.1:2"), "{text}");
}

#[tokio::test]
async fn a_cluster_with_failed_slots_is_refused_with_what_to_do() {
    let broken = Cluster::unformed(1);
    let err = broker::Broker::connect(fast_config(&format!("{},", broken.url())))
        .await
        .unwrap_err();
    assert!(matches!(err, BrokerError::Cluster(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("cluster_state:fail"), "{text}");
    assert!(text.contains("--cluster fix"), "{text}");
}

#[tokio::test]
async fn one_url_of_a_cluster_node_is_refused_with_the_fix() {
    let node = shared_cluster().urls()[0].clone();
    let err = broker::Broker::connect(fast_config(&node))
        .await
        .unwrap_err();
    assert!(matches!(err, BrokerError::Cluster(_)), "{err:?}");
    assert!(err.to_string().contains("comma-separated"), "{err}");
    // The same URL followed by a comma is a seed list: the whole cluster is found from it.
    let b = broker_with(fast_config(&format!("{node},"))).await;
    b.ping().await.unwrap();
    let mut con = raw_url(&shared_cluster().url()).await;
    let _: () = redis::cmd("PING").query_async(&mut con).await.unwrap();
}

#[tokio::test]
async fn a_seed_that_does_not_answer_is_skipped_when_another_does() {
    let url = format!("redis://127.0.0.1:1,{}", shared_cluster().urls()[1]);
    let b = broker_with(fast_config(&url)).await;
    b.producer()
        .enqueue(&QueueName::parse("ingest").unwrap(), &task(1))
        .await
        .unwrap();
    assert_eq!(
        b.stats(&QueueName::parse("ingest").unwrap())
            .await
            .unwrap()
            .pending,
        1
    );
    cleanup(&b).await;
}
