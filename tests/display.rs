//! Producer strings reach the operator safely: a task name with terminal escapes is shown escaped
//! by `confq dead list`, and the `{"object", "filename"}` form's file name is stored sanitised as
//! an upload's is. Real `confq` processes on a private key prefix and data dir.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use support::{Env, wait_for};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/splunk-apps.tgz");
const PATIENCE: Duration = Duration::from_secs(55);

#[test]
fn producer_strings_are_stored_sanitised_and_shown_escaped() {
    let mut env = Env::new("display");
    env.migrate();
    let _worker = env.worker(1, &[]);
    // A service that wrote the archive into the storage itself.
    let object = env.data_dir().join("uploads/producer/apps.tgz");
    std::fs::create_dir_all(object.parent().unwrap()).unwrap();
    std::fs::copy(EXAMPLE, &object).unwrap();
    let object_task = env.enqueue(
        "ingest.parse_upload",
        r#"{"object": "producer/apps.tgz", "filename": "../\u0007bell\u001b[2J.tgz"}"#,
    );
    env.enqueue("evil\u{1b}[31mtask\u{7}", "{}");

    let run = wait_for(PATIENCE, "the producer's run to complete", || {
        env.stored_run(&object_task)
            .filter(|run| run.status.as_str() == "complete")
    });
    assert_eq!(run.filename, "../_bell_[2J.tgz", "sanitised as an upload");
    wait_for(PATIENCE, "the unknown task in the dead list", || {
        (env.dead().len() == 1).then_some(())
    });

    let output = env.command().args(["dead", "list"]).output().unwrap();
    assert!(output.status.success());
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{7}'),
        "raw control characters reach the terminal: {table:?}"
    );
    assert!(
        table.contains("evil\\u{1b}[31mtask\\u{7}"),
        "the name is shown escaped: {table}"
    );
}
