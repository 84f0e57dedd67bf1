//! Retry accounting against the seed's "Error Flow Examples": the retry number in each message,
//! the count a run ends with (by transient failures, lease expiries, or a verdict the database
//! refused once), the metrics of every terminal status, and which attempt's error a run shows.
//! Real Redis, real SQLite, real worker and reaper; faults come from fail points, which are
//! process-wide, so these tests take turns.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Mutex as StdMutex;
use std::time::Duration;

use common::{EXAMPLE_FILES, EXAMPLE_STANZAS, EXAMPLE_TGZ, Harness};
use entity::store::{Run, RunStatus};
use tokio::sync::Mutex;
use worker::retry::{RetryPolicy, UNRECORDED_VERDICTS};

static TURN: Mutex<()> = Mutex::const_new(());
const LIMIT: Duration = Duration::from_secs(40);
const EXPIRED: &str = "lease expired: the worker stopped renewing it (timeout)";

/// `completed_at - started_at` of a finished run, in seconds.
fn wall_clock(run: &Run) -> f64 {
    let span = run.completed_at.unwrap() - run.started_at.unwrap();
    span.num_microseconds().unwrap() as f64 / 1e6
}

/// `message` with the text of an injected database fault (whose wording belongs to the store's
/// error type) replaced by `<injected fault>`.
fn without_fault_text(message: &str) -> String {
    match message.split_once("): ") {
        Some((head, tail)) if tail.contains("injected fault") => {
            format!("{head}): <injected fault>")
        }
        _ => message.to_owned(),
    }
}

/// With the fail points of `faults` set, submits `bytes` whose envelope claims `attempt` earlier
/// deliveries, runs a worker and the reaper until the run is final, and returns it.
async fn run_to_the_end(
    faults: &[(&str, &str)],
    bytes: &[u8],
    attempt: u32,
    retry: Option<RetryPolicy>,
) -> (Harness, Run, worker::RunnerStats) {
    let _turn = TURN.lock().await;
    let scenario = fail::FailScenario::setup();
    for (point, actions) in faults {
        fail::cfg(*point, actions).unwrap();
    }
    let harness = Harness::new().await;
    let (run, mut envelope) = harness.stage(bytes, "accounting.tgz").await;
    envelope.attempt = attempt;
    harness.push(&envelope).await;
    let stop_reaper = harness.start_reaper();
    let mut config = harness.worker_config();
    if let Some(retry) = retry {
        config.retry = retry;
    }
    let (shutdown, worker) = harness.start_worker(config).await;
    let done = harness.wait_final(run.id, LIMIT).await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    stop_reaper.cancel();
    scenario.teardown();
    (harness, done, stats)
}

// Item: a timeout on the last retry ends exactly like the transient path (retry_count 3,
// "Failed after 3 retries", error_type timeout), shows the expiry's own traceback, and its
// metrics hold the time since the first start and what the attempt had stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_timeout_on_the_fourth_delivery_fails_after_3_retries() {
    // The fourth delivery (three retries before it; the default budget is 3) writes its
    // results, then stalls past its lease.
    let (harness, done, _) = run_to_the_end(
        &[("ingest.before_complete", "1*return(4500)->off")],
        EXAMPLE_TGZ,
        3,
        None,
    )
    .await;

    assert_eq!(done.status, RunStatus::Failed, "{done:?}");
    assert_eq!(done.retry_count, 3, "{done:?}");
    let message = format!("Failed after 3 retries: {EXPIRED}");
    assert_eq!(done.error_message.as_deref(), Some(message.as_str()));
    assert_eq!(
        done.error_traceback.as_deref(),
        Some(message.as_str()),
        "the expiry's own traceback"
    );
    let metrics = done.metrics.clone().unwrap();
    assert_eq!(metrics.error_type.as_deref(), Some("timeout"));
    assert_eq!(metrics.retry_count, 3);
    assert_eq!(
        (metrics.files_parsed, metrics.stanzas_created),
        (EXAMPLE_FILES, EXAMPLE_STANZAS),
        "what the attempt stored before its lease ran out"
    );
    assert!(metrics.duration_seconds > 0.0, "{metrics:?}");
    assert!(
        (metrics.duration_seconds - wall_clock(&done)).abs() < 1e-5,
        "{metrics:?} vs {done:?}"
    );
    let dead = harness.dead_letters().await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    harness.cleanup().await;
}

// Items: the retry number of each message is the retry_count of the attempt that failed, and a
// mixed history (transient, timeout, transient, timeout) ends as the seed's exhaustion does.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transient_timeout_transient_timeout_ends_failed_after_3_retries() {
    let _turn = TURN.lock().await;
    let scenario = fail::FailScenario::setup();
    // Deliveries 0 and 2 fail at once; 1 and 3 stall past their lease.
    fail::cfg(
        "ingest.before_read",
        "1*return->1*return(4500)->1*return->1*return(4500)->off",
    )
    .unwrap();
    // Delivery 2 starts half a second late, so the expiry's message is there to be seen.
    fail::cfg(
        "ingest.before_begin_attempt",
        "1*off->1*off->1*return(500)->off",
    )
    .unwrap();
    let harness = Harness::new().await;
    let (run, _) = harness.submit(EXAMPLE_TGZ, "mixed.tgz").await;
    let stop_reaper = harness.start_reaper();
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    // Every distinct (status, retry_count, error_message) the run shows on the way.
    let seen: StdMutex<Vec<(RunStatus, i32, String)>> = StdMutex::default();
    let done = harness
        .wait_for(run.id, LIMIT, |current| {
            let shown = (
                current.status,
                current.retry_count,
                current.error_message.clone().unwrap_or_default(),
            );
            let mut seen = seen.lock().unwrap();
            if seen.last() != Some(&shown) {
                seen.push(shown);
            }
            matches!(current.status, RunStatus::Failed | RunStatus::Complete)
        })
        .await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    stop_reaper.cancel();
    scenario.teardown();

    let expected = [
        (1, "Transient error (retry 0): <injected fault>".to_owned()),
        (2, format!("Transient error (retry 1): {EXPIRED}")),
        (3, "Transient error (retry 2): <injected fault>".to_owned()),
        (3, format!("Failed after 3 retries: {EXPIRED}")),
    ];
    let retried: Vec<(i32, String)> = seen
        .into_inner()
        .unwrap()
        .into_iter()
        .filter(|(status, _, _)| matches!(status, RunStatus::Retrying | RunStatus::Failed))
        .map(|(_, retries, message)| (retries, without_fault_text(&message)))
        .collect();
    assert_eq!(retried, expected, "the run's error history");
    assert_eq!(done.retry_count, 3);
    assert_eq!(
        done.error_traceback, done.error_message,
        "the last attempt's traceback, not the transient failure's chain"
    );
    let metrics = done.metrics.unwrap();
    assert_eq!(
        (metrics.retry_count, metrics.error_type.as_deref()),
        (3, Some("timeout"))
    );
    harness.cleanup().await;
}

// Item: a final verdict the database refused once runs again, and that run is not a retry: the
// exhausted run still reads "Failed after 3 retries" with retry_count 3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unrecorded_exhaustion_verdict_still_counts_3_retries() {
    let (harness, done, stats) = run_to_the_end(
        &[
            ("ingest.before_read", "return"),
            ("ingest.record_failure", "1*return->off"),
        ],
        EXAMPLE_TGZ,
        0,
        None,
    )
    .await;

    assert_eq!(done.status, RunStatus::Failed, "{done:?}");
    assert_eq!(done.retry_count, 3, "{done:?}");
    let message = done.error_message.clone().unwrap();
    assert!(message.starts_with("Failed after 3 retries: "), "{message}");
    let metrics = done.metrics.unwrap();
    assert_eq!(
        (metrics.retry_count, metrics.error_type.as_deref()),
        (3, Some("transient_exhausted"))
    );
    assert_eq!(
        (stats.retried, stats.failed),
        (4, 1),
        "three retries and one run to record the verdict"
    );
    let dead = harness.dead_letters().await;
    let envelope: serde_json::Value = serde_json::from_str(&dead[0].raw).unwrap();
    assert_eq!(
        (&envelope["attempt"], &envelope[UNRECORDED_VERDICTS]),
        (&serde_json::json!(4), &serde_json::json!(1))
    );
    harness.cleanup().await;
}

// Item: the same for a permanent failure, which is never retried: retry_count stays 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unrecorded_permanent_verdict_counts_no_retry() {
    let (harness, done, stats) = run_to_the_end(
        &[("ingest.record_failure", "1*return->off")],
        b"not an archive at all",
        0,
        None,
    )
    .await;

    assert_eq!(done.status, RunStatus::Failed, "{done:?}");
    assert!(done.error_message.unwrap().starts_with("Permanent error: "));
    assert_eq!(done.retry_count, 0, "a permanent error is not retried");
    let metrics = done.metrics.unwrap();
    assert_eq!(
        (metrics.retry_count, metrics.error_type.as_deref()),
        (0, Some("permanent"))
    );
    assert_eq!((stats.retried, stats.failed), (1, 1));
    harness.cleanup().await;
}

// Item: a run that exhausts its retries reports the real time it took, from its first start
// across all attempts and backoffs, and the files and stanzas it reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_run_reports_its_whole_duration_and_what_it_reached() {
    // Every attempt parses and writes, then fails transiently.
    let (harness, done, _) = run_to_the_end(
        &[("ingest.before_complete", "return")],
        EXAMPLE_TGZ,
        0,
        None,
    )
    .await;

    assert_eq!(done.status, RunStatus::Failed, "{done:?}");
    let metrics = done.metrics.clone().unwrap();
    assert_eq!(metrics.error_type.as_deref(), Some("transient_exhausted"));
    assert_eq!(
        (metrics.files_parsed, metrics.stanzas_created),
        (EXAMPLE_FILES, EXAMPLE_STANZAS)
    );
    // The last attempt got through reading, parsing and writing before it failed.
    assert!(
        metrics.read_seconds.is_some()
            && metrics.parse_seconds.is_some()
            && metrics.write_seconds.is_some(),
        "{metrics:?}"
    );
    // The backoffs alone (50 + 100 + 150 ms) lie between the first start and the end.
    assert!(metrics.duration_seconds >= 0.3, "{metrics:?}");
    assert!(
        metrics.duration_seconds <= wall_clock(&done),
        "{metrics:?} vs {done:?}"
    );
    harness.cleanup().await;
}

// Item: a run that completes after retries reports the time from its first start, not only
// its last attempt's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_completed_after_retries_reports_the_time_since_its_first_start() {
    let mut retry = RetryPolicy::from_settings(3, vec![Duration::from_secs(1)]);
    retry.jitter = 0.0;
    let (harness, done, _) = run_to_the_end(
        &[("ingest.before_read", "2*return->off")],
        EXAMPLE_TGZ,
        0,
        Some(retry),
    )
    .await;

    assert_eq!(done.status, RunStatus::Complete, "{done:?}");
    assert_eq!(done.retry_count, 2);
    let metrics = done.metrics.clone().unwrap();
    assert_eq!(metrics.retry_count, 2);
    // Two backoffs of 1 s each lie between the first start and the end.
    assert!(metrics.duration_seconds >= 2.0, "{metrics:?}");
    assert!(
        metrics.duration_seconds <= wall_clock(&done),
        "{metrics:?} vs {done:?}"
    );
    // The last attempt's phases: each recorded, together less than the whole duration.
    let phases = [
        metrics.read_seconds,
        metrics.parse_seconds,
        metrics.write_seconds,
    ];
    assert!(
        phases.iter().all(|phase| phase.is_some_and(|s| s > 0.0)),
        "{metrics:?}"
    );
    let spent: f64 = phases.iter().flatten().sum();
    assert!(spent < metrics.duration_seconds - 2.0, "{metrics:?}");
    assert_eq!(
        done.error_message.as_deref().map(without_fault_text),
        Some("Transient error (retry 1): <injected fault>".to_owned()),
        "a completed run still shows why it last retried"
    );
    harness.cleanup().await;
}
