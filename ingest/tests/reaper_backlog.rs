//! A lease expiry the reaper could not record on its run (the database failed at that moment) is
//! kept and recorded on a later tick: the run's retry count still shows the timeout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{EXAMPLE_STANZAS, EXAMPLE_TGZ, Harness};
use entity::store::RunStatus;

// The fail points' pauses (`return(MS)`) wait on tokio's clock and block no thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expiry_the_database_refused_once_is_recorded_on_a_later_tick() {
    let scenario = fail::FailScenario::setup();
    // The first attempt stalls 4.5 s without progress before reading: its last renewal (1.4 s in) runs out at 2.9 s.
    fail::cfg("ingest.before_read", "1*return(4500)->off").unwrap();
    // The reaper's first attempt to record that expiry fails.
    fail::cfg("reaper.record_expiry", "1*return->off").unwrap();
    // The redelivery waits 0.8 s (well within its 1.5 s lease) before it begins, so the
    // reaper's retried record (100 ms ticks) lands first rather than being made moot by the begin.
    fail::cfg("ingest.before_begin_attempt", "1*off->1*return(800)->off").unwrap();
    let harness = Harness::new().await;
    let stop_reaper = harness.start_reaper();
    let (run, _) = harness.submit(EXAMPLE_TGZ, "stalled.tgz").await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let done = harness.wait_final(run.id, Duration::from_secs(30)).await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    stop_reaper.cancel();
    scenario.teardown();

    assert_eq!(done.status, RunStatus::Complete, "{done:?}");
    assert_eq!(done.retry_count, 1, "{done:?}");
    // Three fence moves: the first attempt, the recorded expiry, the redelivery. A dropped record
    // leaves two (and lets the stalled attempt finish with retry_count 0).
    assert_eq!(
        done.attempt, 3,
        "the expiry was recorded despite the refused first write: {done:?}"
    );
    let metrics = done.metrics.unwrap();
    assert_eq!(metrics.retry_count, 1);
    assert_eq!(metrics.stanzas_created, EXAMPLE_STANZAS);
    assert_eq!(
        harness.broker.stats(&harness.queue).await.unwrap().expired,
        1
    );
    harness.cleanup().await;
}
