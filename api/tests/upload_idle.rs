//! An upload body that stops arriving is cut off with 408 after the idle timeout and keeps
//! nothing; a slow body that keeps sending, for longer than the idle timeout in all, is accepted.
//! Over real TCP, because the timeout is on the body as hyper delivers it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use api::ApiConfig;
use common::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

const IDLE: Duration = Duration::from_millis(1500);

async fn serving(t: &TestApp) -> (SocketAddr, CancellationToken) {
    let port = testenv::free_port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let stop = CancellationToken::new();
    tokio::spawn(api::serve(t.state.clone(), addr, stop.clone()));
    let what = format!("the API to listen on {addr}");
    testenv::wait::until(testenv::wait::LONG, &what, || async {
        TcpStream::connect(addr).await.is_ok()
    })
    .await;
    (addr, stop)
}

fn app_config() -> ApiConfig {
    ApiConfig {
        upload_idle_timeout: IDLE,
        ..ApiConfig::default()
    }
}

/// Sends the head and `first` body bytes of a request declaring `length` bytes, then nothing; the
/// server's whole answer. The read is bounded so that a server without an idle timeout fails the
/// test instead of hanging it.
async fn stall(addr: SocketAddr, content_type: &str, length: usize, first: &[u8]) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/uploads?filename=slow.tgz HTTP/1.1\r\nhost: x\r\ncontent-type: {content_type}\r\ncontent-length: {length}\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(first).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buf = [0_u8; 4096];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if String::from_utf8_lossy(&answer).contains("\"error\"") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the stalled upload was never cut off");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_raw_upload_that_stops_sending_gets_408_and_keeps_nothing() {
    let t = TestApp::with(app_config()).await;
    let (addr, stop) = serving(&t).await;
    let answer = stall(
        addr,
        "application/octet-stream",
        10_000,
        b"\x1f\x8b partial",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("the upload stalled"), "{answer}");
    assert_eq!(t.stored_files(), 0, "a stalled upload must keep nothing");
    assert!(t.pending().await.is_empty(), "nothing may be enqueued");
    stop.cancel();
}

#[tokio::test]
async fn a_multipart_upload_that_stops_sending_gets_408_and_keeps_nothing() {
    let t = TestApp::with(app_config()).await;
    let (addr, stop) = serving(&t).await;
    let first = b"--XyZ\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a.tgz\"\r\ncontent-type: application/gzip\r\n\r\n\x1f\x8b partial";
    let answer = stall(addr, "multipart/form-data; boundary=XyZ", 10_000, first).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(t.stored_files(), 0, "a stalled upload must keep nothing");
    stop.cancel();
}

#[tokio::test]
async fn a_slow_upload_that_keeps_sending_is_accepted() {
    let t = TestApp::with(app_config()).await;
    let (addr, stop) = serving(&t).await;
    let archive = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/splunk-apps.tgz"
    ))
    .unwrap();
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/uploads?filename=slow.tgz HTTP/1.1\r\nhost: x\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        archive.len()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    // Eight pieces, a third of the idle timeout apart: longer than the idle timeout in all.
    let piece = archive.len().div_ceil(8);
    for chunk in archive.chunks(piece) {
        tcp.write_all(chunk).await.unwrap();
        tokio::time::sleep(IDLE / 3).await;
    }
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    assert_eq!(t.stored_files(), 1);
    stop.cancel();
}
