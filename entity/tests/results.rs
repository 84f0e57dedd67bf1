//! Writing and reading parsed files and stanzas: idempotence, lossless text, order, filters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use entity::store::{FileWarning, NewConfFile, NewStanza, Page, StanzaFilter};
use uuid::Uuid;

fn all() -> Page {
    Page {
        limit: 1000,
        after: None,
    }
}

#[tokio::test]
async fn writing_the_same_runs_files_twice_leaves_one_copy() {
    for db in common::backends().await {
        let s = &db.store;
        let (run, fence) = common::started_run(s, "a.spl").await;
        let first = s
            .write_results(run.id, fence, common::files(2, 3, 4))
            .await
            .expect("write");
        assert_eq!((first.files, first.stanzas, first.settings), (2, 6, 24));
        // a redelivery of the same task rewrites under a new attempt
        let fence = s
            .begin_attempt(run.id, Uuid::now_v7(), 0)
            .await
            .expect("begin again");
        s.write_results(run.id, fence, common::files(2, 3, 4))
            .await
            .expect("rewrite");
        let files = s.list_files(run.id, all()).await.expect("files");
        let stanzas = s
            .list_stanzas(run.id, StanzaFilter::default(), all())
            .await
            .expect("stanzas");
        assert_eq!(
            (files.items.len(), stanzas.items.len()),
            (2, 6),
            "{}",
            db.name
        );
        assert_eq!(files.items[0].stanza_count, 3);
    }
}

fn weird_file() -> NewConfFile {
    NewConfFile {
        path: "app\0x/default/props.conf".to_owned(),
        app: Some("app\0x".to_owned()),
        layer: "default".to_owned(),
        conf_type: "props".to_owned(),
        size_bytes: 10,
        sha256: "00".repeat(32),
        parse_error: Some("bad\0line \\0 𝄞".to_owned()),
        warnings: vec![FileWarning {
            line: Some(3),
            message: "nul \0 here 😀".to_owned(),
        }],
        stanzas: vec![
            NewStanza {
                name: String::new(),
                global: true,
                line: 1,
                settings: vec![("g".into(), "1".into())],
            },
            NewStanza {
                name: String::new(),
                global: false,
                line: 2,
                settings: vec![],
            },
            NewStanza {
                name: "src\0::𝄞\\0".to_owned(),
                global: false,
                line: 4,
                settings: vec![
                    ("Z_LAST\0KEY".to_owned(), "v\0al 😀".to_owned()),
                    ("A_FIRST".to_owned(), "\\d+\0".to_owned()),
                    ("m".to_owned(), "𐍈 plain".to_owned()),
                ],
            },
        ],
    }
}

#[tokio::test]
async fn nul_and_non_bmp_text_round_trips_with_key_order_kept() {
    for db in common::backends().await {
        let s = &db.store;
        let mut new = common::new_run("a.spl");
        new.filename = "a\0𝄞.spl".to_owned();
        let run = s.create_run(new).await.expect("create");
        let fence = s
            .begin_attempt(run.id, Uuid::now_v7(), 0)
            .await
            .expect("begin");
        let plain = common::files(1, 1, 1).remove(0);
        s.write_results(run.id, fence, vec![weird_file(), plain])
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.name));
        let file = &s.list_files(run.id, all()).await.expect("files").items[0];
        let want = weird_file();
        assert_eq!(file.path, want.path, "{}", db.name);
        assert_eq!(file.app, want.app);
        assert_eq!(file.parse_error, want.parse_error);
        assert_eq!(file.warnings, want.warnings);
        let stanzas = s
            .list_stanzas(run.id, StanzaFilter::default(), all())
            .await
            .expect("stanzas")
            .items;
        assert_eq!(stanzas.len(), 4);
        let got: Vec<_> = stanzas[..3]
            .iter()
            .map(|st| (st.name.clone(), st.global, st.source_path.clone()))
            .collect();
        let expected: Vec<_> = want
            .stanzas
            .iter()
            .map(|st| (st.name.clone(), st.global, want.path.clone()))
            .collect();
        assert_eq!(got, expected, "{}", db.name);
        let settings: Vec<(String, String)> = stanzas[2]
            .settings
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("string").to_owned()))
            .collect();
        assert_eq!(
            settings, want.stanzas[2].settings,
            "{}: order or bytes changed",
            db.name
        );
        let run = s.run(run.id).await.expect("read").expect("exists");
        assert_eq!(
            run.filename, "a\u{2400}𝄞.spl",
            "run diagnostics show NUL as U+2400"
        );
    }
}

#[tokio::test]
async fn stanza_filters_match_conf_app_and_name_prefix_exactly() {
    for db in common::backends().await {
        let s = &db.store;
        let (run, fence) = common::started_run(s, "a.spl").await;
        let mut files = common::files(2, 12, 1);
        files[1].conf_type = "transforms".to_owned();
        s.write_results(
            run.id,
            fence,
            vec![weird_file(), files[0].clone(), files[1].clone()],
        )
        .await
        .expect("write");
        let find = |filter: StanzaFilter| async move {
            let page = s.list_stanzas(run.id, filter, all()).await.expect("list");
            page.items.into_iter().map(|st| st.name).collect::<Vec<_>>()
        };
        let by_prefix = find(StanzaFilter {
            name: Some("sourcetype_1".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(
            by_prefix.len(),
            2 * 3,
            "{}: sourcetype_1, _10, _11 in two files",
            db.name
        );
        let upper = find(StanzaFilter {
            name: Some("SOURCETYPE".into()),
            ..Default::default()
        })
        .await;
        assert!(
            upper.is_empty(),
            "{}: prefix match is case-sensitive",
            db.name
        );
        let wildcard = find(StanzaFilter {
            name: Some("sourcetype%".into()),
            ..Default::default()
        })
        .await;
        assert!(wildcard.is_empty(), "{}: no LIKE wildcards", db.name);
        let props_app1 = find(StanzaFilter {
            conf: Some("transforms".into()),
            app: Some("app1".into()),
            name: None,
        })
        .await;
        assert_eq!(props_app1.len(), 12);
        let nul = find(StanzaFilter {
            app: Some("app\0x".into()),
            name: Some("src\0".into()),
            conf: None,
        })
        .await;
        assert_eq!(nul, vec!["src\0::𝄞\\0".to_owned()], "{}", db.name);
    }
}
