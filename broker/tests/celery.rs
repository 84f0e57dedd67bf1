//! Celery lists against a real Redis (and a cluster with `CONFQ_TEST_REDIS_CLUSTER=1`): messages
//! shaped as kombu's Redis transport pushes them (tests/celery.rs drives the real Python client)
//! are claimed with a lease, renamed, held until their `eta`, revoked when expired, retried as
//! v1 envelopes, and answered in Celery's result format.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

use base64::Engine;
use broker::celery::{CeleryOptions, CeleryResults, Status};
use broker::keys::{QueueKeys, celery_result};
use broker::{
    Broker, CancelOutcome, Consumer, QueueName, Reaper, Selection, TaskState, WeightedQueue,
};
use common::{PrivateRedis, broker, broker_with, cleanup, fast_config, raw, worker};
use redis::AsyncCommands;
use serde_json::{Value, json};

/// A Celery queue name no other test uses (Celery's lists carry no prefix).
fn celery_queue() -> QueueName {
    let id = uuid::Uuid::new_v4().simple().to_string();
    QueueName::parse(&format!("cq-{}", &id[..12])).unwrap()
}

/// A message as kombu's Redis transport stores it (protocol 2, JSON body in base64).
fn message(id: &str, task: &str, kwargs: Value, headers: Value) -> String {
    let body =
        json!([[], kwargs, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]);
    let mut h = json!({"lang": "py", "task": task, "id": id, "shadow": null, "eta": null,
        "expires": null, "group": null, "retries": 0, "timelimit": [null, null], "root_id": id,
        "parent_id": null, "argsrepr": "()", "kwargsrepr": "{}", "origin": "test@host"});
    for (k, v) in headers.as_object().unwrap() {
        h[k] = v.clone();
    }
    json!({"body": base64::engine::general_purpose::STANDARD.encode(body.to_string()),
        "content-encoding": "utf-8", "content-type": "application/json", "headers": h,
        "properties": {"correlation_id": id, "reply_to": "r", "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0,
            "body_encoding": "base64", "delivery_tag": "t"}})
    .to_string()
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn consumer(b: &Broker, cq: &QueueName, results: CeleryResults) -> Consumer {
    let native = QueueName::parse(&format!("{cq}-native")).unwrap();
    let selection = Selection::new(vec![WeightedQueue::new(native)], false)
        .unwrap()
        .with_celery(std::slice::from_ref(cq), NonZeroU32::MIN)
        .unwrap();
    let map = HashMap::from([("tasks.echo".to_owned(), "confq.echo".to_owned())]);
    b.consumer_with(selection, worker())
        .await
        .unwrap()
        .with_celery(CeleryOptions {
            task_map: map,
            exc_type: |t| match t {
                "permanent" => "PermanentError",
                other => broker::celery::broker_exc_type(other),
            },
            ..CeleryOptions::new(results)
        })
}

async fn push(b: &Broker, list: &str, element: &str) {
    let _: () = raw(b).await.lpush(list, element).await.unwrap();
}

/// The stored result document of task `id` on `b`'s Redis.
async fn result(b: &Broker, id: &str) -> Option<Value> {
    let text: Option<String> = raw(b).await.get(celery_result(id)).await.unwrap();
    text.map(|t| serde_json::from_str(&t).unwrap())
}

async fn cleanup_lists(b: &Broker, cq: &QueueName, ids: &[&str]) {
    let mut con = raw(b).await;
    for q in broker::celery::lists(cq).unwrap() {
        let _: () = con.del(q.as_str()).await.unwrap();
    }
    for id in ids {
        let _: () = con.del(celery_result(id)).await.unwrap();
    }
    cleanup(b).await;
}

#[tokio::test]
async fn a_celery_message_is_leased_renamed_and_answered_in_celerys_format() {
    let b = broker().await;
    let cq = celery_queue();
    let c = consumer(&b, &cq, CeleryResults::new(&b, Duration::from_secs(60))).await;
    let id = new_id();
    let m = message(
        &id,
        "tasks.echo",
        json!({"a": 1}),
        json!({"track_started": true}),
    );
    push(&b, cq.as_str(), &m).await;

    let d = c.fetch(4).await.unwrap().remove(0);
    assert_eq!(
        (d.envelope.id.to_string(), d.envelope.task.as_str()),
        (id.clone(), "confq.echo")
    );
    assert_eq!(Value::Object(d.envelope.args.clone()), json!({"a": 1}));
    assert_eq!(d.raw(), m, "the element stays as kombu wrote it");
    assert_eq!(result(&b, &id).await.unwrap()["status"], "STARTED");
    let info = b.task(&d.envelope.id).await.unwrap().unwrap();
    assert_eq!((info.state, info.queue), (TaskState::Running, cq.clone()));

    c.ack_with(&d, &json!({"a": 1})).await.unwrap();
    let done = result(&b, &id).await.unwrap();
    assert_eq!(
        (
            done["status"].clone(),
            done["result"].clone(),
            done["task_id"].clone()
        ),
        (json!("SUCCESS"), json!({"a": 1}), json!(id))
    );
    let ttl: i64 = raw(&b).await.pttl(celery_result(&id)).await.unwrap();
    assert!(ttl > 0 && ttl <= 60_000, "{ttl}");
    // A SUCCESS is final.
    let results = CeleryResults::new(&b, Duration::from_secs(60));
    assert!(
        !results
            .write(&id, Status::Failure, &Value::Null)
            .await
            .unwrap()
    );
    assert_eq!(result(&b, &id).await.unwrap()["status"], "SUCCESS");
    cleanup_lists(&b, &cq, &[&id]).await;
}

#[tokio::test]
async fn a_retried_celery_task_comes_back_as_an_envelope_before_the_list() {
    let b = broker().await;
    let cq = celery_queue();
    let c = consumer(&b, &cq, CeleryResults::new(&b, Duration::from_secs(60))).await;
    let (first, second) = (new_id(), new_id());
    push(
        &b,
        cq.as_str(),
        &message(&first, "confq.noop", json!({}), json!({})),
    )
    .await;
    let d = c.fetch(1).await.unwrap().remove(0);
    c.retry_later_as(&d, Duration::ZERO, "transient", "db down")
        .await
        .unwrap();
    let retry = result(&b, &first).await.unwrap();
    assert_eq!(retry["status"], "RETRY");
    assert_eq!(retry["result"]["exc_type"], "TransientError");
    assert_eq!(retry["result"]["exc_message"], json!(["db down"]));

    push(
        &b,
        cq.as_str(),
        &message(&second, "confq.noop", json!({}), json!({})),
    )
    .await;
    let reaper = Reaper::new(
        b.clone(),
        vec![cq.clone()],
        std::sync::Arc::new(common::Immediate { max_retries: 3 }),
    );
    common::tick_until(&reaper, "the retry to be promoted", |o| o.promoted == 1).await;
    let d = c.fetch(1).await.unwrap().remove(0);
    assert_eq!(
        (d.envelope.id.to_string(), d.envelope.attempt),
        (first.clone(), 1)
    );
    assert!(
        d.raw().starts_with(r#"{"v":1"#),
        "a v1 envelope: {}",
        d.raw()
    );
    c.dead_letter_as(&d, "permanent", "permanent: bad input")
        .await
        .unwrap();
    let failed = result(&b, &first).await.unwrap();
    assert_eq!(failed["status"], "FAILURE");
    assert_eq!(
        failed["result"],
        json!({"exc_type": "PermanentError", "exc_message": ["bad input"], "exc_module": null})
    );
    assert_eq!(c.fetch(1).await.unwrap()[0].envelope.id.to_string(), second);
    cleanup_lists(&b, &cq, &[&first, &second]).await;
}

#[tokio::test]
async fn an_eta_ahead_waits_in_the_delayed_set_and_an_expired_message_is_revoked() {
    let b = broker().await;
    let cq = celery_queue();
    let c = consumer(&b, &cq, CeleryResults::new(&b, Duration::from_secs(60))).await;
    let (later, expired) = (new_id(), new_id());
    let eta = chrono::Utc::now() + chrono::Duration::seconds(60);
    let past = chrono::Utc::now() - chrono::Duration::seconds(5);
    push(
        &b,
        cq.as_str(),
        &message(
            &later,
            "confq.noop",
            json!({}),
            json!({"eta": eta.to_rfc3339()}),
        ),
    )
    .await;
    push(
        &b,
        cq.as_str(),
        &message(
            &expired,
            "confq.noop",
            json!({}),
            json!({"expires": past.to_rfc3339()}),
        ),
    )
    .await;

    assert!(c.fetch(4).await.unwrap().is_empty(), "neither may run now");
    let k = QueueKeys::new(&b.config().key_prefix, &cq);
    let due: Vec<(String, f64)> = raw(&b)
        .await
        .zrange_withscores(&k.delayed, 0, -1)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].1 as i64, eta.timestamp_millis());
    assert!(
        !due[0].0.contains("\"eta\""),
        "held without its eta: {}",
        due[0].0
    );
    let revoked = result(&b, &expired).await.unwrap();
    assert_eq!(
        (
            revoked["status"].clone(),
            revoked["result"]["exc_type"].clone()
        ),
        (json!("REVOKED"), json!("TaskRevokedError"))
    );
    let info = b.task(&expired.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(info.state, TaskState::Cancelled);
    cleanup_lists(&b, &cq, &[&later, &expired]).await;
}

#[tokio::test]
async fn a_running_celery_task_can_be_cancelled_and_ignore_result_writes_nothing() {
    let b = broker().await;
    let cq = celery_queue();
    let c = consumer(&b, &cq, CeleryResults::new(&b, Duration::from_secs(60))).await;
    let (running, quiet) = (new_id(), new_id());
    push(
        &b,
        cq.as_str(),
        &message(&running, "confq.noop", json!({}), json!({})),
    )
    .await;
    let d = c.fetch(1).await.unwrap().remove(0);
    let outcome = b.cancel(&d.envelope.id).await.unwrap();
    assert!(matches!(outcome, CancelOutcome::Signalled), "{outcome:?}");
    c.cancelled(&d).await.unwrap();
    let revoked = result(&b, &running).await.unwrap();
    assert_eq!(
        (
            revoked["status"].clone(),
            revoked["result"]["exc_message"].clone()
        ),
        (json!("REVOKED"), json!(["revoked"]))
    );

    let m = message(
        &quiet,
        "confq.noop",
        json!({}),
        json!({"ignore_result": true}),
    );
    push(&b, cq.as_str(), &m).await;
    let d = c.fetch(1).await.unwrap().remove(0);
    c.ack(&d).await.unwrap();
    assert_eq!(result(&b, &quiet).await, None);
    cleanup_lists(&b, &cq, &[&running, &quiet]).await;
}

#[tokio::test]
async fn a_celery_task_whose_worker_died_is_answered_by_the_reaper() {
    let b = broker().await;
    let cq = celery_queue();
    let c = consumer(&b, &cq, CeleryResults::new(&b, Duration::from_secs(60))).await;
    let (retried, dead) = (new_id(), new_id());
    let policy = |max_retries| std::sync::Arc::new(common::Immediate { max_retries });
    push(
        &b,
        cq.as_str(),
        &message(&retried, "confq.noop", json!({}), json!({})),
    )
    .await;
    let held = c.fetch(1).await.unwrap();
    assert_eq!(held.len(), 1, "held, then never settled: the worker died");
    let reaper = Reaper::new(b.clone(), vec![cq.clone()], policy(1));
    common::tick_until(&reaper, "the lease to expire", |o| !o.expired.is_empty()).await;
    let retry = result(&b, &retried).await.unwrap();
    assert_eq!(
        (retry["status"].clone(), retry["result"]["exc_type"].clone()),
        (json!("RETRY"), json!("TimeLimitExceeded"))
    );

    push(
        &b,
        cq.as_str(),
        &message(&dead, "confq.noop", json!({}), json!({})),
    )
    .await;
    let reaper = Reaper::new(b.clone(), vec![cq.clone()], policy(0));
    let held = c.fetch(4).await.unwrap();
    assert!(
        held.iter().any(|d| d.envelope.id.to_string() == dead),
        "{held:?}"
    );
    common::tick_until(&reaper, "the lease to expire", |o| {
        o.expired.iter().any(|e| e.envelope.id.to_string() == dead)
    })
    .await;
    let failed = result(&b, &dead).await.unwrap();
    assert_eq!(
        (
            failed["status"].clone(),
            failed["result"]["exc_type"].clone()
        ),
        (json!("FAILURE"), json!("TimeLimitExceeded"))
    );
    cleanup_lists(&b, &cq, &[&retried, &dead]).await;
}

#[tokio::test]
async fn a_pickled_message_is_dead_lettered_and_its_caller_gets_a_failure() {
    let b = broker().await;
    let cq = celery_queue();
    let c = consumer(&b, &cq, CeleryResults::new(&b, Duration::from_secs(60))).await;
    let id = new_id();
    let m = message(&id, "confq.noop", json!({}), json!({}))
        .replace("application/json", "application/x-python-serialize");
    push(&b, cq.as_str(), &m).await;
    assert!(c.fetch(4).await.unwrap().is_empty());
    let dead = b.dead_letters().list(&cq, None, 10).await.unwrap().items;
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0].reason.contains("application/x-python-serialize"),
        "{}",
        dead[0].reason
    );
    let failed = result(&b, &id).await.unwrap();
    assert_eq!(
        (
            failed["status"].clone(),
            failed["result"]["exc_type"].clone()
        ),
        (json!("FAILURE"), json!("ContentDisallowed"))
    );
    cleanup_lists(&b, &cq, &[&id]).await;
}

#[tokio::test]
async fn results_go_to_another_redis_when_asked() {
    let b = broker().await;
    let server = PrivateRedis::start();
    let other = broker_with(fast_config(&server.url())).await;
    let cq = celery_queue();
    let c = consumer(&b, &cq, CeleryResults::new(&other, Duration::from_secs(60))).await;
    let id = new_id();
    push(
        &b,
        cq.as_str(),
        &message(&id, "confq.noop", json!({}), json!({})),
    )
    .await;
    let d = c.fetch(1).await.unwrap().remove(0);
    c.ack(&d).await.unwrap();
    assert_eq!(result(&other, &id).await.unwrap()["status"], "SUCCESS");
    assert_eq!(result(&b, &id).await, None);
    cleanup_lists(&b, &cq, &[&id]).await;
}
