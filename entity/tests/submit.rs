//! `Intake::submit`, the flow behind `POST /v1/uploads` and `confq ingest`: the run is created
//! `stored` with a task id, and `ingest.parse_upload {"run_id"}` under that id is on the queue.

mod common;

use broker::keys::{self, QueueKeys};
use broker::{Broker, BrokerConfig, QueueName};
use entity::store::{Run, RunSource, RunStatus};
use entity::submit::{Intake, Submission, SubmitError};
use entity::{Storage, Store};
use serde_json::{Value, json};

fn redis_url() -> String {
    std::env::var("CONFQ_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A broker on the shared Redis under a prefix no other test uses.
async fn broker() -> Broker {
    let config = BrokerConfig {
        redis_url: redis_url(),
        key_prefix: testenv::redis::prefix("test"),
        ..BrokerConfig::default()
    };
    Broker::connect(config).await.expect("the test Redis")
}

/// The raw elements of `queue`'s pending list, then every key of the queue deleted.
async fn drain(broker: &Broker, queue: &QueueName) -> Vec<Value> {
    let prefix = &broker.config().key_prefix;
    let client = redis::Client::open(redis_url()).expect("redis url");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let keys = QueueKeys::new(prefix, queue);
    let raw: Vec<String> = redis::cmd("LRANGE")
        .arg(&keys.pending)
        .arg(0)
        .arg(-1)
        .query_async(&mut con)
        .await
        .expect("LRANGE");
    let all = [
        keys.pending,
        keys.processing,
        keys.leases,
        keys.tokens,
        keys.unleased,
        keys.delayed,
        keys.dead,
        keys.stats,
        keys::queues(prefix),
    ];
    let _: () = redis::cmd("DEL")
        .arg(&all)
        .query_async(&mut con)
        .await
        .expect("DEL");
    raw.iter()
        .map(|element| serde_json::from_str(element).expect("an envelope"))
        .collect()
}

fn storage(dir: &tempfile::TempDir) -> Storage {
    Storage::from_url(&format!("file://{}/uploads", dir.path().display())).expect("storage")
}

/// Stores an archive in `storage` and submits it; returns its key and what `submit` said.
async fn store_and_submit(
    store: &Store,
    storage: &Storage,
    broker: &Broker,
    queue: &QueueName,
) -> (String, Result<Run, SubmitError>) {
    let object = storage
        .put_stream(&b"archive"[..], 1024)
        .await
        .expect("put");
    let key = object.key.clone();
    let producer = broker.producer();
    let intake = Intake {
        store,
        storage,
        producer: &producer,
        queue,
    };
    let submission = Submission {
        filename: "apps.tgz".to_owned(),
        object,
        source: RunSource::Cli,
    };
    (key, intake.submit(submission).await)
}

#[tokio::test]
async fn submit_creates_a_stored_run_and_enqueues_its_typed_task() {
    let broker = broker().await;
    let queue = protocol::default_queue();
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = storage(&dir);
    for db in common::backends().await {
        let (_, submitted) = store_and_submit(&db.store, &storage, &broker, &queue).await;
        let run = submitted.expect("submitted");
        assert_eq!(run.status, RunStatus::Stored, "{}", db.name);
        let task_id = run.task_id.expect("a task id").to_string();
        let pending = drain(&broker, &queue).await;
        assert_eq!(pending.len(), 1, "{}", db.name);
        assert_eq!(pending[0]["task"], "ingest.parse_upload");
        assert_eq!(pending[0]["id"], json!(task_id));
        assert_eq!(pending[0]["args"], json!({"run_id": run.id.0}));
    }
}

#[tokio::test]
async fn a_run_that_cannot_be_created_leaves_no_archive_and_no_task() {
    let broker = broker().await;
    let queue = protocol::default_queue();
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = storage(&dir);
    // Not migrated: there is no table to insert the run into.
    let db = common::sqlite().await;
    let (key, submitted) = store_and_submit(&db.store, &storage, &broker, &queue).await;
    let error = submitted.expect_err("no runs table");
    assert!(matches!(error, SubmitError::CreateRun(_)), "{error:?}");
    assert!(!storage.exists(&key).await.expect("exists"), "archive kept");
    assert!(
        drain(&broker, &queue).await.is_empty(),
        "a task was enqueued"
    );
}
