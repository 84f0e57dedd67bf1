//! The Splunk views over HTTP on SQLite and PostgreSQL: the effective configuration (the issue's
//! worked example, exact item shape, stanza filter, pages), the diff of two runs, and the bad
//! inputs (unknown conf → empty, run not complete → 409 with its status, bad cursor → 400).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use api::ApiConfig;
use axum::http::StatusCode;
use common::TestApp;
use entity::store::{NewConfFile, NewRun, NewStanza, RunId, RunMetrics, RunSource};
use serde_json::{Value, json};

/// One file as the worker would store it: `app/layer/...` parsed from `text`.
fn conf(path: &str, text: &str) -> NewConfFile {
    let dirs: Vec<&str> = path.split('/').collect();
    let layer = dirs[dirs.len() - 2];
    let app = if path.starts_with("etc/system/") {
        "system"
    } else {
        dirs[dirs.len() - 3]
    };
    let file = dirs[dirs.len() - 1];
    let conf_type = if file.ends_with(".meta") {
        "meta"
    } else {
        file.trim_end_matches(".conf")
    };
    let parsed = splunk::parse(text.as_bytes()).unwrap();
    let stanza = |s: &splunk::conf::Stanza, global| NewStanza {
        name: s.name.clone(),
        global,
        line: i64::from(s.lines[0]),
        settings: s.settings.clone(),
    };
    let mut stanzas: Vec<NewStanza> = parsed.global.iter().map(|g| stanza(g, true)).collect();
    stanzas.extend(parsed.stanzas.iter().map(|s| stanza(s, false)));
    NewConfFile {
        path: path.to_owned(),
        app: Some(app.to_owned()),
        layer: layer.to_owned(),
        conf_type: conf_type.to_owned(),
        size_bytes: text.len() as i64,
        sha256: "ab".repeat(32),
        parse_error: None,
        warnings: vec![],
        stanzas,
    }
}

/// A run holding `files`; complete unless `complete` is false (then it stays `parsing`).
async fn run_with(t: &TestApp, files: Vec<NewConfFile>, complete: bool) -> RunId {
    let run = t
        .store
        .create_run(NewRun {
            filename: "apps.tgz".into(),
            object_key: format!("uploads/x/{}", uuid::Uuid::now_v7()),
            size_bytes: 1,
            sha256: "cd".repeat(32),
            source: RunSource::Api,
            task_id: Some(uuid::Uuid::now_v7()),
            queue: None,
        })
        .await
        .unwrap();
    let fence = t
        .store
        .begin_attempt(run.id, run.task_id.unwrap(), 0)
        .await
        .unwrap();
    t.store.write_results(run.id, fence, files).await.unwrap();
    if complete {
        t.store
            .complete(run.id, fence, RunMetrics::default())
            .await
            .unwrap();
    }
    run.id
}

fn worked_example() -> Vec<NewConfFile> {
    vec![
        conf("B/default/props.conf", "[s]\na = 1\nb = 1\n"),
        conf("A/default/props.conf", "[s]\na = 2\n"),
        conf("B/local/props.conf", "[s]\nb = 3\n"),
        conf("etc/system/default/props.conf", "[default]\nc = 9\n"),
        conf("A/metadata/default.meta", "[]\naccess = read : [ * ]\n"),
        conf(
            "A/default/transforms.conf",
            "[t1]\nREGEX = x\n[t2]\nREGEX = y\n",
        ),
    ]
}

#[tokio::test]
async fn the_effective_view_merges_the_worked_example_with_provenance() {
    for t in TestApp::backends(ApiConfig::default()).await {
        let run = run_with(&t, worked_example(), true).await;
        let (status, page) = t
            .get(&format!("/v1/runs/{run}/effective/props?stanza=s"))
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {page}", t.backend);
        let setting = |value: &str, app: &str, layer: &str, path: &str, inherited| json!({"value": value, "app": app, "layer": layer, "source_path": path, "line": 1, "inherited": inherited});
        assert_eq!(
            page,
            json!({"items": [{"stanza": "s", "settings": {
                "a": setting("2", "A", "default", "A/default/props.conf", false),
                "b": setting("3", "B", "local", "B/local/props.conf", false),
                "c": setting("9", "system", "default", "etc/system/default/props.conf", true),
            }}], "next": null}),
            "{}",
            t.backend
        );
        let (_, page) = t.get(&format!("/v1/runs/{run}/effective/props")).await;
        let names: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["stanza"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["default", "s"]);
    }
}

#[tokio::test]
async fn effective_stanzas_page_in_name_order_and_unknown_or_meta_confs_are_empty() {
    for t in TestApp::backends(ApiConfig::default()).await {
        let mut files = worked_example();
        let many: String = (0..7).map(|i| format!("[st_{i}]\nk = {i}\n")).collect();
        files.push(conf(
            "C/local/props.conf",
            &format!("[]\nempty = name\n{many}"),
        ));
        let run = run_with(&t, files, true).await;
        let (items, pages) = t
            .all_pages(&format!("/v1/runs/{run}/effective/props?limit=3"))
            .await;
        let names: Vec<&str> = items
            .iter()
            .map(|s| s["stanza"].as_str().unwrap())
            .collect();
        let mut want = vec!["", "default", "s"];
        let st: Vec<String> = (0..7).map(|i| format!("st_{i}")).collect();
        want.extend(st.iter().map(String::as_str));
        assert_eq!((names, pages), (want, 4), "{}", t.backend);
        for conf in ["nosuchconf", "meta"] {
            let (status, page) = t.get(&format!("/v1/runs/{run}/effective/{conf}")).await;
            assert_eq!(
                (status, page),
                (StatusCode::OK, json!({"items": [], "next": null})),
                "{conf}"
            );
        }
    }
}

#[tokio::test]
async fn runs_that_are_not_complete_answer_409_with_their_status() {
    for t in TestApp::backends(ApiConfig::default()).await {
        let done = run_with(&t, worked_example(), true).await;
        let parsing = run_with(&t, worked_example(), false).await;
        for uri in [
            format!("/v1/runs/{parsing}/effective/props"),
            format!("/v1/runs/{done}/diff/{parsing}"),
            format!("/v1/runs/{parsing}/diff/{done}?conf=props"),
        ] {
            let (status, body) = t.get(&uri).await;
            assert_eq!(status, StatusCode::CONFLICT, "{uri}: {body}");
            assert_eq!(
                body["error"],
                format!("run {parsing} is parsing, not complete")
            );
        }
        for (uri, want) in [
            (
                "/v1/runs/999999/effective/props".to_owned(),
                StatusCode::NOT_FOUND,
            ),
            (
                format!("/v1/runs/{done}/diff/999999"),
                StatusCode::NOT_FOUND,
            ),
            (
                format!("/v1/runs/{done}/effective/props?after=zz"),
                StatusCode::BAD_REQUEST,
            ),
            (
                format!("/v1/runs/{done}/diff/{done}?after=12"),
                StatusCode::BAD_REQUEST,
            ),
            (
                format!("/v1/runs/{done}/diff/{done}?limit=0"),
                StatusCode::BAD_REQUEST,
            ),
            (format!("/v1/runs/{done}/diff/x"), StatusCode::BAD_REQUEST),
        ] {
            let (status, body) = t.get(&uri).await;
            assert_eq!(status, want, "{uri}: {body}");
        }
    }
}

#[tokio::test]
async fn the_diff_of_two_runs_lists_changes_by_conf_stanza_and_key() {
    for t in TestApp::backends(ApiConfig::default()).await {
        let before = run_with(&t, worked_example(), true).await;
        let mut files = worked_example();
        files[2] = conf("B/local/props.conf", "[s]\nb = 4\nnew = 1\n");
        files[5] = conf("A/default/transforms.conf", "[t1]\nREGEX = x\n");
        files[4] = conf("A/metadata/default.meta", "[]\naccess = changed\n");
        let after = run_with(&t, files, true).await;
        let (items, pages) = t
            .all_pages(&format!("/v1/runs/{before}/diff/{after}?limit=2"))
            .await;
        let summary: Vec<(String, String, String, String)> = items
            .iter()
            .map(|c| {
                let text = |k: &str| c[k].as_str().unwrap().to_owned();
                (text("conf"), text("stanza"), text("key"), text("change"))
            })
            .collect();
        let row = |c: &str, s: &str, k: &str, x: &str| (c.into(), s.into(), k.into(), x.into());
        assert_eq!(
            (summary, pages),
            (
                vec![
                    row("props", "s", "b", "changed"),
                    row("props", "s", "new", "added"),
                    row("transforms", "t2", "REGEX", "removed"),
                ],
                2
            ),
            "{}",
            t.backend
        );
        assert_eq!(items[0]["before"]["value"], "3");
        assert_eq!(items[0]["after"]["source_path"], "B/local/props.conf");
        assert_eq!(items[1]["before"], Value::Null);
        assert_eq!(items[2]["after"], Value::Null);
        let (_, page) = t
            .get(&format!("/v1/runs/{before}/diff/{after}?conf=transforms"))
            .await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        let (_, same) = t.get(&format!("/v1/runs/{before}/diff/{before}")).await;
        assert_eq!(same, json!({"items": [], "next": null}));
    }
}
