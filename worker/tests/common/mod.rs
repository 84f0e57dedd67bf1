//! Test harness of the runtime: a broker on the shared Redis under a random key prefix (or a local
//! Redis Cluster), fast worker settings, and helpers to enqueue, run an in-process worker and
//! reaper, and wait for the queue. `ingest/tests/common` builds its harness on this one.

#![allow(dead_code, missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use broker::{Broker, BrokerConfig, Envelope, QueueName};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use worker::retry::RetryPolicy;
use worker::{Registry, Runner, RunnerStats, Shutdown, WorkerConfig};

pub struct Harness {
    pub broker: Broker,
    pub queue: QueueName,
    pub prefix: String,
}

/// `CONFQ_TEST_REDIS_URL`, or with `CONFQ_TEST_REDIS_CLUSTER=1` a local Redis Cluster shared by
/// the tests of this binary (`testenv::redis`).
pub use testenv::redis::url as redis_url;

impl Harness {
    /// A broker with a 1.5 s lease and a 100 ms reaper interval on a fresh key prefix.
    pub async fn new() -> Self {
        let prefix = testenv::redis::prefix("confq-test");
        let broker = Broker::connect(BrokerConfig {
            redis_url: redis_url(),
            key_prefix: prefix.clone(),
            lease: Duration::from_millis(1500),
            orphan_grace: Duration::from_millis(500),
            reaper_interval: Duration::from_millis(100),
            ..BrokerConfig::default()
        })
        .await
        .expect("Redis must run on 127.0.0.1:6379 for these tests");
        Self {
            broker,
            queue: protocol::default_queue(),
            prefix,
        }
    }

    /// Fast settings: 100 ms heartbeats, retries after 50/100/150 ms, no jitter.
    pub fn worker_config(&self) -> WorkerConfig {
        let mut retry =
            RetryPolicy::from_settings(3, [50, 100, 150].map(Duration::from_millis).to_vec());
        retry.jitter = 0.0;
        WorkerConfig {
            queues: vec![self.queue.clone()],
            concurrency: 2,
            heartbeat: Duration::from_millis(100),
            shutdown_grace: Duration::from_secs(2),
            retry,
            ..WorkerConfig::default()
        }
    }

    /// Enqueues `envelope` as it is on the harness's queue.
    pub async fn push(&self, envelope: &Envelope) {
        self.broker
            .producer()
            .enqueue(&self.queue, envelope)
            .await
            .expect("enqueue");
    }

    /// Enqueues one task named `task` with JSON object `args`; returns its envelope.
    pub async fn enqueue(&self, task: &str, args: serde_json::Value) -> Envelope {
        let envelope = Envelope::new(task, args.as_object().cloned().unwrap_or_default());
        self.push(&envelope).await;
        envelope
    }

    /// Starts an in-process worker with the runtime's built-in (diagnostic) tasks.
    pub async fn start_worker(&self, config: WorkerConfig) -> (Shutdown, JoinHandle<RunnerStats>) {
        self.start_runner(worker::tasks::builtin(), config).await
    }

    /// Starts an in-process worker running `registry`'s tasks with `config`.
    pub async fn start_runner(
        &self,
        registry: Registry,
        config: WorkerConfig,
    ) -> (Shutdown, JoinHandle<RunnerStats>) {
        let runner = Runner::new(
            &self.broker,
            registry,
            config,
            worker::registration::new_worker_id(),
        )
        .await
        .expect("runner");
        let shutdown = Shutdown::new();
        let handle = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { runner.run(shutdown).await.expect("runner run") }
        });
        (shutdown, handle)
    }

    /// Starts the reaper loop (the broker's side only) until the returned token is cancelled.
    pub fn start_reaper(&self) -> CancellationToken {
        let stop = CancellationToken::new();
        tokio::spawn(worker::reaping::run(
            self.broker.clone(),
            vec![self.queue.clone()],
            self.worker_config().retry,
            (),
            stop.clone(),
        ));
        stop
    }

    /// Waits until the queue's stats satisfy `done`, or panics after `limit`.
    pub async fn wait_stats(
        &self,
        limit: Duration,
        done: impl Fn(&broker::QueueStats) -> bool,
    ) -> broker::QueueStats {
        testenv::wait::until(limit, "the queue to reach the expected state", || async {
            let stats = self.broker.stats(&self.queue).await.expect("stats");
            if done(&stats) {
                Ok(stats)
            } else {
                Err(format!("{stats:?}"))
            }
        })
        .await
    }

    /// The queue's first 100 dead letters.
    pub async fn dead_letters(&self) -> Vec<broker::DeadLetter> {
        self.broker
            .dead_letters()
            .list(&self.queue, None, 100)
            .await
            .expect("dead letters")
            .items
    }

    /// Deletes every key under this harness's prefix.
    pub async fn cleanup(self) {
        testenv::redis::delete_prefix(&self.broker.config().redis_url, &self.prefix).await;
    }
}
