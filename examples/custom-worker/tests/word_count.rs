//! Starts the `custom-worker` binary against Redis under its own key prefix, enqueues to it
//! through the broker's producer and as a raw JSON envelope (any language's way), and checks its
//! result log, the dead letters of the deliveries that fail (invalid arguments, bad input, a
//! built-in `confq.fail`), and a retry by its own retry policy and in-process reaper.

use std::process::Stdio;
use std::time::Duration;

use broker::keys::QueueKeys;
use broker::{Broker, BrokerConfig, DeadLetter, Envelope, QueueName};
use custom_worker::word_count::ResultLine;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// How long the test waits for the worker before it gives up (a deadline, not an assertion).
const PATIENCE: Duration = Duration::from_secs(60);

struct Worker {
    child: Child,
    results: Lines<BufReader<ChildStdout>>,
    broker: Broker,
    queue: QueueName,
}

impl Worker {
    /// The example binary on the test Redis under a fresh key prefix with `extra` flags, and a
    /// broker beside it.
    async fn start(extra: &[&str]) -> Self {
        let redis_url = std::env::var("CONFQ_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        let prefix = format!("confq-example-{}", uuid::Uuid::new_v4().simple());
        let broker = Broker::connect(BrokerConfig {
            redis_url: redis_url.clone(),
            key_prefix: prefix.clone(),
            ..BrokerConfig::default()
        })
        .await
        .expect("Redis must answer at CONFQ_TEST_REDIS_URL (default redis://127.0.0.1:6379)");
        let mut child = Command::new(env!("CARGO_BIN_EXE_custom-worker"))
            .args(["--redis-url", &redis_url, "--key-prefix", &prefix])
            .args(["--queue", "words", "--concurrency", "2"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start custom-worker");
        let stdout = child.stdout.take().expect("piped stdout");
        Self {
            child,
            results: BufReader::new(stdout).lines(),
            broker,
            queue: QueueName::parse("words").expect("queue name"),
        }
    }

    async fn enqueue(&self, task: &str, args: Value) -> Envelope {
        let args = args.as_object().cloned().expect("args are an object");
        let envelope = Envelope::new(task, args);
        self.broker
            .producer()
            .enqueue(&self.queue, &envelope)
            .await
            .expect("enqueue");
        envelope
    }

    /// The next line of the worker's result log.
    async fn next_result(&mut self) -> ResultLine {
        let line = tokio::time::timeout(PATIENCE, self.results.next_line())
            .await
            .expect("the worker wrote no result in time")
            .expect("read the worker's stdout")
            .expect("the worker exited");
        serde_json::from_str(&line).expect("a result line is JSON")
    }

    /// Waits until the dead letters of the queue hold `count` entries.
    async fn dead_letters(&self, count: usize) -> Vec<DeadLetter> {
        let wait = async {
            loop {
                let page = self
                    .broker
                    .dead_letters()
                    .list(&self.queue, None, 100)
                    .await
                    .expect("list dead letters");
                if page.items.len() >= count {
                    return page.items;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(PATIENCE, wait)
            .await
            .expect("the dead letters did not arrive in time")
    }
}

#[tokio::test]
async fn word_count_runs_next_to_the_built_ins_and_records_its_result() {
    let mut worker = Worker::start(&[]).await;

    let counted = worker
        .enqueue(
            "example.word_count",
            json!({"text": "the quick  brown\nfox"}),
        )
        .await;
    let line = worker.next_result().await;
    assert_eq!(line.id, counted.id.to_string());
    assert_eq!(line.task, "example.word_count");
    assert_eq!(line.result.words, 4);

    // Any language: LPUSH a v1 envelope onto the queue's pending list.
    let raw_id = uuid::Uuid::new_v4().to_string();
    let raw = json!({"v": 1, "id": raw_id, "task": "example.word_count",
                     "args": {"text": "one two three"}});
    let pending = QueueKeys::new(&worker.broker.config().key_prefix, &worker.queue).pending;
    let mut redis = worker.broker.connection();
    redis::cmd("LPUSH")
        .arg(&pending)
        .arg(raw.to_string())
        .query_async::<i64>(&mut redis)
        .await
        .expect("LPUSH");
    let line = worker.next_result().await;
    assert_eq!((line.id.as_str(), line.result.words), (raw_id.as_str(), 3));

    worker.child.start_kill().expect("stop the worker");
    worker.child.wait().await.expect("the worker exits");
}

#[tokio::test]
async fn failed_deliveries_are_dead_lettered_with_their_reason() {
    let worker = Worker::start(&[]).await;
    let invalid = worker
        .enqueue("example.word_count", json!({"text": 7}))
        .await;
    let empty = worker
        .enqueue("example.word_count", json!({"text": "  "}))
        .await;
    // A built-in runs beside the example's task: its own failure, not "unknown task".
    let builtin = worker
        .enqueue("confq.fail", json!({"kind": "permanent"}))
        .await;

    let dead = worker.dead_letters(3).await;
    let reason = |envelope: &Envelope| {
        dead.iter()
            .find(|letter| letter.task_id == Some(envelope.id))
            .map(|letter| letter.reason.clone())
            .unwrap_or_else(|| panic!("{} is not dead-lettered: {dead:?}", envelope.task))
    };
    assert!(
        reason(&invalid).starts_with("permanent: invalid arguments for example.word_count"),
        "{}",
        reason(&invalid)
    );
    assert_eq!(
        reason(&empty),
        "permanent: example.word_count needs a non-empty text"
    );
    assert_eq!(
        reason(&builtin),
        "permanent: confq.fail asked for a permanent failure"
    );
}

#[tokio::test]
async fn its_retry_policy_and_reaper_retry_a_transient_failure_then_give_up() {
    let policy = r#"{"transient": {"max_retries": 1, "backoff": [0.05]}, "jitter": 0}"#;
    let worker = Worker::start(&[
        "--reaper",
        "--reaper-interval-secs",
        "0.1",
        "--retry-policy",
        policy,
    ])
    .await;
    let flaky = worker
        .enqueue("confq.fail", json!({"kind": "transient"}))
        .await;

    let dead = worker.dead_letters(1).await;
    let letter = &dead[0];
    assert_eq!(letter.task_id, Some(flaky.id));
    assert_eq!(
        letter.reason,
        "transient_exhausted: confq.fail asked for a transient failure"
    );
    // The first attempt failed, the reaper promoted its one retry, which failed too.
    let envelope = letter.envelope.as_ref().expect("the dead envelope");
    assert_eq!(envelope.attempt, 1);
}
