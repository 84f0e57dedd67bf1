//! Keyset pagination returns every row exactly once, even with inserts between pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use entity::StoreError;
use entity::store::{Page, RunFilter, RunStatus, StanzaFilter};
use uuid::Uuid;

#[tokio::test]
async fn run_pages_have_no_gaps_or_repeats_newest_first() {
    for db in common::backends().await {
        let s = &db.store;
        let mut created = BTreeSet::new();
        for i in 0..23 {
            created.insert(
                s.create_run(common::new_run(&format!("{i}.spl")))
                    .await
                    .expect("create")
                    .id,
            );
        }
        let (mut seen, mut after, mut last) = (Vec::new(), None, i64::MAX);
        loop {
            let page = s
                .list_runs(
                    RunFilter::default(),
                    Page {
                        limit: 5,
                        after: after.clone(),
                    },
                )
                .await
                .expect("page");
            for run in &page.items {
                assert!(run.id.0 < last, "{}: not newest first", db.name);
                last = run.id.0;
                seen.push(run.id);
            }
            // a run created mid-listing is newer than the cursor: it must not shift later pages
            s.create_run(common::new_run("late.spl"))
                .await
                .expect("create late");
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen.len(), created.len(), "{}", db.name);
        assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), created);
        let bad = s
            .list_runs(
                RunFilter::default(),
                Page {
                    limit: 5,
                    after: Some("x".into()),
                },
            )
            .await;
        assert!(matches!(bad, Err(StoreError::InvalidCursor)));
    }
}

#[tokio::test]
async fn status_filter_and_stanza_pages_cover_everything_once() {
    for db in common::backends().await {
        let s = &db.store;
        let run = s
            .create_run(common::new_run("a.spl"))
            .await
            .expect("create");
        s.create_run(common::new_run("b.spl"))
            .await
            .expect("create");
        let fence = s
            .begin_attempt(run.id, Uuid::now_v7(), 0)
            .await
            .expect("begin");
        s.write_results(run.id, fence, common::files(3, 7, 2))
            .await
            .expect("write");
        let parsing = s
            .list_runs(
                RunFilter {
                    status: Some(RunStatus::Parsing),
                },
                Page::default(),
            )
            .await
            .expect("list");
        assert_eq!(
            parsing.items.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![run.id],
            "{}",
            db.name
        );
        assert_eq!(parsing.next, None);
        let (mut ids, mut after) = (Vec::new(), None);
        loop {
            let page = s
                .list_stanzas(run.id, StanzaFilter::default(), Page { limit: 4, after })
                .await
                .expect("page");
            ids.extend(page.items.iter().map(|st| st.id));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let unique: BTreeSet<_> = ids.iter().copied().collect();
        assert_eq!((ids.len(), unique.len()), (21, 21), "{}", db.name);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "file order");
        let json = serde_json::to_value(
            s.list_files(
                run.id,
                Page {
                    limit: 2,
                    after: None,
                },
            )
            .await
            .expect("files"),
        )
        .expect("json");
        assert_eq!(
            json.as_object().expect("object").keys().collect::<Vec<_>>(),
            ["items", "next"]
        );
        assert!(json["next"].is_string());
    }
}
