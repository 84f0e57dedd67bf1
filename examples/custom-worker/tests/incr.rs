//! Starts the `custom-worker` binary against Redis under its own key prefix, enqueues
//! `example.incr` tasks and checks that each one incremented the key exactly once.

use std::process::Stdio;
use std::time::{Duration, Instant};

use broker::{Broker, BrokerConfig, Envelope};
use serde_json::json;
use tokio::process::Command;

#[tokio::test]
async fn every_incr_task_increments_its_key_once() {
    let redis_url = std::env::var("CONFQ_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let prefix = format!("confq-example-{}", uuid::Uuid::new_v4().simple());
    let broker = Broker::connect(BrokerConfig {
        redis_url: redis_url.clone(),
        key_prefix: prefix.clone(),
        ..BrokerConfig::default()
    })
    .await
    .expect("Redis must answer at CONFQ_TEST_REDIS_URL (default redis://127.0.0.1:6379)");
    let queue = broker::QueueName::parse("ingest").unwrap();
    let key = format!("{prefix}:counter");
    let tasks: Vec<Envelope> = (0..200)
        .map(|_| {
            let args = json!({ "key": key }).as_object().unwrap().clone();
            Envelope::new("example.incr", args)
        })
        .collect();
    broker
        .producer()
        .enqueue_many(&queue, &tasks)
        .await
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_custom-worker"))
        .env("CONFQ_REDIS_URL", &redis_url)
        .env("CONFQ_KEY_PREFIX", &prefix)
        .env("RUST_LOG", "warn")
        .args(["--concurrency", "8"])
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let client = redis::Client::open(redis_url.as_str()).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let began = Instant::now();
    while broker.stats(&queue).await.unwrap().processed < 200 {
        assert!(
            began.elapsed() < Duration::from_secs(60),
            "the worker did not finish 200 tasks within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let count: i64 = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(count, 200, "one INCR per task");
    child.start_kill().unwrap();
    let _ = child.wait().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut redis)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(&keys)
            .query_async(&mut redis)
            .await
            .unwrap();
    }
}
