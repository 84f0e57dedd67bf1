//! Object storage on `file://` and on `s3://` against a real local S3 server (moto_server).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};

use entity::{Storage, StorageError};
use tokio::io::AsyncReadExt;

async fn exercise(storage: &Storage, label: &str) {
    let body: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let stored = storage
        .put_stream(&body[..], 10_000_000)
        .await
        .unwrap_or_else(|e| panic!("{label}: put: {e}"));
    assert_eq!(stored.size_bytes, body.len() as u64);
    assert_eq!(stored.sha256.len(), 64);
    assert!(stored.key.starts_with("uploads/"), "{}", stored.key);
    assert!(storage.exists(&stored.key).await.expect("exists"));
    let mut read = Vec::new();
    storage
        .open(&stored.key)
        .await
        .expect("open")
        .read_to_end(&mut read)
        .await
        .expect("read");
    assert!(read == body, "{label}: bytes differ");
    storage.delete(&stored.key).await.expect("delete");
    assert!(
        !storage
            .exists(&stored.key)
            .await
            .expect("exists after delete")
    );
    let missing = storage.open(&stored.key).await.err().expect("open deleted");
    assert!(
        matches!(missing, StorageError::NotFound { .. }),
        "{label}: {missing:?}"
    );
    storage
        .delete(&stored.key)
        .await
        .expect("deleting twice is fine");

    let too_large = storage
        .put_stream(&body[..], 1_000_000)
        .await
        .expect_err("over the limit");
    assert!(
        matches!(too_large, StorageError::TooLarge { limit: 1_000_000 }),
        "{label}: {too_large:?}"
    );
    let empty = storage.put_stream(&b""[..], 100).await.expect_err("empty");
    assert!(matches!(empty, StorageError::Empty), "{label}: {empty:?}");
    let escape = storage
        .open("../../etc/passwd")
        .await
        .err()
        .expect("escape");
    assert!(
        matches!(escape, StorageError::InvalidKey { .. }),
        "{label}: {escape:?}"
    );
}

#[tokio::test]
async fn file_storage_puts_reads_deletes_and_refuses_bad_uploads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("data/uploads");
    let storage = Storage::from_url(&format!("file://{}", root.display())).expect("storage");
    exercise(&storage, "file").await;
    let leftovers: Vec<_> = walk(&root);
    assert!(
        leftovers.is_empty(),
        "rejected uploads left files: {leftovers:?}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path))
        } else {
            files.push(path)
        }
    }
    files
}

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `moto_server` on a free port; fails the test when it is missing or does not answer.
fn start_moto() -> (Moto, u16) {
    let program = testenv::need(testenv::deps::moto_server());
    testenv::need(testenv::deps::curl());
    let port = testenv::free_port();
    let child = Command::new(program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn moto_server");
    let moto = Moto(child);
    let what = format!("moto_server to answer on port {port}");
    testenv::wait::until_blocking(testenv::wait::LONG, &what, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    (moto, port)
}

const CHILD: &str = "CONFQ_TEST_S3_CHILD";

#[tokio::test]
#[ignore = "needs moto_server (pip install 'moto[server]') and curl; .ci/run runs it (-- --ignored)"]
async fn s3_storage_works_against_a_local_s3_server() {
    if std::env::var_os(CHILD).is_some() {
        // the re-executed child: AWS_* variables point at moto
        let storage = Storage::from_url("s3://confq-test/some/prefix").expect("s3 storage");
        exercise(&storage, "s3").await;
        return;
    }
    let (_moto, port) = start_moto();
    let endpoint = format!("http://127.0.0.1:{port}");
    // create the bucket with a plain HTTP PUT (moto accepts unsigned requests)
    let status = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "PUT",
            &format!("{endpoint}/confq-test"),
        ])
        .output()
        .expect("curl");
    assert_eq!(
        String::from_utf8_lossy(&status.stdout),
        "200",
        "bucket creation"
    );
    // The S3 client reads AWS_* from the environment, and set_var is unsafe (forbidden here):
    // run this same test again in a child process with the variables set.
    let out = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "s3_storage_works_against_a_local_s3_server",
            "--exact",
            "--include-ignored",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .output()
        .expect("run child");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && report.contains("1 passed"),
        "{report}"
    );
}
