//! `Store::search_settings` on SQLite and PostgreSQL: exact keys, `*` patterns, value substrings
//! (case-insensitive, wildcards literal), filters, pagination, rewrites and NUL-holding rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use entity::Store;
use entity::store::{
    Indexed, KeyPattern, NewConfFile, NewStanza, Page, RunId, RunMetrics, SettingFilter,
    SettingRow, value_substring,
};
use uuid::Uuid;

fn file(path: &str, app: &str, conf: &str, stanzas: &[(&str, &[(&str, &str)])]) -> NewConfFile {
    NewConfFile {
        path: path.to_owned(),
        app: Some(app.to_owned()),
        layer: path.split('/').nth(1).unwrap_or("other").to_owned(),
        conf_type: conf.to_owned(),
        size_bytes: 1,
        sha256: "00".repeat(32),
        parse_error: None,
        warnings: vec![],
        stanzas: stanzas
            .iter()
            .enumerate()
            .map(|(i, (name, settings))| NewStanza {
                name: (*name).to_owned(),
                global: false,
                line: 1 + 10 * i as i64,
                settings: settings
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            })
            .collect(),
    }
}

fn corpus() -> Vec<NewConfFile> {
    vec![
        file(
            "A/default/props.conf",
            "A",
            "props",
            &[
                (
                    "web",
                    &[("TRUNCATE", "0"), ("EVAL-a", "if(x=1,\"Y\",\"n\")")],
                ),
                (
                    "db",
                    &[
                        ("EVAL-b", "100% sure"),
                        ("EVALx", "no"),
                        ("TRUNCATE", "10000"),
                    ],
                ),
            ],
        ),
        file(
            "B/local/props.conf",
            "B",
            "props",
            &[("web", &[("TRUNCATE", "5"), ("REPORT-x", "a_b")])],
        ),
        file(
            "B/default/transforms.conf",
            "B",
            "transforms",
            &[(
                "t",
                &[
                    ("REGEX", "(?<user>\\w+) Login FAILED"),
                    ("k\0ey", "nul\0value \\ x"),
                ],
            )],
        ),
    ]
}

/// A run written, completed and indexed for search, as a worker's delivery leaves it.
async fn ingested(store: &Store, name: &str) -> RunId {
    let run = completed(store, name).await;
    store.index_settings(run).await.expect("index");
    run
}

/// A run written and completed, not yet indexed.
async fn completed(store: &Store, name: &str) -> RunId {
    let (run, fence) = common::started_run(store, name).await;
    store
        .write_results(run.id, fence, corpus())
        .await
        .expect("write");
    store
        .complete(run.id, fence, RunMetrics::default())
        .await
        .expect("complete");
    run.id
}

async fn search(store: &Store, filter: SettingFilter) -> Vec<SettingRow> {
    let page = Page {
        limit: 1000,
        after: None,
    };
    store
        .search_settings(&filter, page)
        .await
        .expect("search")
        .items
}

fn key(pattern: &str) -> SettingFilter {
    SettingFilter {
        key: Some(KeyPattern::parse(pattern).expect("pattern")),
        ..SettingFilter::default()
    }
}

fn places(rows: &[SettingRow]) -> Vec<(i64, &str, &str, &str)> {
    rows.iter()
        .map(|r| {
            (
                r.run_id,
                r.source_path.as_str(),
                r.stanza.as_str(),
                r.key.as_str(),
            )
        })
        .collect()
}

#[tokio::test]
async fn exact_keys_and_star_patterns_find_every_place_across_runs() {
    for db in common::backends().await {
        let s = &db.store;
        let (one, two) = (ingested(s, "one.spl").await, ingested(s, "two.spl").await);
        let truncate = search(s, key("TRUNCATE")).await;
        assert_eq!(truncate.len(), 6, "{}", db.name);
        let first = &truncate[0];
        assert_eq!(
            (
                first.run_id,
                first.conf.as_str(),
                first.stanza.as_str(),
                first.value.as_str()
            ),
            (one.0, "props", "web", "0"),
            "{}",
            db.name
        );
        assert_eq!(
            (
                first.app.as_deref(),
                first.layer.as_str(),
                first.source_path.as_str(),
                first.line
            ),
            (Some("A"), "default", "A/default/props.conf", 1)
        );
        // With a key filter, places come grouped by key, then in ingestion order.
        let eval = search(s, key("EVAL-*")).await;
        assert_eq!(
            places(&eval),
            [
                (one.0, "A/default/props.conf", "web", "EVAL-a"),
                (two.0, "A/default/props.conf", "web", "EVAL-a"),
                (one.0, "A/default/props.conf", "db", "EVAL-b"),
                (two.0, "A/default/props.conf", "db", "EVAL-b"),
            ],
            "{}",
            db.name
        );
        // Keys are case-sensitive; `*` anywhere; `_` and `?` are no wildcards.
        assert!(search(s, key("truncate")).await.is_empty(), "{}", db.name);
        assert_eq!(search(s, key("*-x")).await.len(), 2, "{}", db.name);
        assert_eq!(search(s, key("*VAL*")).await.len(), 6, "{}", db.name);
        assert!(search(s, key("REPORT_x")).await.is_empty(), "{}", db.name);
        assert!(search(s, key("EVAL?a")).await.is_empty(), "{}", db.name);
        let filtered = SettingFilter {
            run: Some(two),
            conf: Some("props".into()),
            app: Some("B".into()),
            ..key("TRUNCATE")
        };
        assert_eq!(
            places(&search(s, filtered).await),
            [(two.0, "B/local/props.conf", "web", "TRUNCATE")]
        );
    }
}

#[tokio::test]
async fn value_substrings_ignore_case_and_take_wildcards_literally() {
    for db in common::backends().await {
        let s = &db.store;
        let run = ingested(s, "one.spl").await;
        let value = |v: &str| SettingFilter {
            value: Some(value_substring(v).expect("value")),
            ..SettingFilter::default()
        };
        let failed = search(s, value("login failed")).await;
        assert_eq!(
            places(&failed),
            [(run.0, "B/default/transforms.conf", "t", "REGEX")],
            "{}",
            db.name
        );
        assert_eq!(search(s, value("100%")).await.len(), 1, "{}", db.name);
        assert!(search(s, value("1%0")).await.is_empty(), "{}", db.name);
        assert_eq!(search(s, value("a_b")).await.len(), 1, "{}", db.name);
        assert!(
            search(s, value("a_")).await.len() == 1,
            "{}: short substrings scan",
            db.name
        );
        assert_eq!(search(s, value("\"y\"")).await.len(), 1, "{}", db.name);
        let both = SettingFilter {
            value: Some("0".into()),
            ..key("TRUNCATE")
        };
        assert_eq!(search(s, both).await.len(), 2, "{}", db.name);
        // A row holding NUL is stored escaped and read back exactly.
        let nul = search(s, key("k\0ey")).await;
        assert_eq!(nul.len(), 1, "{}", db.name);
        assert_eq!(nul[0].value, "nul\0value \\ x");
        assert_eq!(search(s, key("k\0*")).await.len(), 1, "{}", db.name);
        assert_eq!(search(s, value("L\0VALUE")).await.len(), 1, "{}", db.name);
    }
}

#[tokio::test]
async fn pages_follow_the_cursor_and_a_rewritten_run_is_indexed_once() {
    for db in common::backends().await {
        let s = &db.store;
        let (run, fence) = common::started_run(s, "a.spl").await;
        s.write_results(run.id, fence, common::files(3, 4, 5))
            .await
            .expect("write");
        let fence = s
            .begin_attempt(run.id, Uuid::now_v7(), 0)
            .await
            .expect("again");
        s.write_results(run.id, fence, common::files(3, 4, 5))
            .await
            .expect("rewrite");
        s.complete(run.id, fence, RunMetrics::default())
            .await
            .expect("complete");
        s.index_settings(run.id).await.expect("index");
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = Page {
                limit: 5,
                after: after.clone(),
            };
            let got = s.search_settings(&key("KEY_*"), page).await.expect("page");
            seen.extend(
                got.items
                    .iter()
                    .map(|r| (r.source_path.clone(), r.stanza.clone(), r.key.clone())),
            );
            match got.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen.len(), 3 * 4 * 5, "{}", db.name);
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 60, "{}: no repeats", db.name);
        let value = SettingFilter {
            value: Some("VALUE 3".into()),
            ..SettingFilter::default()
        };
        assert_eq!(search(s, value).await.len(), 12, "{}", db.name);
    }
}

#[tokio::test]
async fn a_complete_run_is_searchable_once_indexed_and_only_once() {
    for db in common::backends().await {
        let s = &db.store;
        let run = completed(s, "later.spl").await;
        let before = s.run(run).await.expect("read").expect("run");
        assert_eq!(before.settings_indexed_at, None, "{}", db.name);
        assert!(search(s, key("TRUNCATE")).await.is_empty(), "{}", db.name);
        assert_eq!(
            s.index_settings(run).await.expect("index"),
            Indexed::Now(9),
            "{}",
            db.name
        );
        let after = s.run(run).await.expect("read").expect("run");
        assert!(after.settings_indexed_at.is_some(), "{}", db.name);
        assert_eq!(search(s, key("TRUNCATE")).await.len(), 3, "{}", db.name);
        // A second indexing (a redelivery) writes nothing: no duplicates.
        assert_eq!(
            s.index_settings(run).await.expect("again"),
            Indexed::Already,
            "{}",
            db.name
        );
        let all = search(s, SettingFilter::default()).await;
        assert_eq!(all.len(), 9, "{}", db.name);
        let nul = search(s, key("k\0ey")).await;
        assert_eq!(nul.len(), 1, "{}", db.name);
        assert_eq!(nul[0].value, "nul\0value \\ x", "{}", db.name);
    }
}

#[tokio::test]
async fn a_run_that_is_not_complete_is_not_indexed() {
    for db in common::backends().await {
        let s = &db.store;
        let (run, fence) = common::started_run(s, "parsing.spl").await;
        s.write_results(run.id, fence, corpus())
            .await
            .expect("write");
        let refused = s.index_settings(run.id).await.expect_err("not complete");
        assert!(
            matches!(refused, entity::StoreError::NotComplete { .. }),
            "{}: {refused:?}",
            db.name
        );
        assert!(
            search(s, SettingFilter::default()).await.is_empty(),
            "{}",
            db.name
        );
    }
}
