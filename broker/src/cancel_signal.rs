//! Telling the worker that holds a running task to stop: `cancel.lua` publishes the task id on
//! its queue's cancel channel (`QueueKeys::cancel`), and each worker keeps one subscription to
//! the channels of its queues (as for the wake channel, on any node: a cluster forwards every
//! `PUBLISH`). A message lost while the subscription is being re-made is covered by the cancel
//! mark in the task's state hash, which ends the task `cancelled` at its retry, release or
//! expiry instead (docs/broker.md, "Cancellation").

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::task::JoinHandle;
use tracing::warn;

use crate::broker::Broker;
use crate::error::Result;
use crate::names::{QueueName, TaskId};
use crate::topology::Topology;
use crate::wake::subscribe;

/// Pause before re-subscribing after the subscription broke.
const RESUBSCRIBE_PAUSE: Duration = Duration::from_secs(1);

/// What a subscriber does with the id of a task to stop.
pub type OnCancel = Arc<dyn Fn(TaskId) + Send + Sync>;

/// A live subscription to cancel requests; the background task ends when this is dropped.
#[derive(Debug)]
pub struct CancelSignals {
    task: JoinHandle<()>,
}

impl Drop for CancelSignals {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Broker {
    /// Subscribes to the cancel channels of `queues`; `on_cancel` gets each requested task id
    /// (ids of tasks this worker does not hold included: it ignores them).
    ///
    /// # Errors
    /// `Redis` when no node accepts the first subscription.
    pub async fn listen_for_cancels(
        &self,
        queues: &[QueueName],
        on_cancel: OnCancel,
    ) -> Result<CancelSignals> {
        let urls = match Topology::parse(&self.config().redis_url)? {
            Topology::Standalone(url) => vec![url],
            Topology::Cluster(seeds) => seeds,
        };
        let channels: Vec<String> = queues.iter().map(|q| self.queue_keys(q).cancel).collect();
        let first = subscribe(&urls, &channels).await?;
        let task = tokio::spawn(listen(first, urls, channels, on_cancel));
        Ok(CancelSignals { task })
    }
}

async fn listen(
    mut pubsub: redis::aio::PubSub,
    urls: Vec<String>,
    channels: Vec<String>,
    on_cancel: OnCancel,
) {
    loop {
        {
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                let payload: String = message.get_payload().unwrap_or_default();
                if let Ok(id) = payload.parse::<TaskId>() {
                    on_cancel(id);
                }
            }
        }
        warn!(
            "cancel subscription lost; re-subscribing (a cancel meanwhile still ends the task at its retry or expiry)"
        );
        pubsub = loop {
            tokio::time::sleep(RESUBSCRIBE_PAUSE).await;
            if let Ok(pubsub) = subscribe(&urls, &channels).await {
                break pubsub;
            }
        };
    }
}
