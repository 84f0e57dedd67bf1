//! One client's connection: the latest metrics at once, then every broadcast message. A client
//! that falls more than the hub's capacity behind skips ahead (told by a `lagged` message); one
//! whose socket does not take a message within [`SEND_TIMEOUT`] is dropped. On shutdown the
//! client gets a close frame (1001, going away).

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::stream::hub::Hub;

/// A socket that cannot take one message in this long is dropped.
pub(crate) const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// Streams to `socket` until the client leaves, falls too far behind, or `stop`.
pub(crate) async fn run(mut socket: WebSocket, hub: &Hub, stop: CancellationToken) {
    let (mut rx, latest) = hub.subscribe();
    if let Some(message) = latest
        && !send(&mut socket, message).await
    {
        return;
    }
    loop {
        let message = tokio::select! {
            biased;
            () = stop.cancelled() => {
                let frame = CloseFrame { code: close_code::AWAY, reason: "server shutting down".into() };
                let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
                return;
            }
            incoming = socket.recv() => match incoming {
                // Pings are answered by the socket itself; other client messages mean nothing here.
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => continue,
            },
            received = rx.recv() => match received {
                Ok(message) => message,
                Err(RecvError::Lagged(skipped)) => {
                    debug!(skipped, "stream client skipped ahead");
                    Utf8Bytes::from(format!(r#"{{"type":"lagged","skipped":{skipped}}}"#))
                }
                Err(RecvError::Closed) => return,
            },
        };
        if !send(&mut socket, message).await {
            return;
        }
    }
}

/// Sends one text message; false when the client is gone or too slow.
async fn send(socket: &mut WebSocket, message: Utf8Bytes) -> bool {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(message))).await {
        Ok(Ok(())) => true,
        Ok(Err(_)) => false,
        Err(_) => {
            debug!("stream client too slow; dropped");
            false
        }
    }
}
