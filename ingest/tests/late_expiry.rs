//! A lease expiry the reaper records on the run after a worker has read the run (the reaper moves
//! the task in Redis first, then writes the database) must still show in the completed run's
//! metrics: `metrics.retry_count` equals `retry_count`. Found by the zombie chaos suite.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use common::{EXAMPLE_STANZAS, EXAMPLE_TGZ, Harness};
use entity::store::RunStatus;

// The fail point blocks its thread: 4 threads keep heartbeats and the reaper running.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expiry_recorded_after_the_run_was_read_shows_in_the_completed_metrics() {
    let scenario = fail::FailScenario::setup();
    // The first time the worker reaches the fail point it says so and waits for the test.
    let (reached, at_fail_point) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let (first, released) = (AtomicBool::new(true), Mutex::new(released));
    fail::cfg_callback("ingest.before_begin_attempt", move || {
        if first.swap(false, Ordering::SeqCst) {
            reached.send(()).expect("the test listens");
            let _ = released
                .lock()
                .expect("release")
                .recv_timeout(testenv::wait::LONG);
        }
    })
    .unwrap();
    let harness = Harness::new().await;
    let (run, _) = harness.submit(EXAMPLE_TGZ, "late-expiry.tgz").await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;

    // The worker has read the run (retry_count 0) and waits at the fail point; the reaper's
    // record of an earlier expiry lands now.
    tokio::task::spawn_blocking(move || at_fail_point.recv_timeout(testenv::wait::LONG))
        .await
        .unwrap()
        .expect("the worker reaches ingest.before_begin_attempt");
    let recorded = harness
        .store
        .expire_attempt(
            run.id,
            0,
            1,
            false,
            "Transient error (retry 1): lease expired",
        )
        .await
        .unwrap();
    assert!(recorded);
    release.send(()).unwrap();

    let done = harness.wait_final(run.id, Duration::from_secs(20)).await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    scenario.teardown();

    assert_eq!(done.status, RunStatus::Complete, "{done:?}");
    assert_eq!(done.retry_count, 1);
    let metrics = done.metrics.as_ref().unwrap();
    assert_eq!(metrics.retry_count, 1, "metrics agree with the row");
    assert_eq!(metrics.stanzas_created, EXAMPLE_STANZAS);
    harness.cleanup().await;
}
