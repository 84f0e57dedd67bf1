//! `confq btool` and `confq diff` through the binary: an `etc/` tree is ingested by a real worker,
//! `btool props --debug` must print exactly `tests/golden/btool_debug.txt`, and a second upload's
//! diff names what changed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use support::archive::{Tar, gzip};
use support::{Env, wait_for};

const GOLDEN: &str = include_str!("golden/btool_debug.txt");

/// The worked example of issue 16 in an `etc/` tree, plus system/local, `[default]`,
/// pre-header settings, a multi-line value and a `.meta` file (never merged).
fn etc_tree(b_local: &str) -> Vec<u8> {
    let mut tar = Tar::new();
    tar.file(b"etc/apps/B/default/props.conf", b"[s]\na = 1\nb = 1\n")
        .file(
            b"etc/apps/A/default/props.conf",
            b"[s]\na = 2\n[multi]\nREGEX = one\\\ntwo\n",
        )
        .file(b"etc/apps/B/local/props.conf", b_local.as_bytes())
        .file(
            b"etc/apps/a_lower/default/props.conf",
            b"g = global\n[s]\na = lower\n",
        )
        .file(
            b"etc/system/default/props.conf",
            b"[default]\nc = 9\ng = system\n",
        )
        .file(b"etc/system/local/props.conf", b"[zzz]\nTRUNCATE = 0\n")
        .file(
            b"etc/apps/A/metadata/default.meta",
            b"[]\naccess = read : [ * ]\n",
        );
    gzip(&tar.finish())
}

/// Ingests `bytes` with a running worker and waits for the run to complete; its id.
fn ingest(env: &Env, name: &str, bytes: &[u8]) -> i64 {
    let run = env.ingest(&[env.file(name, bytes)])[0];
    wait_for(Duration::from_secs(60), "the run to complete", || {
        (env.status(run)["status"] == "complete").then_some(())
    });
    run
}

fn confq(env: &Env, args: &[&str]) -> std::process::Output {
    env.command()
        .arg("--no-migrate")
        .args(args)
        .output()
        .expect("run confq")
}

fn stdout(env: &Env, args: &[&str]) -> String {
    let output = confq(env, args);
    assert!(
        output.status.success(),
        "confq {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn btool_debug_matches_the_golden_file_and_diff_names_the_changes() {
    let mut env = Env::new("btool");
    env.migrate();
    let _worker = env.worker(1, &[]);
    let first = ingest(&env, "first.tgz", &etc_tree("[s]\nb = 3\n"));
    let run = first.to_string();

    assert_eq!(stdout(&env, &["btool", &run, "props", "--debug"]), GOLDEN);
    assert_eq!(
        stdout(&env, &["btool", &run, "props", "s"]),
        "[s]\na = 2\nb = 3\nc = 9\ng = global\n"
    );
    assert_eq!(stdout(&env, &["btool", &run, "nosuchconf"]), "");

    let second = ingest(&env, "second.tgz", &etc_tree("[s]\nb = 4\n"));
    let text = stdout(&env, &["diff", &run, &second.to_string()]);
    assert_eq!(
        text,
        "props [s]\n  ~ b = 3 (etc/apps/B/local/props.conf) -> 4 (etc/apps/B/local/props.conf)\n"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(
        &env,
        &["diff", &run, &second.to_string(), "--json"],
    ))
    .unwrap();
    assert_eq!(json["items"][0]["key"], "b");
    assert_eq!(json["items"][0]["after"]["value"], "4");
    assert_eq!(json["items"].as_array().unwrap().len(), 1);

    let missing = confq(&env, &["btool", "999999", "props"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("run 999999 not found"));
}
