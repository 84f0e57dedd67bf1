//! The search index is built after completion, by the same delivery: a delivery that completes
//! the run but stops before indexing (an injected fault: a crash or an outage there) leaves the
//! run complete and unsearchable; its redelivery indexes it, once, on SQLite and PostgreSQL.
//! Fail points are process-wide, so these tests take turns.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{EXAMPLE_TGZ, Harness};
use entity::store::{Indexed, Page, RunId, RunStatus, SettingFilter};
use sea_orm::ConnectionTrait;
use tokio::sync::Mutex;

static TURN: Mutex<()> = Mutex::const_new(());
const LIMIT: Duration = Duration::from_secs(20);

/// How many settings of `run` a search finds.
async fn found_in(harness: &Harness, run: RunId) -> usize {
    let in_run = SettingFilter {
        run: Some(run),
        ..SettingFilter::default()
    };
    let page = Page {
        limit: 1000,
        after: None,
    };
    let found = harness.store.search_settings(&in_run, page).await;
    found.expect("search").items.len()
}

async fn a_redelivery_indexes_a_complete_run_once(harness: Harness) {
    let _turn = TURN.lock().await;
    let scenario = fail::FailScenario::setup();
    fail::cfg("ingest.before_index", "1*return->off").unwrap();
    let stop_reaper = harness.start_reaper();
    let (run, _) = harness.submit(EXAMPLE_TGZ, "later.tgz").await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let done = harness
        .wait_for(run.id, LIMIT, |r| r.settings_indexed_at.is_some())
        .await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();
    stop_reaper.cancel();
    scenario.teardown();

    // The first delivery completed the run and failed before indexing; the retry indexed it
    // and left the complete run's row as it was.
    assert_eq!(done.status, RunStatus::Complete, "{done:?}");
    assert_eq!(done.retry_count, 0, "{done:?}");
    assert_eq!(stats.retried, 1);
    let stanzas = harness.store.view_stanzas(run.id, None).await.unwrap();
    let settings: usize = stanzas.iter().map(|s| s.settings.len()).sum();
    assert!(settings > 0);
    assert_eq!(found_in(&harness, run.id).await, settings);
    // Indexing again (another redelivery) writes nothing: no duplicates.
    let again = harness.store.index_settings(run.id).await.unwrap();
    assert_eq!(again, Indexed::Already);
    assert_eq!(found_in(&harness, run.id).await, settings);
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivery_indexes_a_complete_run_once_on_sqlite() {
    a_redelivery_indexes_a_complete_run_once(Harness::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs CONFQ_TEST_POSTGRES_URL; .ci/run runs it (-- --ignored)"]
async fn a_redelivery_indexes_a_complete_run_once_on_postgres() {
    let url = testenv::need(testenv::deps::postgres_url());
    let name = format!("confq_index_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(&url).await.expect("postgres");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a database");
    let (server, _) = url.rsplit_once('/').expect("a database in the URL");
    let harness = Harness::with_database(Some(format!("{server}/{name}"))).await;
    a_redelivery_indexes_a_complete_run_once(harness).await;
    let drop = format!("DROP DATABASE {name} WITH (FORCE)");
    admin.execute_unprepared(&drop).await.expect("drop");
}
