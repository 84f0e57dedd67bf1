//! What the hub broadcasts: a `metrics` message every tick (the `/v1/worker/metrics` document
//! plus per-queue rates), `dead` messages when a queue's dead letters grow or shrink, and the
//! `run` messages other processes publish on the run-events channel.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use broker::{Broker, QueueName, QueueStats};
use serde_json::{Map, Value, json};
use tokio::sync::{broadcast, watch};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::documents::{self, timestamp};
use crate::error::ApiError;
use crate::schemas::DeadLetterDocument;
use crate::state::AppState;
use crate::stream::rates::RateWindow;

/// How often the metrics are read and sent.
pub(crate) const TICK: Duration = Duration::from_secs(1);
/// At most this many new dead letters are listed in one `dead` message.
const DEAD_LISTED: u64 = 20;
/// Pause before subscribing again when Redis refused.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// Sends a `metrics` message every [`TICK`] while anyone listens, until `stop`.
pub(crate) async fn tick_metrics(
    state: AppState,
    tx: broadcast::Sender<Utf8Bytes>,
    latest: watch::Sender<Option<Utf8Bytes>>,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut ticker = Ticker::default();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        if tx.receiver_count() == 0 {
            // Nobody listens: no load on Redis or the database, and no stale rate baseline.
            ticker = Ticker::default();
            continue;
        }
        match ticker.messages(&state).await {
            Ok(messages) => {
                for message in messages {
                    let _ = tx.send(message);
                }
                latest.send_replace(ticker.last.clone());
            }
            Err(error) => {
                warn!(%error, "live metrics unavailable");
                let message = json!({"type": "unavailable", "error": error.to_string()});
                let _ = tx.send(message.to_string().into());
            }
        }
    }
}

/// The state kept between ticks: the rate window and each queue's dead-letter count.
#[derive(Debug, Default)]
struct Ticker {
    window: RateWindow,
    dead: Option<BTreeMap<String, u64>>,
    last: Option<Utf8Bytes>,
}

impl Ticker {
    /// This tick's `dead` messages (if any), then its `metrics` message.
    async fn messages(&mut self, state: &AppState) -> Result<Vec<Utf8Bytes>, ApiError> {
        let config = state.config();
        let broker = state.broker();
        let doc = documents::metrics_with(broker, state.store(), &config.queue, config.stuck_after)
            .await?;
        let mut stats = BTreeMap::new();
        for name in doc.queues.keys() {
            let queue = QueueName::parse(name).map_err(|e| ApiError::BadRequest(e.to_string()))?;
            stats.insert(name.clone(), broker.stats(&queue).await?);
        }
        let mut out = self.dead_messages(broker, &stats).await?;
        let rates = self.window.record(Instant::now(), &stats);
        let mut message = Map::new();
        message.insert("type".into(), "metrics".into());
        message.insert("at".into(), timestamp(chrono::Utc::now()).into());
        if let Value::Object(fields) = serde_json::to_value(&doc).unwrap_or_default() {
            message.extend(fields);
        }
        message.insert("rates".into(), json!(rates));
        let metrics: Utf8Bytes = Value::Object(message).to_string().into();
        self.last = Some(metrics.clone());
        out.push(metrics);
        Ok(out)
    }

    /// A `dead` message per queue whose dead-letter count changed since the last tick.
    async fn dead_messages(
        &mut self,
        broker: &Broker,
        stats: &BTreeMap<String, QueueStats>,
    ) -> Result<Vec<Utf8Bytes>, ApiError> {
        let now: BTreeMap<String, u64> = stats.iter().map(|(q, s)| (q.clone(), s.dead)).collect();
        let Some(before) = self.dead.replace(now.clone()) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (name, &count) in &now {
            let was = before.get(name).copied().unwrap_or(0);
            let message = if count > was {
                let queue =
                    QueueName::parse(name).map_err(|e| ApiError::BadRequest(e.to_string()))?;
                let listed = usize::try_from((count - was).min(DEAD_LISTED)).unwrap_or(1);
                let page = broker.dead_letters().list(&queue, None, listed).await?;
                let letters: Vec<DeadLetterDocument> =
                    page.items.into_iter().map(Into::into).collect();
                json!({"type": "dead", "event": "arrived", "queue": name, "dead": count,
                       "arrived": count - was, "letters": letters})
            } else if count < was {
                json!({"type": "dead", "event": "left", "queue": name, "dead": count,
                       "left": was - count})
            } else {
                continue;
            };
            out.push(message.to_string().into());
        }
        Ok(out)
    }
}

/// Relays the run-events channel's `run` messages to the hub until `stop`.
pub(crate) async fn relay_runs(
    broker: Broker,
    tx: broadcast::Sender<Utf8Bytes>,
    stop: CancellationToken,
) {
    let mut listener = loop {
        match broker.event_listener().await {
            Ok(listener) => break listener,
            Err(error) => {
                warn!(%error, "cannot subscribe to run events; trying again");
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(RETRY_PAUSE) => {}
                }
            }
        }
    };
    loop {
        let next = tokio::select! {
            () = stop.cancelled() => return,
            next = listener.next() => next,
        };
        let Some(message) = next else { return };
        if is_run_message(&message) {
            let _ = tx.send(message.into());
        } else {
            debug!("ignored a malformed run event");
        }
    }
}

/// Only well-formed `run` messages go to browsers.
fn is_run_message(message: &str) -> bool {
    serde_json::from_str::<Value>(message).is_ok_and(|v| {
        v.get("type").and_then(Value::as_str) == Some("run")
            && v.get("id").is_some_and(Value::is_i64)
            && v.get("status").is_some_and(Value::is_string)
    })
}

#[cfg(test)]
mod tests {
    use super::is_run_message;

    #[test]
    fn only_run_messages_are_relayed() {
        assert!(is_run_message(
            r#"{"type":"run","id":3,"status":"failed","retry_count":1}"#
        ));
        assert!(!is_run_message(r#"{"type":"metrics"}"#));
        assert!(!is_run_message(
            r#"{"type":"run","id":"x","status":"failed"}"#
        ));
        assert!(!is_run_message("not json"));
    }
}
