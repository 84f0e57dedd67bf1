//! `GET /v1/stream` read directly over a WebSocket from a real `confq api` process: message
//! shapes, the metrics cadence, run messages from a separate `confq worker` process, auth, 100
//! clients on one producer, slow clients, shutdown (docs/api.md, "Live stream").

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "../support/mod.rs"]
mod support;

mod harness;
mod load;
mod messages;
