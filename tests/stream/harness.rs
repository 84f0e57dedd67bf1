//! A `confq api` process on a free port for the stream tests, and a WebSocket client that reads
//! JSON messages with a deadline.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::support::{Env, Proc, curl, wait_for};

/// A WebSocket connection to `/v1/stream`.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A deployment with its API process.
pub struct Live {
    pub env: Env,
    pub api: Proc,
    pub port: u16,
}

impl Live {
    /// Migrates a fresh deployment and starts `confq api` with `args` (after `--bind`).
    pub fn start(name: &str, vars: &[(&str, &str)], args: &[&str]) -> Self {
        let mut env = Env::new(name);
        for (key, value) in vars {
            env.set(key, value);
        }
        Self::start_in(env, args)
    }

    /// Like [`Live::start`] on a prepared deployment.
    pub fn start_in(mut env: Env, args: &[&str]) -> Self {
        env.migrate();
        let port = testenv::free_port();
        let bind = format!("127.0.0.1:{port}");
        let mut all = vec!["api", "--bind", &bind];
        all.extend_from_slice(args);
        let api = env.spawn("api", &all);
        let live = Self { env, api, port };
        wait_for(
            Duration::from_secs(60),
            "confq api to answer /healthz",
            || curl(&[&format!("{}/healthz", live.base())]),
        );
        live
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `ws://127.0.0.1:PORT/v1/stream` plus `query`.
    pub fn ws_url(&self, query: &str) -> String {
        format!("ws://127.0.0.1:{}/v1/stream{query}", self.port)
    }

    /// A connected client.
    pub async fn connect(&self) -> Ws {
        connect(&self.ws_url("")).await
    }
}

/// Connects or panics with the reason.
pub async fn connect(url: &str) -> Ws {
    let (ws, _) = connect_async(url)
        .await
        .unwrap_or_else(|error| panic!("cannot connect to {url}: {error}"));
    ws
}

/// What a client read next.
#[derive(Debug)]
pub enum Read {
    Json(Value),
    Closed(Option<u16>),
    TimedOut,
}

/// The next text message as JSON, a close (with its code), or nothing within `within`.
pub async fn read(ws: &mut Ws, within: Duration) -> Read {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let next = tokio::time::timeout_at(deadline, ws.next()).await;
        match next {
            Err(_) => return Read::TimedOut,
            Ok(None | Some(Err(_))) => return Read::Closed(None),
            Ok(Some(Ok(Message::Close(frame)))) => {
                return Read::Closed(frame.map(|f| u16::from(f.code)));
            }
            Ok(Some(Ok(Message::Text(text)))) => {
                return Read::Json(serde_json::from_str(&text).expect("a JSON message"));
            }
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// The next message of `kind` for which `accept` holds, skipping others; panics after `within`.
pub async fn next_where(
    ws: &mut Ws,
    kind: &str,
    within: Duration,
    accept: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match read(ws, left).await {
            Read::Json(v) if v["type"] == kind && accept(&v) => return v,
            Read::Json(_) => {}
            other => panic!("waiting for a {kind} message: {other:?}"),
        }
    }
}

/// Sends a text message.
pub async fn say(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.expect("send");
}

/// The current resident set size of a process in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse().ok())
        .expect("VmRSS")
}
