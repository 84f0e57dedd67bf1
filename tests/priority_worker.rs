//! Priority queues in the real `confq worker` process on real Redis: a backlog of `confq.noop`
//! tasks on `low`, critical work arriving, and the order in which the worker finished them, read
//! back from the task state store: each finished task's `updated_at`, stamped with Redis's clock
//! by the script that acknowledged it (one `ack` per task, so every task has its own stamp). Strict priority, weights 6:1, a flood of critical work under each
//! rule, and an idle worker of several queues woken by a task on any of them. Each test has its
//! own key prefix and data dir, so they run in parallel; nothing asserts on speed. With
//! `CONFQ_TEST_REDIS_CLUSTER=1` all of it runs on a local Redis Cluster (`.ci/run` does).
//!
//! The counts are bounded, never exact, because a worker runs several tasks at once:
//! - tasks the worker had already claimed when the critical ones arrived (at most `CONCURRENCY`)
//!   finish afterwards whatever the rule;
//! - the fetch that takes the last critical tasks may fill its other slots from `low` (at most
//!   `CONCURRENCY - 1`), and low tasks taken after it may finish while the last critical ones
//!   are still running;
//! - the stamps have millisecond resolution: a low task finished in the same millisecond as the
//!   last critical one counts as "before" for an upper bound and as "after" for a lower one.
//!
//! Only finishes are recorded, not starts. A low task started before the last critical one
//! finished, but finished after it, held a slot beside that critical task: there are at most
//! `CONCURRENCY - 1` of them, so "low tasks started" is at most "low tasks finished" plus that.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::ops::Range;
use std::time::{Duration, Instant};

use broker::keys::QueueKeys;
use broker::{Broker, BrokerConfig, Envelope, QueueName, TaskId, TaskState};
use chrono::Utc;
use serde_json::Value;
use support::{Env, Proc};

/// Long enough for debug builds on a loaded two-core machine; no test needs it unless broken.
const PATIENCE: Duration = Duration::from_secs(120);
/// Slots of every worker: one fetch claims at most this many tasks.
const CONCURRENCY: usize = 4;
/// Low tasks queued in the backlog tests (the scenario).
const BACKLOG: usize = 20_000;

/// The queue `name` (a valid name).
fn queue(name: &str) -> QueueName {
    QueueName::parse(name).expect("a valid queue name")
}

/// A deployment on the tests' Redis: the shared server, or with `CONFQ_TEST_REDIS_CLUSTER=1` the
/// local cluster of this test binary (each queue's keys then live on the node of its slot).
fn deployment(name: &str) -> Env {
    let mut env = Env::new(name);
    env.redis_url = testenv::redis::url();
    env.migrate();
    env
}

/// A broker handle on the deployment's Redis and key prefix (the producer every client uses).
async fn connect(env: &Env) -> Broker {
    Broker::connect(BrokerConfig {
        redis_url: env.redis_url.clone(),
        key_prefix: env.prefix.clone(),
        ..BrokerConfig::default()
    })
    .await
    .expect("connect to Redis")
}

/// Queues `n` `confq.noop` tasks on `queue`, 1,000 per push; their ids in the order queued (the
/// order a worker takes them in).
async fn fill(broker: &Broker, queue: &QueueName, n: usize) -> Vec<TaskId> {
    let tasks: Vec<Envelope> = (0..n)
        .map(|_| Envelope::new("confq.noop", serde_json::Map::new()))
        .collect();
    for chunk in tasks.chunks(1_000) {
        broker
            .producer()
            .enqueue_many(queue, chunk)
            .await
            .expect("enqueue");
    }
    tasks.iter().map(|task| task.id).collect()
}

/// The queue's `processed` counter (tasks acknowledged).
async fn processed(broker: &Broker, queue: &QueueName) -> usize {
    let stats = broker.stats(queue).await.expect("queue stats");
    usize::try_from(stats.processed).expect("a count")
}

/// The end of a process's log, for failure messages (a noop backlog logs a line per task).
fn log_tail(worker: &Proc) -> String {
    let log = worker.log_text();
    let start = log.len().saturating_sub(3_000);
    let start = (start..log.len())
        .find(|&i| log.is_char_boundary(i))
        .unwrap_or(log.len());
    log[start..].to_owned()
}

/// Waits until the worker has acknowledged `n` tasks of `queue`; fails if it exits first.
async fn wait_processed(broker: &Broker, queue: &QueueName, n: usize, worker: &mut Proc) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let done = processed(broker, queue).await;
        if done >= n {
            return;
        }
        if let Some(status) = worker.exited() {
            panic!(
                "the worker exited ({status}) after {done} of {n} {queue} tasks:\n{}",
                log_tail(worker)
            );
        }
        assert!(
            Instant::now() < deadline,
            "after {PATIENCE:?}, {done} of {n} {queue} tasks processed:\n{}",
            log_tail(worker)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// When each finished task of `queue` finished, by task id (ms on Redis's clock): the queue's
/// recorded states, each `succeeded` with the `updated_at` stamped by the script that acknowledged
/// the task, read with one `HGETALL`. Not through `Broker::task`: a lookup asks every known
/// queue, and a queue that does not hold the id searches its lists for it, so looking up the 200
/// critical tasks would search the 20,000 pending low ones 200 times (docs/broker.md, "Lookup").
fn finished(env: &Env, queue: &QueueName) -> HashMap<String, i64> {
    env.hash(&QueueKeys::new(&env.prefix, queue).results)
        .into_iter()
        .map(|(id, doc)| {
            let doc: Value = serde_json::from_str(&doc)
                .unwrap_or_else(|error| panic!("the state of {id} is not JSON ({error}): {doc}"));
            assert_eq!(doc["state"], "succeeded", "{id}: {doc}");
            let at = doc["updated_at"]
                .as_i64()
                .unwrap_or_else(|| panic!("no updated_at in the state of {id}: {doc}"));
            (id, at)
        })
        .collect()
}

/// Who goes first and when the critical tasks arrive.
struct Scenario {
    /// Key prefix and data dir name.
    name: &'static str,
    /// The worker's queue flags.
    worker: &'static [&'static str],
    /// Low tasks queued before the worker starts.
    low: usize,
    /// Critical tasks.
    critical: usize,
    /// Low tasks the worker must have finished before the critical ones are queued; 0 queues
    /// both before the worker starts.
    head_start: usize,
}

/// How many low tasks the worker finished while the critical ones drained, bounded both ways.
#[derive(Debug)]
struct Drained {
    /// Low tasks finished no later than the last critical one, less those finished before the
    /// critical ones were queued (counted before the push): an upper bound.
    at_most: usize,
    /// Low tasks finished strictly before the last critical one, less those finished by the time
    /// the push returned: a lower bound.
    at_least: usize,
}

/// Runs `scenario` with one `confq worker` of `CONCURRENCY` slots until every critical task is
/// acknowledged, stops it (SIGTERM), and reads back when each task finished.
async fn drain(scenario: &Scenario) -> Drained {
    let mut env = deployment(scenario.name);
    let broker = connect(&env).await;
    let (low, critical) = (queue("low"), queue("critical"));
    fill(&broker, &low, scenario.low).await;
    let mut critical_ids = Vec::new();
    if scenario.head_start == 0 {
        critical_ids = fill(&broker, &critical, scenario.critical).await;
    }
    let mut worker = env.worker(CONCURRENCY, scenario.worker);
    let (mut before, mut after) = (0, 0);
    if scenario.head_start > 0 {
        wait_processed(&broker, &low, scenario.head_start, &mut worker).await;
        before = processed(&broker, &low).await;
        critical_ids = fill(&broker, &critical, scenario.critical).await;
        after = processed(&broker, &low).await;
    }
    wait_processed(&broker, &critical, scenario.critical, &mut worker).await;
    worker.signal("TERM");
    let exit = worker.wait_exit(PATIENCE).expect("the worker stops");
    assert!(exit.success(), "{exit:?}\n{}", log_tail(&worker));

    let critical_done = finished(&env, &critical);
    for id in &critical_ids {
        assert!(
            critical_done.contains_key(&id.to_string()),
            "critical task {id} has no recorded state"
        );
    }
    let last = *critical_done.values().max().expect("critical tasks");
    let low_done = finished(&env, &low);
    let done = processed(&broker, &low).await;
    assert_eq!(
        low_done.len(),
        done,
        "each acknowledged low task has its state"
    );
    let count = |before_last: fn(i64, i64) -> bool| {
        low_done
            .values()
            .filter(|&&at| before_last(at, last))
            .count()
    };
    let drained = Drained {
        at_most: count(|at, last| at <= last).saturating_sub(before),
        at_least: count(|at, last| at < last).saturating_sub(after),
    };
    println!(
        "{}: {drained:?} low tasks finished while {} critical drained \
         ({before}..{after} low finished when they were queued, {done} when the worker stopped)",
        scenario.name, scenario.critical
    );
    drained
}

/// The scenario: the worker is busy with a backlog of 20,000 low tasks (100 done) when
/// 200 critical ones arrive.
fn critical_arrives_on_a_low_backlog(
    name: &'static str,
    worker: &'static [&'static str],
) -> Scenario {
    Scenario {
        name,
        worker,
        low: BACKLOG,
        critical: 200,
        head_start: 100,
    }
}

/// 2,000 critical and 2,000 low tasks queued before the worker starts.
fn a_flood_of_critical_work(name: &'static str, worker: &'static [&'static str]) -> Scenario {
    Scenario {
        name,
        worker,
        low: 2_000,
        critical: 2_000,
        head_start: 0,
    }
}

/// The worker's queues in strict order.
const STRICT: &[&str] = &["--queue", "critical", "--queue", "low", "--strict-priority"];
/// The worker's queues weighted 6:1.
const WEIGHTED: &[&str] = &["--queue", "critical=6", "--queue", "low=1"];

/// Asserts that the low tasks finished while the critical ones drained lie within `expected`.
fn assert_low_share(drained: &Drained, expected: Range<usize>) {
    assert!(
        drained.at_least >= expected.start,
        "low starved: {drained:?}, expected {expected:?}"
    );
    assert!(
        drained.at_most < expected.end,
        "low took more than its share: {drained:?}, expected {expected:?}"
    );
}

/// Strict: the critical tasks overtake the backlog. Low tasks finishing meanwhile are only those
/// the worker held when they arrived, those filling the last critical fetch, and those run while
/// the last critical ones finish (see the module doc): a handful. Asserted: fewer than 100 low
/// tasks started before the last critical one finished (the bound).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_strict_priority_critical_work_arriving_on_a_low_backlog_runs_before_more_low_work() {
    let drained = drain(&critical_arrives_on_a_low_backlog("prio-strict", STRICT)).await;
    let started = drained.at_most + CONCURRENCY - 1;
    assert!(started < 100, "{started} low tasks started: {drained:?}");
}

/// Weights 6:1: while the 200 critical tasks drain, about 200/6 ≈ 33 low tasks run (plus those
/// held when they arrived). Equal weights would run about 200, strict order a handful: asserted
/// at least 1 and under 100, i.e. well under 1 % of the backlog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_weights_6_to_1_critical_work_drains_within_a_bounded_share_of_the_low_backlog() {
    let drained = drain(&critical_arrives_on_a_low_backlog(
        "prio-weighted",
        WEIGHTED,
    ))
    .await;
    assert_low_share(&drained, 1..100);
}

/// Weights 6:1 under a flood of critical work: low keeps its share, about 2,000/6 ≈ 333 tasks
/// while the 2,000 critical ones drain (standard deviation ≈ 20). Strict order would run a
/// handful, equal weights nearly all 2,000: asserted 150..=600.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_weights_a_flood_of_critical_work_does_not_starve_the_low_queue() {
    let drained = drain(&a_flood_of_critical_work("prio-flood-weighted", WEIGHTED)).await;
    assert_low_share(&drained, 150..601);
}

/// Strict order under the same flood: low starves (documented); only the last critical fetch's
/// spare slots and what runs beside the last critical tasks can finish first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_strict_priority_a_flood_of_critical_work_starves_the_low_queue() {
    let drained = drain(&a_flood_of_critical_work("prio-flood-strict", STRICT)).await;
    assert_low_share(&drained, 0..100);
}

/// An idle worker of queues `a` and `b` runs a task pushed to either (the push's wake message
/// or, failing that, the 1 s poll; the time is printed, not asserted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_worker_of_several_queues_runs_a_task_pushed_to_any_of_them() {
    let mut env = deployment("prio-wake");
    let broker = connect(&env).await;
    let mut worker = env.worker(CONCURRENCY, &["--queue", "a", "--queue", "b"]);
    testenv::wait::until(PATIENCE, "the worker to start", || {
        let log = worker.log_text();
        async move { log.contains("worker started") }
    })
    .await;
    for target in ["b", "a", "b"] {
        // Let the worker find both queues empty and wait.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let sent = Utc::now();
        let id = fill(&broker, &queue(target), 1).await[0];
        // Looked up as `confq task` does (two tiny queues: each lookup is cheap here).
        let info = testenv::wait::until(PATIENCE, &format!("the task on {target} to run"), || {
            let broker = broker.clone();
            async move {
                let info = broker.task(&id).await.expect("lookup").expect("known");
                (info.state == TaskState::Succeeded).then_some(info)
            }
        })
        .await;
        let at = info.updated_at.expect("a finished task has updated_at");
        println!(
            "a task pushed to {target} finished {} ms after the push",
            (at - sent).num_milliseconds()
        );
        assert_eq!(info.queue, queue(target));
    }
    assert_eq!(
        processed(&broker, &queue("a")).await + processed(&broker, &queue("b")).await,
        3
    );
    assert!(worker.exited().is_none(), "{}", log_tail(&worker));
    worker.signal("TERM");
    worker.wait_exit(PATIENCE);
}
