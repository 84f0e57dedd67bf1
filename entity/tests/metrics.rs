//! The incrementally kept metrics summary equals a full scan on a known data set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use entity::store::RunMetrics;
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

fn metrics(duration: f64, retries: i64, error_type: Option<&str>) -> RunMetrics {
    RunMetrics {
        duration_seconds: duration,
        retry_count: retries,
        error_type: error_type.map(str::to_owned),
        ..Default::default()
    }
}

#[tokio::test]
async fn metrics_summary_matches_a_known_data_set() {
    for db in common::backends().await {
        let s = &db.store;
        let mut ids = Vec::new();
        for i in 0..8 {
            ids.push(
                s.create_run(common::new_run(&format!("{i}.spl")))
                    .await
                    .expect("create")
                    .id,
            );
        }
        // 0, 1: complete in 2 s and 4 s (run 1 after one retry)
        let f = s
            .begin_attempt(ids[0], Uuid::now_v7(), 0)
            .await
            .expect("begin");
        s.complete(ids[0], f, metrics(2.0, 0, None))
            .await
            .expect("complete");
        let f = s
            .begin_attempt(ids[1], Uuid::now_v7(), 0)
            .await
            .expect("begin");
        s.schedule_retry(ids[1], f, "flaky", "tb", 1)
            .await
            .expect("retry");
        let f = s
            .begin_attempt(ids[1], Uuid::now_v7(), 0)
            .await
            .expect("begin");
        s.complete(ids[1], f, metrics(4.0, 1, None))
            .await
            .expect("complete");
        // 2: failed permanently; 3: timed out after 3 retries
        let f = s
            .begin_attempt(ids[2], Uuid::now_v7(), 0)
            .await
            .expect("begin");
        s.fail(
            ids[2],
            f,
            "not an archive",
            "tb",
            metrics(0.5, 0, Some("permanent")),
        )
        .await
        .expect("fail");
        s.begin_attempt(ids[3], Uuid::now_v7(), 0)
            .await
            .expect("begin");
        s.expire_attempt(ids[3], 0, 3, true, "lease expired")
            .await
            .expect("expire");
        // 4: parsing; 5: retrying with 2 retries; 6, 7: stored
        s.begin_attempt(ids[4], Uuid::now_v7(), 0)
            .await
            .expect("begin");
        let f = s
            .begin_attempt(ids[5], Uuid::now_v7(), 0)
            .await
            .expect("begin");
        s.schedule_retry(ids[5], f, "flaky", "tb", 2)
            .await
            .expect("retry");

        let summary = s.metrics_summary().await.expect("summary");
        let counts: Vec<_> = summary
            .status_counts
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            counts,
            [
                ("cancelled", 0),
                ("complete", 2),
                ("failed", 2),
                ("parsing", 1),
                ("retrying", 1),
                ("stored", 2)
            ],
            "{}",
            db.name
        );
        assert_eq!(summary.retry_stats.max_retries, 3);
        assert!(
            (summary.retry_stats.avg_retries - 6.0 / 8.0).abs() < 1e-9,
            "{:?}",
            summary.retry_stats
        );
        assert_eq!(summary.avg_duration_seconds, Some(3.0));
        let failures: Vec<_> = summary
            .recent_failures
            .iter()
            .map(|f| (f.id, f.error_type.clone()))
            .collect();
        assert_eq!(
            failures,
            [
                (ids[3], Some("timeout".to_owned())),
                (ids[2], Some("permanent".to_owned()))
            ],
            "{}",
            db.name
        );
        assert_eq!(
            scan_counts(s).await,
            summary.status_counts,
            "{}: incremental counts drifted",
            db.name
        );

        let json = serde_json::to_value(&summary).expect("json");
        let keys: Vec<_> = json.as_object().expect("object").keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "status_counts",
                "retry_stats",
                "avg_duration_seconds",
                "recent_failures"
            ]
        );
        let failure: Vec<_> = json["recent_failures"][0]
            .as_object()
            .expect("obj")
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            failure,
            ["id", "error_message", "completed_at", "error_type"]
        );
    }
}

async fn scan_counts(s: &entity::Store) -> std::collections::BTreeMap<String, i64> {
    let conn = s.connection();
    let sql = "SELECT status, COUNT(*) AS n FROM ingestion_runs GROUP BY status";
    let rows = conn
        .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .expect("scan");
    let mut counts: std::collections::BTreeMap<String, i64> = entity::store::RunStatus::ALL
        .iter()
        .map(|st| (st.as_str().to_owned(), 0))
        .collect();
    for row in rows {
        counts.insert(
            row.try_get("", "status").expect("status"),
            row.try_get("", "n").expect("n"),
        );
    }
    counts
}
