//! Many runs changing state at once: no deadlock, no busy error, totals equal to a scan.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use entity::store::{RunMetrics, RunStatus};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_lifecycles_keep_run_stats_exact() {
    for db in common::backends().await {
        let mut tasks = Vec::new();
        for i in 0..24 {
            let s = db.store.clone();
            tasks.push(tokio::spawn(async move {
                let run = s.create_run(common::new_run(&format!("{i}.spl"))).await?;
                let fence = s.begin_attempt(run.id, Uuid::now_v7(), 0).await?;
                s.write_results(run.id, fence, common::files(2, 5, 3))
                    .await?;
                if i % 3 == 0 {
                    s.fail(run.id, fence, "bad", "tb", RunMetrics::default())
                        .await?;
                } else {
                    s.complete(
                        run.id,
                        fence,
                        RunMetrics {
                            duration_seconds: 1.0,
                            ..Default::default()
                        },
                    )
                    .await?;
                }
                Ok::<_, entity::StoreError>(())
            }));
        }
        for task in tasks {
            task.await
                .expect("join")
                .unwrap_or_else(|e| panic!("{}: {e}", db.name));
        }
        let counts = db.store.runs_by_status().await.expect("counts");
        assert_eq!(counts[RunStatus::Complete.as_str()], 16, "{}", db.name);
        assert_eq!(counts[RunStatus::Failed.as_str()], 8, "{}", db.name);
        assert_eq!(counts.values().sum::<i64>(), 24);
        let summary = db.store.metrics_summary().await.expect("summary");
        assert_eq!(summary.avg_duration_seconds, Some(1.0));
    }
}
