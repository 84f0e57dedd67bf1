//! What the API's sweep looks for, on every backend: runs whose task never reached Redis, and
//! complete runs whose settings were never indexed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use entity::store::RunMetrics;
use uuid::Uuid;

#[tokio::test]
async fn stale_stored_and_unindexed_complete_runs_are_found_for_the_sweep() {
    for db in common::backends().await {
        let s = &db.store;
        let run = s
            .create_run(common::new_run("a.spl"))
            .await
            .expect("create");
        let started = s
            .create_run(common::new_run("b.spl"))
            .await
            .expect("create");
        s.begin_attempt(started.id, Uuid::now_v7(), 0)
            .await
            .expect("begin");
        let (unindexed, fence) = common::started_run(s, "c.spl").await;
        s.complete(unindexed.id, fence, RunMetrics::default())
            .await
            .expect("complete");
        let (indexed, fence) = common::started_run(s, "d.spl").await;
        s.complete(indexed.id, fence, RunMetrics::default())
            .await
            .expect("complete");
        s.index_settings(indexed.id).await.expect("index");
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        let stale = s
            .stale_unfinished_runs(std::time::Duration::from_millis(10), 10)
            .await
            .expect("stale");
        assert_eq!(
            stale.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![run.id, unindexed.id],
            "{}",
            db.name
        );
        let fresh = s
            .stale_unfinished_runs(std::time::Duration::from_secs(60), 10)
            .await
            .expect("stale");
        assert!(fresh.is_empty());
    }
}
