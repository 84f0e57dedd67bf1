//! The heartbeat on tokio's clock: a task that shows no progress for longer than the stall limit
//! is not renewed, found by pausing and advancing time instead of waiting it out; once it shows
//! progress again its lease is renewed in Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use broker::WorkerId;
use common::Harness;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use worker::Progress;
use worker::heartbeat::{Beat, Heartbeat, HeartbeatConfig, Lease};
use worker::hooks::HookSlot;

/// Redis is only asked with the clock running: a paused clock would fire the connection's
/// response timeout while the reply is on its way.
#[tokio::test]
async fn a_stalled_task_is_not_renewed_and_renews_again_once_it_progresses() {
    let harness = Harness::new().await;
    harness.enqueue("confq.noop", json!({})).await;
    let consumer = harness
        .broker
        .consumer(vec![harness.queue.clone()], WorkerId::new("heartbeat"))
        .await
        .unwrap();
    let delivery = consumer.fetch(1).await.unwrap().remove(0);
    // The harness's broker leases for 1.5 s: beating every 100 ms, a task stalls after 1.4 s.
    let config = HeartbeatConfig::new(Duration::from_millis(100), harness.broker.config().lease);
    let lease = Lease {
        consumer: Arc::new(consumer),
        delivery: Arc::new(delivery),
        lost: CancellationToken::new(),
    };
    tokio::time::pause();
    let progress = Progress::new();
    let heartbeat = Heartbeat::new(config, lease.clone(), progress.clone(), HookSlot::default());
    tokio::time::advance(config.stall_after).await;
    assert_eq!(progress.idle(), config.stall_after, "idle time is tokio's");
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(heartbeat.tick().await, Beat::Stalled);
    tokio::time::advance(Duration::from_secs(3600)).await;
    assert_eq!(
        heartbeat.tick().await,
        Beat::Stalled,
        "an hour later, still not renewed"
    );
    progress.tick();
    tokio::time::resume();
    assert_eq!(heartbeat.tick().await, Beat::Renewed);
    assert!(!lease.lost.is_cancelled());
    harness.cleanup().await;
}
