//! `ingest.parse_upload` end to end through a real worker, Redis and SQLite (PostgreSQL too when
//! `CONFQ_TEST_POSTGRES_URL` is set): happy paths, permanent failures, idempotent re-delivery,
//! heartbeats and graceful release.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{EXAMPLE_FILES, EXAMPLE_STANZAS, EXAMPLE_TGZ, EXAMPLE_ZIP, Harness};
use entity::store::{Page, RunStatus, StanzaFilter};

const LIMIT: Duration = Duration::from_secs(20);

async fn all_stanzas(
    harness: &Harness,
    run: entity::store::RunId,
) -> Vec<entity::store::StanzaRow> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = harness
            .store
            .list_stanzas(
                run,
                StanzaFilter::default(),
                Page {
                    limit: 1000,
                    after: after.clone(),
                },
            )
            .await
            .expect("stanzas");
        out.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return out,
        }
    }
}

async fn happy_path(harness: Harness, archive: &[u8], name: &str) {
    let (run, _) = harness.submit(archive, name).await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let done = harness.wait_final(run.id, LIMIT).await;
    shutdown.graceful.cancel();
    worker.await.unwrap();

    assert_eq!(done.status, RunStatus::Complete, "{done:?}");
    let metrics = done.metrics.clone().expect("metrics");
    assert_eq!(metrics.files_parsed, EXAMPLE_FILES);
    assert_eq!(metrics.stanzas_created, EXAMPLE_STANZAS);
    assert_eq!(metrics.parse_errors, 0);
    assert_eq!(metrics.error_type, None);
    assert_eq!(done.retry_count, 0);
    assert!(done.started_at.is_some() && done.completed_at.is_some());

    let stanzas = all_stanzas(&harness, run.id).await;
    assert_eq!(i64::try_from(stanzas.len()).unwrap(), EXAMPLE_STANZAS);
    let empty_meta = stanzas
        .iter()
        .find(|s| {
            s.name.is_empty() && s.conf_type == "meta" && s.app.as_deref() == Some("acme_web_TA")
        })
        .expect("the [] stanza of default.meta");
    assert_eq!(empty_meta.layer, "metadata");
    assert_eq!(empty_meta.settings["export"], "system");
    let saved = stanzas
        .iter()
        .find(|s| s.name == "ACME - Server errors by host" && s.layer == "default")
        .expect("saved search");
    assert_eq!(
        saved.settings["search"],
        "index=web eventtype=acme_server_error \n| stats count by host \n| where count > 10"
    );
    let nested = stanzas
        .iter()
        .find(|s| s.name == "ACME - Daily logins [summary]");
    assert!(nested.is_some(), "header name runs to the last ]");
    let global = stanzas
        .iter()
        .find(|s| s.global)
        .expect("pre-header settings of bin/default.conf");
    assert_eq!(global.layer, "other");
    assert!(
        !stanzas.iter().any(|s| s.source_path.ends_with(".spec")),
        "spec files are not parsed"
    );
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_tgz_ingests_every_file_and_stanza() {
    happy_path(Harness::new().await, EXAMPLE_TGZ, "splunk-apps.tgz").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_zip_ingests_every_file_and_stanza() {
    happy_path(Harness::new().await, EXAMPLE_ZIP, "splunk-apps.zip").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs CONFQ_TEST_POSTGRES_URL; .ci/run runs it (-- --ignored)"]
async fn example_ingests_on_postgres_too() {
    let admin = testenv::need(testenv::deps::postgres_url());
    let database = testenv::db::Postgres::create(&admin).await;
    let harness = Harness::with_database(Some(database.url().to_owned())).await;
    happy_path(harness, EXAMPLE_TGZ, "splunk-apps.tgz").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_archive_fails_at_once_without_retry() {
    let harness = Harness::new().await;
    let mut broken = EXAMPLE_TGZ[..EXAMPLE_TGZ.len() / 2].to_vec();
    broken.extend_from_slice(b"garbage");
    let (run, envelope) = harness.submit(&broken, "broken.tgz").await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let done = harness.wait_final(run.id, LIMIT).await;
    shutdown.graceful.cancel();
    let stats = worker.await.unwrap();

    assert_eq!(done.status, RunStatus::Failed);
    assert_eq!(done.retry_count, 0);
    let message = done.error_message.clone().unwrap_or_default();
    assert!(message.starts_with("Permanent error: "), "{message}");
    assert_eq!(
        done.metrics.unwrap().error_type.as_deref(),
        Some("permanent")
    );
    assert_eq!(stats.retried, 0);
    let dead = harness
        .broker
        .dead_letters()
        .list(&harness.queue, None, 10)
        .await
        .unwrap()
        .items;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].task_id.as_ref(), Some(&envelope.id));
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_format_and_empty_archive_are_permanent() {
    let harness = Harness::new().await;
    let (not_archive, _) = harness
        .submit(b"just some text, not an archive", "notes.txt")
        .await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let done = harness.wait_final(not_archive.id, LIMIT).await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    assert_eq!(done.status, RunStatus::Failed);
    assert!(done.error_message.unwrap().starts_with("Permanent error: "));
    assert_eq!(done.retry_count, 0, "a permanent error is not retried");

    // A valid archive with nothing to ingest: missing required data, not a retry.
    let (empty, _) = harness.submit(&readme_only_tar().await, "docs.tar").await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let done = harness.wait_final(empty.id, LIMIT).await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    assert_eq!(done.status, RunStatus::Failed, "{done:?}");
    assert_eq!(
        done.error_message.as_deref(),
        Some("Permanent error: missing required data: the archive holds no .conf or .meta file")
    );
    assert_eq!(done.retry_count, 0);
    harness.cleanup().await;
}

/// A tar holding only `app/README.txt`.
async fn readme_only_tar() -> Vec<u8> {
    let mut builder = tokio_tar::Builder::new(Vec::new());
    let data = b"no configuration here\n";
    let mut header = tokio_tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    builder
        .append_data(&mut header, "app/README.txt", &data[..])
        .await
        .unwrap();
    builder.into_inner().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_envelope_delivered_twice_yields_one_set_of_stanzas() {
    let harness = Harness::new().await;
    let stop_reaper = harness.start_reaper();
    let (run, envelope) = harness.stage(EXAMPLE_TGZ, "twice.tgz").await;
    let producer = harness.broker.producer();
    // A producer that retried its LPUSH: the very same element twice.
    producer
        .enqueue_many(&harness.queue, &[envelope.clone(), envelope.clone()])
        .await
        .unwrap();
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    harness.wait_final(run.id, LIMIT).await;
    // Both copies leave the queue: one ingests, the other finds the run complete.
    harness
        .wait_stats(LIMIT, |s| s.pending + s.processing + s.delayed == 0)
        .await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    stop_reaper.cancel();
    let stanzas = all_stanzas(&harness, run.id).await;
    assert_eq!(i64::try_from(stanzas.len()).unwrap(), EXAMPLE_STANZAS);
    assert_eq!(harness.broker.stats(&harness.queue).await.unwrap().dead, 0);
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completed_run_redelivery_is_skipped() {
    let harness = Harness::new().await;
    let (run, envelope) = harness.submit(EXAMPLE_TGZ, "done.tgz").await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    // The first delivery ends after the run is complete (it indexes the settings next): the
    // redelivery is pushed once that delivery is acknowledged.
    let first = harness
        .wait_for(run.id, LIMIT, |r| r.settings_indexed_at.is_some())
        .await;
    harness
        .wait_stats(LIMIT, |s| {
            s.processed == 1 && s.pending + s.processing + s.delayed == 0
        })
        .await;
    harness.push(&envelope).await;
    // The redelivery is taken and acknowledged (not left in the queue)...
    harness
        .wait_stats(LIMIT, |s| {
            s.processed == 2 && s.pending + s.processing + s.delayed == 0
        })
        .await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    // ...and changed nothing.
    let again = harness.store.run(run.id).await.unwrap().unwrap();
    assert_eq!(again.status, RunStatus::Complete);
    assert_eq!(
        again.completed_at, first.completed_at,
        "the redelivery changed nothing"
    );
    assert_eq!(again.attempt, first.attempt, "no new attempt began");
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_run_is_a_permanent_failure() {
    let harness = Harness::new().await;
    let envelope = broker::Envelope::new(
        protocol::PARSE_UPLOAD,
        serde_json::json!({"run_id": 999_999})
            .as_object()
            .unwrap()
            .clone(),
    );
    harness.push(&envelope).await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    harness.wait_stats(LIMIT, |s| s.dead == 1).await;
    let dead = harness.dead_letters().await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    assert!(
        dead[0].reason.contains("run 999999 does not exist"),
        "{}",
        dead[0].reason
    );
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_form_creates_the_run_once_per_task() {
    let harness = Harness::new().await;
    let stored = harness
        .storage
        .put_stream(EXAMPLE_TGZ, u64::MAX)
        .await
        .unwrap();
    let args = serde_json::json!({"object": stored.key, "filename": "external.tgz"});
    let envelope = broker::Envelope::new(protocol::PARSE_UPLOAD, args.as_object().unwrap().clone());
    harness
        .broker
        .producer()
        .enqueue_many(&harness.queue, &[envelope.clone(), envelope.clone()])
        .await
        .unwrap();
    // Two elements with one task id share one lease: the copy whose ack comes second is an orphan
    // until the reaper gives it back, so the reaper runs here as in a deployment.
    let stop_reaper = harness.start_reaper();
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    // Both deliveries processed (acknowledged, none dead or waiting): only then is there nothing
    // left that could create a second run.
    let stats = harness
        .wait_stats(LIMIT, |s| {
            s.processed + s.dead == 2 && s.pending + s.processing + s.delayed == 0
        })
        .await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    stop_reaper.cancel();
    assert_eq!(stats.processed, 2, "both deliveries succeed: {stats:?}");
    let run = harness
        .store
        .run_by_task(envelope.id.0)
        .await
        .unwrap()
        .expect("the task's run");
    assert_eq!(run.status, RunStatus::Complete);
    let runs = harness
        .store
        .list_runs(
            Default::default(),
            Page {
                limit: 10,
                after: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(runs.items.len(), 1, "one run for the task id");
    harness.cleanup().await;
}
