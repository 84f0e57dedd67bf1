//! Reading a `confq worker`'s JSON log (`CONFQ_LOG_FORMAT=json`) for the moments each task
//! started (`confq.noop started`, debug level of `worker::tasks::diagnostic`) and was acked
//! (`task succeeded`, logged once the ack returned), by task id.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::thread::JoinHandle;

/// Microseconds since the Unix epoch at which a task started and was acked, as logged.
#[derive(Debug, Default, Clone, Copy)]
pub struct Moments {
    /// `confq.noop started`.
    pub started: Option<i64>,
    /// `task succeeded`.
    pub acked: Option<i64>,
}

/// Reads `stream` to its end on a thread of its own; the handle yields the moments by task id.
pub fn collect(stream: impl Read + Send + 'static) -> JoinHandle<HashMap<String, Moments>> {
    std::thread::spawn(move || {
        let mut moments: HashMap<String, Moments> = HashMap::new();
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let Some((id, message, at)) = event(&line) else {
                continue;
            };
            let entry = moments.entry(id).or_default();
            match message.as_str() {
                "confq.noop started" => entry.started = Some(at),
                "task succeeded" => entry.acked = Some(at),
                _ => {}
            }
        }
        moments
    })
}

/// The task id, message and timestamp (µs since the epoch) of one JSON log line inside a task span.
fn event(line: &str) -> Option<(String, String, i64)> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let id = value.pointer("/span/task.id")?.as_str()?.to_owned();
    let message = value.get("message")?.as_str()?.to_owned();
    let at = chrono::DateTime::parse_from_rfc3339(value.get("timestamp")?.as_str()?).ok()?;
    Some((id, message, at.timestamp_micros()))
}
