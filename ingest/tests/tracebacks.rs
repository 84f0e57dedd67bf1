//! Error chains say each cause once: the `error_traceback` a real failure stores (a corrupt
//! archive, a storage object that vanished, a database that does not answer) and the errors of
//! every crate (a message never repeats its `#[source]`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::error::Error as StdError;
use std::time::Duration;

use broker::{BrokerConfig, BrokerError, Envelope};
use common::{EXAMPLE_TGZ, Harness};
use entity::store::{RunStatus, Store};
use entity::{StorageError, StoreError};
use ingest::parse_upload::IngestError;
use splunk::archive::ArchiveError;
use worker::{TaskFailure, WorkerError};

const LIMIT: Duration = Duration::from_secs(30);

/// The lines of a traceback, without their `caused by: ` prefix.
fn lines(traceback: &str) -> Vec<&str> {
    traceback
        .lines()
        .map(|line| line.strip_prefix("caused by: ").unwrap_or(line))
        .collect()
}

/// No line repeats a later one (the bug: `outer: inner` followed by `inner`).
fn assert_each_cause_once(traceback: &str) {
    let lines = lines(traceback);
    for (i, line) in lines.iter().enumerate() {
        assert!(!line.is_empty(), "empty line in {traceback:?}");
        for later in &lines[i + 1..] {
            assert!(
                !line.contains(later),
                "{line:?} repeats its cause {later:?} in\n{traceback}"
            );
        }
    }
}

/// A run's stored error: each cause once, and the one-line message is the whole chain.
fn assert_stored_error(run: &entity::store::Run, prefix: &str) {
    let traceback = run.error_traceback.clone().expect("a traceback");
    assert_each_cause_once(&traceback);
    assert!(lines(&traceback).len() >= 2, "a chain: {traceback}");
    assert_eq!(
        run.error_message.as_deref(),
        Some(format!("{prefix}{}", lines(&traceback).join(": ")).as_str()),
        "the message names every cause, once"
    );
}

/// Runs a worker until run `id` fails for good, and checks its stored error.
async fn process(harness: &Harness, id: entity::store::RunId) -> entity::store::Run {
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let done = harness.wait_final(id, LIMIT).await;
    shutdown.graceful.cancel();
    worker.await.unwrap();
    assert_eq!(done.status, RunStatus::Failed);
    assert_stored_error(&done, "Permanent error: ");
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_archive_traceback_names_each_cause_once() {
    let harness = Harness::new().await;
    let truncated = &EXAMPLE_TGZ[..EXAMPLE_TGZ.len() / 3];
    let (run, _) = harness.submit(truncated, "truncated.tgz").await;
    let done = process(&harness, run.id).await;
    assert!(
        done.error_message
            .unwrap()
            .starts_with("Permanent error: archive"),
        "the chaos suite's hostile archives expect this prefix"
    );
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_storage_object_traceback_names_each_cause_once() {
    let harness = Harness::new().await;
    // Queued, then its object vanishes before any worker runs.
    let (run, _) = harness.submit(EXAMPLE_TGZ, "gone.tgz").await;
    harness.storage.delete(&run.object_key).await.unwrap();
    let done = process(&harness, run.id).await;
    let message = done.error_message.unwrap();
    assert!(
        message.starts_with("Permanent error: storage retrieval failed: object "),
        "{message}"
    );
    harness.cleanup().await;
}

#[tokio::test]
async fn a_database_outage_traceback_names_each_cause_once_without_secrets() {
    let error = Store::connect("postgres://confq:s3cret@127.0.0.1:1/confq?password=s3cret")
        .await
        .expect_err("nothing listens on port 1");
    let failure = TaskFailure::transient(&IngestError::from(error));
    assert_each_cause_once(&failure.traceback);
    assert_eq!(failure.message, lines(&failure.traceback).join(": "));
    assert!(
        failure
            .message
            .starts_with("database error while trying to connect: "),
        "{}",
        failure.message
    );
    assert!(!format!("{failure:?}").contains("s3cret"), "{failure:?}");
}

/// Real errors of every library crate, and the worker's wrappers around them.
async fn representatives() -> Vec<Box<dyn StdError + Send + Sync>> {
    let unreachable = broker::Broker::connect(BrokerConfig {
        redis_url: "redis://u:hunter2@127.0.0.1:1".into(),
        ..BrokerConfig::default()
    })
    .await
    .expect_err("nothing listens on port 1");
    let client = redis::Client::open(common::runtime::redis_url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let refused: redis::RedisError = redis::cmd("NO-SUCH-COMMAND")
        .query_async::<()>(&mut connection)
        .await
        .expect_err("unknown command");
    let not_json = || Envelope::parse("nope").expect_err("not JSON");
    let database = || StoreError::Db {
        action: "read a run",
        source: sea_orm::DbErr::Custom("the database went away".into()),
    };
    let storage_read = {
        let dir = tempfile::tempdir().unwrap();
        let storage =
            entity::Storage::from_url(&format!("file://{}", dir.path().display())).unwrap();
        storage
            .put_stream(FailingReader, u64::MAX)
            .await
            .expect_err("the reader fails")
    };
    assert!(matches!(storage_read, StorageError::Read { .. }));
    let corrupt = || ArchiveError::Corrupt {
        entry: "app/default/props.conf".into(),
        source: std::io::Error::other("invalid deflate stream"),
    };
    let join = tokio::spawn(async { panic!("parser died") })
        .await
        .expect_err("a panic");
    vec![
        Box::new(unreachable),
        Box::new(BrokerError::from(refused)),
        Box::new(not_json()),
        Box::new(database()),
        Box::new(StoreError::MigrationLock {
            path: "/tmp/confq.db.migrate.lock".into(),
            source: std::io::Error::other("read-only file system"),
        }),
        Box::new(storage_read),
        Box::new(corrupt()),
        Box::new(ArchiveError::Io(std::io::Error::other("connection reset"))),
        Box::new(WorkerError::Broker(BrokerError::Envelope(not_json()))),
        Box::new(IngestError::from(database())),
        Box::new(IngestError::from(corrupt())),
        Box::new(IngestError::Parser(join)),
    ]
}

#[tokio::test]
async fn errors_of_every_crate_never_repeat_their_source_in_their_message() {
    for error in representatives().await {
        let mut current: &(dyn StdError + 'static) = error.as_ref();
        // Library errors outside confq (redis, sqlx, object_store) may repeat theirs: the
        // renderer cuts those, checked below on the whole traceback.
        while is_ours(current)
            && let Some(source) = current.source()
        {
            let (text, cause) = (current.to_string(), source.to_string());
            assert!(
                !text.contains(&cause),
                "{text:?} repeats its source {cause:?} ({current:?})"
            );
            current = source;
        }
        let traceback = TaskFailure::permanent(error.as_ref()).traceback;
        assert_each_cause_once(&traceback);
        assert!(!traceback.contains("hunter2"), "{traceback}");
    }
}

/// Whether `error` is one of confq's own error types.
fn is_ours(error: &(dyn StdError + 'static)) -> bool {
    error.is::<BrokerError>()
        || error.is::<broker::EnvelopeError>()
        || error.is::<StoreError>()
        || error.is::<StorageError>()
        || error.is::<ArchiveError>()
        || error.is::<WorkerError>()
        || error.is::<IngestError>()
}

/// A reader whose first read fails, as a dropped client connection does.
struct FailingReader;

impl tokio::io::AsyncRead for FailingReader {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        _: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Err(std::io::Error::other("client went away")))
    }
}
