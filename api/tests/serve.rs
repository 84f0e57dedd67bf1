//! `serve`: answers over TCP and returns once `stop` is cancelled.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn serve_answers_and_shuts_down_gracefully_on_stop() {
    let t = TestApp::new().await;
    let port = testenv::free_port();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let stop = CancellationToken::new();
    let server = tokio::spawn(api::serve(t.state.clone(), addr, stop.clone()));
    let mut answer = String::new();
    for _ in 0..100 {
        if let Ok(mut tcp) = tokio::net::TcpStream::connect(addr).await {
            tcp.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                .await
                .unwrap();
            tcp.read_to_string(&mut answer).await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("x-request-id:"),
        "{answer}"
    );
    assert!(answer.ends_with(r#"{"status":"ok"}"#), "{answer}");
    stop.cancel();
    let result = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve returns after stop");
    result.unwrap().unwrap();
}
