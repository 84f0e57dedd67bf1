//! Real faults injected with fail points (`ingest.before_read`, `ingest.slow_entry`): transient
//! errors retry on the configured schedule and then succeed or exhaust; heartbeats move
//! `last_heartbeat`. Fail points are process-wide, so these tests take turns.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{EXAMPLE_STANZAS, EXAMPLE_TGZ, Harness};
use entity::store::RunStatus;
use tokio::sync::Mutex;

static TURN: Mutex<()> = Mutex::const_new(());
const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_fault_retries_on_schedule_then_succeeds() {
    let _turn = TURN.lock().await;
    let scenario = fail::FailScenario::setup();
    fail::cfg("ingest.before_read", "2*return->off").unwrap();
    let harness = Harness::new().await;
    let stop_reaper = harness.start_reaper();
    let (run, _) = harness.submit(EXAMPLE_TGZ, "flaky.tgz").await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;

    // Watch the status sequence as it happens.
    let mut seen = vec![RunStatus::Stored];
    let done = loop {
        let current = harness.store.run(run.id).await.unwrap().unwrap();
        if seen.last() != Some(&current.status) {
            seen.push(current.status);
        }
        if matches!(current.status, RunStatus::Complete | RunStatus::Failed) {
            break current;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    stop_reaper.cancel();
    scenario.teardown();

    assert_eq!(done.status, RunStatus::Complete, "{done:?}");
    assert_eq!(done.retry_count, 2);
    assert_eq!(done.metrics.as_ref().unwrap().retry_count, 2);
    assert_eq!(
        done.metrics.as_ref().unwrap().stanzas_created,
        EXAMPLE_STANZAS
    );
    assert_eq!(stats.retried, 2);
    assert!(
        seen.contains(&RunStatus::Retrying),
        "status sequence {seen:?}"
    );
    assert_eq!(seen.first(), Some(&RunStatus::Stored));
    assert_eq!(seen.last(), Some(&RunStatus::Complete));
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_transient_failures_exhaust_the_retries() {
    let _turn = TURN.lock().await;
    let scenario = fail::FailScenario::setup();
    fail::cfg("ingest.before_read", "return").unwrap();
    let harness = Harness::new().await;
    let stop_reaper = harness.start_reaper();
    let (run, _) = harness.submit(EXAMPLE_TGZ, "down.tgz").await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let done = harness.wait_final(run.id, LIMIT).await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    stop_reaper.cancel();
    scenario.teardown();

    assert_eq!(done.status, RunStatus::Failed);
    assert_eq!(done.retry_count, 3);
    let message = done.error_message.clone().unwrap();
    assert!(message.starts_with("Failed after 3 retries: "), "{message}");
    assert!(message.contains("injected fault"), "{message}");
    assert!(
        done.error_traceback.clone().unwrap().contains("caused by"),
        "traceback keeps the chain"
    );
    assert_eq!(
        done.metrics.unwrap().error_type.as_deref(),
        Some("transient_exhausted")
    );
    assert_eq!((stats.retried, stats.failed), (3, 1));
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_move_last_heartbeat_while_a_task_works() {
    let _turn = TURN.lock().await;
    let scenario = fail::FailScenario::setup();
    // Each archive entry takes 100 ms: the run lasts about 1.5 s, many heartbeats.
    fail::cfg("ingest.slow_entry", "return(100)").unwrap();
    let harness = Harness::new().await;
    let (run, _) = harness.submit(EXAMPLE_TGZ, "slow.tgz").await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let parsing = harness
        .wait_for(run.id, LIMIT, |run| run.status == RunStatus::Parsing)
        .await;
    let first_beat = parsing.last_heartbeat;
    let later = harness
        .wait_for(run.id, LIMIT, |run| {
            run.status == RunStatus::Parsing && run.last_heartbeat > first_beat
        })
        .await;
    let done = harness.wait_final(run.id, LIMIT).await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    scenario.teardown();

    assert!(
        later.last_heartbeat > first_beat,
        "{:?} > {:?}",
        later.last_heartbeat,
        first_beat
    );
    assert_eq!(done.status, RunStatus::Complete);
    assert_eq!(
        harness.broker.stats(&harness.queue).await.unwrap().expired,
        0
    );
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_final_failure_that_cannot_be_recorded_runs_again_until_it_is() {
    let _turn = TURN.lock().await;
    let scenario = fail::FailScenario::setup();
    fail::cfg("ingest.record_failure", "1*return->off").unwrap();
    let harness = Harness::new().await;
    let stop_reaper = harness.start_reaper();
    let (run, _) = harness.submit(b"not an archive at all", "broken.tgz").await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let done = harness.wait_final(run.id, LIMIT).await;
    let depths = harness.wait_stats(LIMIT, |s| s.dead == 1).await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    stop_reaper.cancel();
    scenario.teardown();

    assert_eq!(done.status, RunStatus::Failed, "{done:?}");
    assert!(done.error_message.unwrap().starts_with("Permanent error: "));
    assert_eq!(
        (stats.retried, stats.failed),
        (1, 1),
        "one extra run to record the verdict"
    );
    assert_eq!(depths.pending + depths.processing + depths.delayed, 0);
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_mid_ingestion_puts_the_run_back_to_stored() {
    let _turn = TURN.lock().await;
    let scenario = fail::FailScenario::setup();
    fail::cfg("ingest.slow_entry", "return(300)").unwrap();
    let harness = Harness::new().await;
    let (run, _) = harness.submit(EXAMPLE_TGZ, "slow.tgz").await;
    let mut config = harness.worker_config();
    config.shutdown_grace = Duration::from_millis(100);
    let (shutdown, worker) = harness.start_worker(config).await;
    harness
        .wait_for(run.id, LIMIT, |run| run.status == RunStatus::Parsing)
        .await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    scenario.teardown();

    assert_eq!(stats.released, 1);
    let after = harness.store.run(run.id).await.unwrap().unwrap();
    assert_eq!(
        after.status,
        RunStatus::Stored,
        "no run shows parsing with no worker behind it"
    );
    let depths = harness.broker.stats(&harness.queue).await.unwrap();
    assert_eq!((depths.pending, depths.processing), (1, 0));
    harness.cleanup().await;
}
