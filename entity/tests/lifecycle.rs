//! The run lifecycle and its fence, on every backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use entity::StoreError;
use entity::store::{Delivered, RunMetrics, RunStatus};
use uuid::Uuid;

#[tokio::test]
async fn a_run_goes_stored_parsing_complete_with_tracking_fields() {
    for db in common::backends().await {
        let s = &db.store;
        let run = s
            .create_run(common::new_run("a.spl"))
            .await
            .expect("create");
        assert_eq!(run.status, RunStatus::Stored);
        let task = Uuid::now_v7();
        let fence = s.begin_attempt(run.id, task, 0).await.expect("begin");
        let parsing = s.run(run.id).await.expect("read").expect("exists");
        assert_eq!(
            (parsing.status, parsing.task_id),
            (RunStatus::Parsing, Some(task))
        );
        assert!(parsing.started_at.is_some() && parsing.last_heartbeat.is_some());
        s.heartbeat(run.id, fence).await.expect("heartbeat");
        let metrics = RunMetrics {
            files_parsed: 3,
            stanzas_created: 9,
            duration_seconds: 1.5,
            ..Default::default()
        };
        s.complete(run.id, fence, metrics.clone())
            .await
            .expect("complete");
        let done = s.run(run.id).await.expect("read").expect("exists");
        assert_eq!(done.status, RunStatus::Complete, "{}", db.name);
        assert_eq!(done.metrics, Some(metrics));
        assert!(done.completed_at.is_some());
        let again = s.begin_attempt(run.id, task, 0).await;
        assert!(
            matches!(again, Err(StoreError::AlreadyComplete(_))),
            "{}: {again:?}",
            db.name
        );
        let json = serde_json::to_value(&done).expect("serialize");
        assert_eq!(json["metrics"]["error_type"], serde_json::Value::Null);
        assert_eq!(json["status"], "complete");
    }
}

#[tokio::test]
async fn a_stale_attempt_changes_nothing_and_says_so() {
    for db in common::backends().await {
        let s = &db.store;
        let (run, old) = common::started_run(s, "a.spl").await;
        let new = s
            .begin_attempt(run.id, Uuid::now_v7(), 0)
            .await
            .expect("second attempt");
        assert_ne!(old, new);
        let before = s.run(run.id).await.expect("read").expect("exists");
        let write = s.write_results(run.id, old, common::files(1, 2, 2)).await;
        assert!(
            matches!(write, Err(StoreError::Fenced { .. })),
            "{}: {write:?}",
            db.name
        );
        let complete = s.complete(run.id, old, RunMetrics::default()).await;
        assert!(
            matches!(complete, Err(StoreError::Fenced { .. })),
            "{complete:?}"
        );
        let fail = s
            .fail(run.id, old, "late", "tb", RunMetrics::default())
            .await;
        assert!(matches!(fail, Err(StoreError::Fenced { .. })), "{fail:?}");
        assert!(matches!(
            s.heartbeat(run.id, old).await,
            Err(StoreError::Fenced { .. })
        ));
        let after = s.run(run.id).await.expect("read").expect("exists");
        assert_eq!(
            (after.status, after.attempt, after.completed_at),
            (before.status, before.attempt, None)
        );
        let files = s
            .list_files(run.id, Default::default())
            .await
            .expect("files");
        assert!(
            files.items.is_empty(),
            "{}: fenced write left files",
            db.name
        );
        s.complete(run.id, new, RunMetrics::default())
            .await
            .expect("current attempt completes");
    }
}

#[tokio::test]
async fn an_expired_lease_fences_out_the_zombie_attempt() {
    for db in common::backends().await {
        let s = &db.store;
        let (run, zombie) = common::started_run(s, "a.spl").await;
        assert!(
            s.expire_attempt(run.id, 0, 1, false, "lease expired")
                .await
                .expect("expire")
        );
        let retrying = s.run(run.id).await.expect("read").expect("exists");
        assert_eq!(
            (retrying.status, retrying.retry_count),
            (RunStatus::Retrying, 1),
            "{}",
            db.name
        );
        let late = s.complete(run.id, zombie, RunMetrics::default()).await;
        assert!(matches!(late, Err(StoreError::Fenced { .. })), "{late:?}");
        let next = s
            .begin_attempt(run.id, Uuid::now_v7(), 0)
            .await
            .expect("next attempt");
        assert!(
            s.expire_attempt(run.id, 0, 3, true, "lease expired")
                .await
                .expect("expire")
        );
        let failed = s.run(run.id).await.expect("read").expect("exists");
        assert_eq!(failed.status, RunStatus::Failed);
        assert_eq!(
            failed.metrics.and_then(|m| m.error_type).as_deref(),
            Some("timeout")
        );
        assert!(matches!(
            s.heartbeat(run.id, next).await,
            Err(StoreError::Fenced { .. })
        ));
        assert!(
            !s.expire_attempt(run.id, 0, 3, true, "again")
                .await
                .expect("no-op"),
            "failed is final for the reaper"
        );
    }
}

#[tokio::test]
async fn retry_resets_only_failed_runs_and_keeps_the_retry_count() {
    for db in common::backends().await {
        let s = &db.store;
        let run = s
            .create_run(common::new_run("a.spl"))
            .await
            .expect("create");
        let not_failed = s.reset_for_retry(run.id, Uuid::now_v7()).await;
        assert!(
            matches!(not_failed, Err(StoreError::NotFailed(_))),
            "{not_failed:?}"
        );
        let fence = s
            .begin_attempt(run.id, Uuid::now_v7(), 0)
            .await
            .expect("begin");
        s.schedule_retry(run.id, fence, "boom", "trace", 2)
            .await
            .expect("retry later");
        let fence = s
            .begin_attempt(run.id, Uuid::now_v7(), 0)
            .await
            .expect("begin again");
        s.fail(
            run.id,
            fence,
            "gave up",
            "trace",
            RunMetrics {
                retry_count: 2,
                ..Default::default()
            },
        )
        .await
        .expect("fail");
        let task = Uuid::now_v7();
        let reset = s.reset_for_retry(run.id, task).await.expect("reset");
        assert_eq!(
            (reset.status, reset.task_id, reset.retry_count),
            (RunStatus::Stored, Some(task), 2),
            "{}",
            db.name
        );
        assert_eq!(reset.metrics, None);
        assert!(matches!(
            s.reset_for_retry(run.id, task).await,
            Err(StoreError::NotFailed(_))
        ));
    }
}

#[tokio::test]
async fn creating_the_run_of_a_task_twice_returns_the_same_row() {
    for db in common::backends().await {
        let s = &db.store;
        let task = Uuid::now_v7();
        let first = s
            .create_run_for_task(task, common::new_run("ext.tgz"))
            .await
            .expect("first");
        let second = s
            .create_run_for_task(task, common::new_run("ext.tgz"))
            .await
            .expect("second");
        assert_eq!(first.id, second.id, "{}", db.name);
        assert_eq!(
            s.runs_by_status().await.expect("counts")["stored"],
            1,
            "{}",
            db.name
        );
        let other = s.create_run(common::new_run("b.spl")).await.expect("other");
        s.set_task_id(other.id, Uuid::now_v7())
            .await
            .expect("set task id");
        let missing = s
            .set_task_id(entity::store::RunId(999_999), Uuid::now_v7())
            .await;
        assert!(matches!(missing, Err(StoreError::NotFound(_))));
    }
}

#[tokio::test]
async fn a_late_expiry_record_of_an_older_delivery_leaves_the_live_attempt_alone() {
    for db in common::backends().await {
        let s = &db.store;
        let run = s.create_run(common::new_run("late.tgz")).await.unwrap();
        // Delivery 0 began, its lease expired, and the redelivery (attempt 1) began before the
        // reaper's record of that expiry reached the database.
        s.begin_attempt(run.id, Uuid::now_v7(), 0).await.unwrap();
        let live = s.begin_attempt(run.id, Uuid::now_v7(), 1).await.unwrap();
        let recorded = s
            .expire_attempt(run.id, 0, 1, false, "lease expired")
            .await
            .unwrap();
        assert!(!recorded, "the stale record changes nothing");
        s.heartbeat(run.id, live)
            .await
            .expect("the live attempt still holds the fence");
        let row = s.run(run.id).await.unwrap().unwrap();
        assert_eq!(
            row.retry_count, 1,
            "{}: the redelivery counts the retry the late record could not",
            db.name
        );
        assert_eq!(
            s.metrics_summary().await.unwrap().retry_stats.max_retries,
            1,
            "{}: the summary sees it too",
            db.name
        );
        // The live delivery's own expiry is recorded.
        assert!(
            s.expire_attempt(run.id, 1, 2, false, "lease expired")
                .await
                .unwrap()
        );
        assert!(
            s.heartbeat(run.id, live).await.is_err(),
            "now it is fenced out"
        );
    }
}

#[tokio::test]
async fn a_delivery_never_lowers_the_retry_count() {
    for db in common::backends().await {
        let s = &db.store;
        let (run, fence) = common::started_run(s, "kept.tgz").await;
        s.schedule_retry(run.id, fence, "boom", "trace", 2)
            .await
            .unwrap();
        // A dead-letter requeue restarts the broker's count under the same task id.
        s.begin_attempt(run.id, Uuid::now_v7(), 0).await.unwrap();
        let row = s.run(run.id).await.unwrap().unwrap();
        assert_eq!(row.retry_count, 2, "{}", db.name);
    }
}

#[tokio::test]
async fn a_delivery_that_only_records_a_verdict_is_not_counted_as_a_retry() {
    for db in common::backends().await {
        let s = &db.store;
        let run = s.create_run(common::new_run("rerun.tgz")).await.unwrap();
        let begin = |attempt, retries| {
            s.begin_delivery(run.id, Uuid::now_v7(), Delivered { attempt, retries })
        };
        let first = begin(3, 3).await.unwrap();
        // Its verdict was refused; the re-run is delivery 4 after the same 3 retries.
        let second = begin(4, 3).await.unwrap();
        assert_eq!(
            (first.retry_count, second.retry_count),
            (3, 3),
            "{}",
            db.name
        );
        assert_eq!(second.started_at, first.started_at, "the first start stays");
        let row = s.run(run.id).await.unwrap().unwrap();
        assert_eq!(
            (row.retry_count, row.started_at),
            (3, Some(first.started_at))
        );
        assert_ne!(first.fence, second.fence);
    }
}

#[tokio::test]
async fn an_exhausted_expiry_shows_its_own_error_and_what_the_run_reached() {
    for db in common::backends().await {
        let s = &db.store;
        let (run, fence) = common::started_run(s, "expired.tgz").await;
        s.schedule_retry(
            run.id,
            fence,
            "Transient error (retry 0): storage down",
            "storage down\ncaused by: connection refused",
            1,
        )
        .await
        .unwrap();
        let fence = s.begin_attempt(run.id, Uuid::now_v7(), 1).await.unwrap();
        s.write_results(run.id, fence, common::files(2, 3, 1))
            .await
            .unwrap();
        let message = "Failed after 1 retries: lease expired";
        assert!(s.expire_attempt(run.id, 1, 1, true, message).await.unwrap());
        let failed = s.run(run.id).await.unwrap().unwrap();
        assert_eq!(failed.error_message.as_deref(), Some(message));
        assert_eq!(
            failed.error_traceback.as_deref(),
            Some(message),
            "{}: never the earlier attempt's traceback",
            db.name
        );
        let metrics = failed.metrics.unwrap();
        assert_eq!(
            (
                metrics.files_parsed,
                metrics.stanzas_created,
                metrics.parse_errors,
                metrics.retry_count
            ),
            (2, 6, 0, 1),
            "{}",
            db.name
        );
        let wall = failed.completed_at.unwrap() - failed.started_at.unwrap();
        let wall = wall.num_microseconds().unwrap() as f64 / 1e6;
        assert!(metrics.duration_seconds > 0.0, "{metrics:?}");
        assert!(
            (metrics.duration_seconds - wall).abs() < 1e-5,
            "{}: {metrics:?} vs {wall}",
            db.name
        );
    }
}
