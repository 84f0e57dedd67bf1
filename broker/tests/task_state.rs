//! Task state by id and cancellation against a real Redis (and a cluster with
//! `CONFQ_TEST_REDIS_CLUSTER=1`): lookup in every state and after the result TTL, cancel in every
//! state, and a cancel racing a claim.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use broker::{CancelOutcome, Settled, TaskState};
use common::{broker, broker_with, cleanup, fast_config, queue, redis_url, task, worker};
use serde_json::json;

#[tokio::test]
async fn a_task_is_found_in_every_state_it_passes_through() {
    let b = broker().await;
    let (p, q) = (b.producer(), queue());
    let c = b.consumer(vec![q.clone()], worker()).await.unwrap();
    let unknown = task(99).id;
    assert_eq!(b.task(&unknown).await.unwrap(), None);

    let e = task(1);
    p.enqueue(&q, &e).await.unwrap();
    let info = b.task(&e.id).await.unwrap().unwrap();
    assert_eq!(
        (info.state, info.task.as_str(), info.attempt),
        (TaskState::Pending, "confq.noop", 0)
    );
    assert_eq!(info.queue, q);

    let d = c.fetch(1).await.unwrap().remove(0);
    assert_eq!(
        b.task(&e.id).await.unwrap().unwrap().state,
        TaskState::Running
    );

    c.retry_later(&d, Duration::from_secs(60), "db down")
        .await
        .unwrap();
    let info = b.task(&e.id).await.unwrap().unwrap();
    assert_eq!((info.state, info.attempt), (TaskState::Delayed, 1));
    assert_eq!(info.error.as_deref(), Some("db down"));

    let done = task(2);
    p.enqueue(&q, &done).await.unwrap();
    let d = c.fetch(1).await.unwrap().remove(0);
    c.ack_with(&d, &json!({"words": 4})).await.unwrap();
    let info = b.task(&done.id).await.unwrap().unwrap();
    assert_eq!(info.state, TaskState::Succeeded);
    assert_eq!(info.result, json!({"words": 4}));
    assert!(info.updated_at.is_some());

    let dead = task(3);
    p.enqueue(&q, &dead).await.unwrap();
    let d = c.fetch(1).await.unwrap().remove(0);
    c.dead_letter_as(&d, "permanent", "permanent: bad input")
        .await
        .unwrap();
    let info = b.task(&dead.id).await.unwrap().unwrap();
    assert_eq!(info.state, TaskState::Dead);
    assert_eq!(info.error.as_deref(), Some("permanent: bad input"));
    // Once its dead letter is gone it can no longer be requeued: `failed`.
    b.dead_letters().purge(&q).await.unwrap();
    assert_eq!(
        b.task(&dead.id).await.unwrap().unwrap().state,
        TaskState::Failed
    );
    cleanup(&b).await;
}

#[tokio::test]
async fn a_requeued_dead_letter_is_pending_again() {
    let b = broker().await;
    let (p, q) = (b.producer(), queue());
    let c = b.consumer(vec![q.clone()], worker()).await.unwrap();
    let e = task(1);
    p.enqueue(&q, &e).await.unwrap();
    let d = c.fetch(1).await.unwrap().remove(0);
    c.dead_letter_as(&d, "permanent", "permanent: x")
        .await
        .unwrap();
    assert!(b.dead_letters().requeue(&q, &e.id).await.unwrap());
    assert_eq!(
        b.task(&e.id).await.unwrap().unwrap().state,
        TaskState::Pending
    );
    cleanup(&b).await;
}

#[tokio::test]
async fn a_finished_state_is_gone_after_the_result_ttl() {
    let mut config = fast_config(&redis_url());
    config.result_ttl = Duration::from_millis(300);
    let b = broker_with(config).await;
    let (p, q) = (b.producer(), queue());
    let c = b.consumer(vec![q.clone()], worker()).await.unwrap();
    let e = task(1);
    p.enqueue(&q, &e).await.unwrap();
    let d = c.fetch(1).await.unwrap().remove(0);
    c.ack(&d).await.unwrap();
    assert_eq!(
        b.task(&e.id).await.unwrap().unwrap().state,
        TaskState::Succeeded
    );
    testenv::wait::until(testenv::wait::LONG, "the state to expire", || async {
        match b.task(&e.id).await.unwrap() {
            None => Ok(()),
            Some(info) => Err(format!("{info:?}")),
        }
    })
    .await;
    // The reaper's walk over the queue's results hash drops it.
    let outcome = common::reaper(&b).tick().await.unwrap();
    assert_eq!(outcome.results_trimmed, 1);
    assert_eq!(sizes(&b, &q).await, [0, 0, 0]);
    cleanup(&b).await;
}

#[tokio::test]
async fn one_ack_many_of_more_tasks_than_a_batched_write_records_every_state() {
    let b = broker().await;
    let (p, q) = (b.producer(), queue());
    let c = b.consumer(vec![q.clone()], worker()).await.unwrap();
    let tasks: Vec<_> = (0..1_500).map(task).collect();
    p.enqueue_many(&q, &tasks).await.unwrap();
    let mut got = Vec::new();
    while got.len() < tasks.len() {
        let batch = c.fetch(tasks.len() - got.len()).await.unwrap();
        assert!(!batch.is_empty(), "the queue ran dry at {}", got.len());
        got.extend(batch);
    }
    assert!(c.ack_many(&got).await.unwrap().into_iter().all(|ok| ok));
    assert_eq!(sizes(&b, &q).await, [1_500, 0, 0]);
    for e in [&tasks[0], &tasks[999], &tasks[1_000], &tasks[1_499]] {
        let info = b.task(&e.id).await.unwrap().unwrap();
        assert_eq!((info.state, info.attempt), (TaskState::Succeeded, 0));
    }
    cleanup(&b).await;
}

#[tokio::test]
async fn with_results_off_a_finished_task_leaves_nothing() {
    let mut config = fast_config(&redis_url());
    config.results = false;
    let b = broker_with(config).await;
    let (p, q) = (b.producer(), queue());
    let c = b.consumer(vec![q.clone()], worker()).await.unwrap();
    let e = task(1);
    p.enqueue(&q, &e).await.unwrap();
    let d = c.fetch(1).await.unwrap().remove(0);
    c.ack(&d).await.unwrap();
    assert_eq!(b.task(&e.id).await.unwrap(), None);
    cleanup(&b).await;
}

#[tokio::test]
async fn pending_delayed_and_dead_tasks_are_removed_by_a_cancel() {
    let b = broker().await;
    let (p, q) = (b.producer(), queue());
    let c = b.consumer(vec![q.clone()], worker()).await.unwrap();

    let pending = task(1);
    p.enqueue(&q, &pending).await.unwrap();
    let delayed = task(2);
    p.enqueue_in(&q, &delayed, Duration::from_secs(60))
        .await
        .unwrap();
    let dead = task(3);
    p.enqueue(&q, &dead).await.unwrap();
    // `pending` is first out: claim both and dead-letter the second.
    let mut ds = c.fetch(2).await.unwrap();
    let dd = ds.pop().unwrap();
    c.release(&ds.pop().unwrap()).await.unwrap();
    c.dead_letter_as(&dd, "permanent", "permanent: x")
        .await
        .unwrap();

    for (e, from) in [
        (&pending, TaskState::Pending),
        (&delayed, TaskState::Delayed),
        (&dead, TaskState::Dead),
    ] {
        match b.cancel(&e.id).await.unwrap() {
            CancelOutcome::Cancelled {
                from: got,
                envelope,
            } => {
                assert_eq!(got, from);
                assert_eq!(envelope.unwrap().id, e.id);
            }
            other => panic!("{from:?}: {other:?}"),
        }
        let info = b.task(&e.id).await.unwrap().unwrap();
        assert_eq!(info.state, TaskState::Cancelled, "{from:?}");
        assert_eq!(info.task, "confq.noop");
        // A second cancel finds it finished.
        assert_eq!(
            b.cancel(&e.id).await.unwrap(),
            CancelOutcome::Finished(TaskState::Cancelled)
        );
    }
    let stats = b.stats(&q).await.unwrap();
    assert_eq!((stats.pending, stats.delayed, stats.dead), (0, 0, 0));
    assert_eq!(b.cancel(&task(9).id).await.unwrap(), CancelOutcome::Unknown);
    cleanup(&b).await;
}

#[tokio::test]
async fn a_running_task_is_signalled_and_not_retried() {
    let b = broker().await;
    let (p, q) = (b.producer(), queue());
    let c = b.consumer(vec![q.clone()], worker()).await.unwrap();
    let heard = Arc::new(Mutex::new(Vec::new()));
    let sink = heard.clone();
    let _signals = b
        .listen_for_cancels(
            std::slice::from_ref(&q),
            Arc::new(move |id| sink.lock().unwrap().push(id)),
        )
        .await
        .unwrap();

    let told = task(1);
    let fallback = task(2);
    p.enqueue_many(&q, &[told.clone(), fallback.clone()])
        .await
        .unwrap();
    let mut ds = c.fetch(2).await.unwrap();
    let (d_fallback, d_told) = (ds.pop().unwrap(), ds.pop().unwrap());
    assert_eq!(b.cancel(&told.id).await.unwrap(), CancelOutcome::Signalled);
    testenv::wait::until(testenv::wait::LONG, "the cancel message", || async {
        if heard.lock().unwrap().contains(&told.id) {
            Ok(())
        } else {
            Err("not yet".to_owned())
        }
    })
    .await;
    assert_eq!(
        b.task(&told.id).await.unwrap().unwrap().state,
        TaskState::Running
    );
    c.cancelled(&d_told).await.unwrap();
    assert_eq!(
        b.task(&told.id).await.unwrap().unwrap().state,
        TaskState::Cancelled
    );

    // A worker that never heard the message: its retry ends the task cancelled instead.
    assert_eq!(
        b.cancel(&fallback.id).await.unwrap(),
        CancelOutcome::Signalled
    );
    let settled = c
        .retry_later(&d_fallback, Duration::ZERO, "boom")
        .await
        .unwrap();
    assert_eq!(settled, Settled::Cancelled);
    assert_eq!(
        b.task(&fallback.id).await.unwrap().unwrap().state,
        TaskState::Cancelled
    );
    let stats = b.stats(&q).await.unwrap();
    assert_eq!((stats.pending, stats.processing, stats.delayed), (0, 0, 0));
    cleanup(&b).await;
}

#[tokio::test]
async fn a_finished_task_cannot_be_cancelled() {
    let b = broker().await;
    let (p, q) = (b.producer(), queue());
    let c = b.consumer(vec![q.clone()], worker()).await.unwrap();
    let e = task(1);
    p.enqueue(&q, &e).await.unwrap();
    c.ack(&c.fetch(1).await.unwrap()[0]).await.unwrap();
    assert_eq!(
        b.cancel(&e.id).await.unwrap(),
        CancelOutcome::Finished(TaskState::Succeeded)
    );
    cleanup(&b).await;
}

/// A cancel and a claim of the same task, at once, 200 times: exactly one of them wins each time,
/// and the task is never both run and cancelled-while-pending, nor lost.
#[tokio::test]
async fn a_cancel_racing_a_claim_wins_or_loses_cleanly() {
    let b = broker().await;
    let (p, q) = (b.producer(), queue());
    let c = b.consumer(vec![q.clone()], worker()).await.unwrap();
    let (mut cancelled, mut claimed) = (0, 0);
    for i in 0..200 {
        let e = task(i);
        p.enqueue(&q, &e).await.unwrap();
        let (cancel, fetched) = tokio::join!(b.cancel(&e.id), c.fetch(1));
        let fetched = fetched.unwrap();
        match cancel.unwrap() {
            CancelOutcome::Cancelled { from, .. } => {
                assert_eq!(from, TaskState::Pending);
                assert!(fetched.is_empty(), "round {i}: cancelled and also claimed");
                cancelled += 1;
            }
            CancelOutcome::Signalled => {
                assert_eq!(fetched.len(), 1, "round {i}: signalled but not claimed");
                c.cancelled(&fetched[0]).await.unwrap();
                claimed += 1;
            }
            other => panic!("round {i}: {other:?}"),
        }
        assert_eq!(
            b.task(&e.id).await.unwrap().unwrap().state,
            TaskState::Cancelled
        );
    }
    let stats = b.stats(&q).await.unwrap();
    assert_eq!((stats.pending, stats.processing), (0, 0));
    println!("cancel won {cancelled}, claim won {claimed} of 200");
    cleanup(&b).await;
}

/// Sizes of the queue's results hash, lease zset and token hash.
async fn sizes(b: &broker::Broker, q: &broker::QueueName) -> [usize; 3] {
    let keys = broker::keys::QueueKeys::new(&b.config().key_prefix, q);
    let mut con = common::raw(b).await;
    let (results, leases, tokens): (usize, usize, usize) = redis::pipe()
        .cmd("HLEN")
        .arg(&keys.results)
        .cmd("ZCARD")
        .arg(&keys.leases)
        .cmd("HLEN")
        .arg(&keys.tokens)
        .query_async(&mut con)
        .await
        .expect("read the queue's sizes");
    [results, leases, tokens]
}

/// `LRANGE` calls the server has served (scripts' own calls included).
async fn lrange_calls(b: &broker::Broker) -> u64 {
    common::command_calls(&mut common::raw(b).await, "lrange").await
}

#[tokio::test]
async fn a_finished_tasks_lookup_searches_no_queues_backlog() {
    // A private server: its command counts are this test's alone.
    let server = testenv::redis::Server::start();
    let b = broker_with(fast_config(&server.url())).await;
    let (p, q) = (b.producer(), queue());
    let backlog = broker::QueueName::parse("backlog").unwrap();
    let waiting: Vec<_> = (0..2_000).map(task).collect();
    p.enqueue_many(&backlog, &waiting).await.unwrap();
    let c = b.consumer(vec![q.clone()], worker()).await.unwrap();
    let e = task(1);
    p.enqueue(&q, &e).await.unwrap();
    let d = c.fetch(1).await.unwrap().remove(0);
    c.ack(&d).await.unwrap();

    let before = lrange_calls(&b).await;
    let info = b.task(&e.id).await.unwrap().unwrap();
    assert_eq!((info.state, info.queue), (TaskState::Succeeded, q));
    assert_eq!(
        lrange_calls(&b).await,
        before,
        "the lookup of a finished task searched a queue's lists"
    );
    // A pending task has no recorded state: it is still found by the search.
    let info = b.task(&waiting[1_999].id).await.unwrap().unwrap();
    assert_eq!((info.state, info.queue), (TaskState::Pending, backlog));
    assert!(lrange_calls(&b).await > before);
}
