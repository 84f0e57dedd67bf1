//! `ingest.parse_upload` of a premium-app-like archive through a real worker, Redis and SQLite:
//! the app packages under `install/` are ingested with `<package>!<member>` paths and their own
//! app names, and a package nested one level deeper is a warning on the run, not a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use async_compression::tokio::write::GzipEncoder;
use common::{EXAMPLE_FILES, EXAMPLE_STANZAS, EXAMPLE_TGZ, EXAMPLE_ZIP, Harness};
use entity::store::{Page, RunStatus};
use tokio::io::AsyncWriteExt;

const LIMIT: Duration = Duration::from_secs(20);
const APP_CONF: &[u8] = b"[install]\nstate = enabled\n";

/// A tar of `(path, data)` members.
async fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tokio_tar::Builder::new(Vec::new());
    for (path, data) in members {
        let mut header = tokio_tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, path, *data).await.unwrap();
    }
    builder.into_inner().await.unwrap()
}

async fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzipEncoder::new(Vec::new());
    encoder.write_all(bytes).await.unwrap();
    encoder.shutdown().await.unwrap();
    encoder.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packages_inside_the_archive_are_ingested_and_deeper_nesting_is_a_run_warning() {
    let bundle = tar(&[
        ("deep/default/props.conf", b"[s]\nTRUNCATE = 0\n"),
        ("deep/install/too_deep.tgz", EXAMPLE_TGZ),
    ])
    .await;
    let archive = gzip(
        &tar(&[
            ("Premium/default/app.conf", APP_CONF),
            ("Premium/install/apps.tgz", EXAMPLE_TGZ),
            ("Premium/install/apps.zip", EXAMPLE_ZIP),
            ("Premium/install/bundle.tar", &bundle),
        ])
        .await,
    )
    .await;
    let harness = Harness::new().await;
    let (run, _) = harness.submit(&archive, "premium.spl").await;
    let (shutdown, worker) = harness.start_worker(harness.worker_config()).await;
    let done = harness.wait_final(run.id, LIMIT).await;
    shutdown.graceful.cancel();
    worker.await.unwrap();

    assert_eq!(done.status, RunStatus::Complete, "{done:?}");
    let metrics = done.metrics.clone().expect("metrics");
    assert_eq!(metrics.files_parsed, 2 * EXAMPLE_FILES + 2);
    assert_eq!(metrics.stanzas_created, 2 * EXAMPLE_STANZAS + 2);
    assert_eq!(
        metrics.warnings,
        [
            r#""Premium/install/bundle.tar!deep/install/too_deep.tgz": package inside a package not opened (one level deep only); kept as a plain file"#
        ]
    );
    let page = Page {
        limit: 1000,
        after: None,
    };
    let files = harness.store.list_files(run.id, page).await.unwrap().items;
    let props = files
        .iter()
        .find(|f| f.path == "Premium/install/apps.zip!acme_inputs/default/inputs.conf")
        .expect("a member of the zip package");
    assert_eq!(
        (props.app.as_deref(), props.layer.as_str()),
        (Some("acme_inputs"), "default")
    );
    let deep = files
        .iter()
        .find(|f| f.path.starts_with("Premium/install/bundle.tar!"))
        .expect("the bundle's own conf file");
    assert_eq!(
        deep.path,
        "Premium/install/bundle.tar!deep/default/props.conf"
    );
    assert_eq!(deep.app.as_deref(), Some("deep"));
    assert!(!files.iter().any(|f| f.path.contains("too_deep.tgz!")));
    harness.cleanup().await;
}
