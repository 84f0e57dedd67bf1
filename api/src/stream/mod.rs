//! `GET /v1/stream`: the live view over a WebSocket (docs/api.md, "Live stream"). One hub per
//! API process produces the messages; each connection only relays them.
//!
//! When reads are protected (`CONFQ_API_TOKEN` with `--protect-reads`) a browser cannot set an
//! `Authorization` header on a WebSocket, so the token may come as `?token=` or as the first
//! message, `{"type":"auth","token":"…"}`, within [`AUTH_TIMEOUT`]. It is never logged.

mod hub;
mod producer;
mod rates;
mod session;

use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::auth;
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) use hub::Hub;

/// How long a client that must authenticate by message has to send it.
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest message a client may send (only the auth message means anything).
const MAX_CLIENT_MESSAGE: usize = 4096;
/// Close code for a missing or wrong token (the 4000–4999 range is the application's).
pub const CLOSE_UNAUTHORIZED: u16 = 4401;

/// The query string of `/v1/stream`.
#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    /// The API token, for browsers (which cannot set `Authorization` on a WebSocket).
    pub token: Option<String>,
}

/// Upgrades to the live stream: `metrics` every second, `run` on every run status change,
/// `dead` when dead letters arrive or leave.
pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<StreamQuery>, QueryRejection>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let presented = query.ok().and_then(|Query(q)| q.token);
    let must_auth = match state.config().api_token.as_deref() {
        Some(token) if state.config().protect_reads => {
            match presented.as_deref().or_else(|| auth::bearer_of(&headers)) {
                Some(p) if auth::token_matches(p, token) => false,
                Some(_) => return ApiError::Unauthorized.into_response(),
                None => true,
            }
        }
        _ => false,
    };
    upgrade
        .max_message_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| serve(socket, state, must_auth))
}

async fn serve(mut socket: WebSocket, state: AppState, must_auth: bool) {
    let _open = state.streams().token();
    if must_auth && !authenticate(&mut socket, &state).await {
        let frame = CloseFrame {
            code: CLOSE_UNAUTHORIZED,
            reason: "missing or wrong token".into(),
        };
        let _ = socket.send(Message::Close(Some(frame))).await;
        return;
    }
    let stop = state.stream_stop();
    session::run(socket, state.hub(), stop).await;
}

/// Waits for `{"type":"auth","token":"…"}` as the first message.
async fn authenticate(socket: &mut WebSocket, state: &AppState) -> bool {
    let Some(token) = state.config().api_token.as_deref() else {
        return true;
    };
    let first = tokio::time::timeout(AUTH_TIMEOUT, socket.recv()).await;
    let Ok(Some(Ok(Message::Text(text)))) = first else {
        return false;
    };
    #[derive(Deserialize)]
    struct Auth {
        #[serde(rename = "type")]
        kind: String,
        token: String,
    }
    serde_json::from_str::<Auth>(&text)
        .is_ok_and(|a| a.kind == "auth" && auth::token_matches(&a.token, token))
}
