//! One lease value: a worker renews the lease its broker hands out (`BrokerConfig::lease`), and
//! its stall detection follows that lease, not a second setting that must be kept equal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::Harness;
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;
use worker::task::TaskResult;
use worker::{Registry, Runner, Shutdown, TaskContext, TypedTask, WorkerConfig};

/// A task that runs for a minute without reporting progress.
struct Stall;

#[derive(Debug, Deserialize)]
struct StallArgs {}

impl TypedTask for Stall {
    type Args = StallArgs;
    const NAME: &'static str = "confq.test.stall";

    fn run(&self, _ctx: TaskContext, _args: StallArgs) -> BoxFuture<'static, TaskResult> {
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(())
        })
    }
}

/// The harness's broker leases for 1.5 s. A worker configured with nothing but its heartbeat
/// stops renewing a stalled task after about that lease, so the reaper redelivers it as a
/// `timeout` (a worker-side lease of its own, 120 s by default, would keep renewing it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_task_loses_the_brokers_lease() {
    let harness = Harness::new().await;
    let stop_reaper = harness.start_reaper();
    harness.enqueue(Stall::NAME, json!({})).await;
    let mut registry = Registry::new();
    registry.register(Stall);
    let config = WorkerConfig {
        queues: vec![harness.queue.clone()],
        heartbeat: Duration::from_millis(100),
        shutdown_grace: Duration::ZERO,
        ..WorkerConfig::default()
    };
    let runner = Runner::new(
        &harness.broker,
        registry,
        config,
        broker::WorkerId::new("one-lease"),
    )
    .await
    .unwrap();
    let shutdown = Shutdown::new();
    let worker = tokio::spawn(runner.run(shutdown.clone()));
    let stats = harness
        .wait_stats(Duration::from_secs(20), |s| s.expired >= 1)
        .await;
    shutdown.graceful.cancel();
    shutdown.immediate.cancel();
    worker.await.unwrap().unwrap();
    stop_reaper.cancel();
    assert!(stats.expired >= 1, "{stats:?}");
    harness.cleanup().await;
}
