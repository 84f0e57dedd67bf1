//! Waking a consumer of several queues when one of them gets a task. `BLMOVE` blocks on one key,
//! and on a cluster each queue is its own slot, so a consumer of several queues cannot block on
//! all of them in one command. Instead producers `PUBLISH` to the queue's wake channel
//! (`keys::wake`) in the same round trip as the push, and the consumer keeps one subscription
//! (on any node: a cluster forwards `PUBLISH` to every node) whose messages release a
//! [`Notify`] the idle fetch waits on, with `block_timeout` as the fallback poll for producers
//! that do not publish and for a subscription being re-made. See docs/broker.md, "Several queues".

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use crate::error::{BrokerError, Result};
use crate::redact::redact;
use crate::topology::Topology;

/// Pause before re-subscribing after the subscription broke.
const RESUBSCRIBE_PAUSE: Duration = Duration::from_secs(1);

/// A subscription to the wake channels of a consumer's queues. The background task ends when
/// the last clone of the consumer drops this.
#[derive(Debug)]
pub(crate) struct Waker {
    notify: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Drop for Waker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Waker {
    /// Subscribes to `channels` on the Redis (or the first cluster seed that answers) of
    /// `redis_url`, and keeps the subscription up in the background.
    ///
    /// # Errors
    /// `Redis` when no node accepts the first subscription.
    pub(crate) async fn start(redis_url: &str, channels: Vec<String>) -> Result<Self> {
        let urls = match Topology::parse(redis_url)? {
            Topology::Standalone(url) => vec![url],
            Topology::Cluster(seeds) => seeds,
        };
        let first = subscribe(&urls, &channels).await?;
        let notify = Arc::new(Notify::new());
        let task = tokio::spawn(listen(first, urls, channels, notify.clone()));
        Ok(Self { notify, task })
    }

    /// Waits until a message arrived since the last wait (returns at once if one did meanwhile)
    /// or `timeout` passed.
    pub(crate) async fn wait(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.notify.notified()).await;
    }
}

pub(crate) async fn subscribe(urls: &[String], channels: &[String]) -> Result<redis::aio::PubSub> {
    let mut last = None;
    for url in urls {
        let attempt = async {
            let client = redis::Client::open(url.as_str())?;
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(channels).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        match attempt.await {
            Ok(pubsub) => return Ok(pubsub),
            Err(error) => {
                debug!(url = %redact(url), %error, "wake subscription failed on this node");
                last = Some(error);
            }
        }
    }
    Err(last.map_or_else(
        || BrokerError::Config("no Redis URL to subscribe on".to_owned()),
        BrokerError::from,
    ))
}

/// Releases `notify` on every message; when the subscription breaks, releases it once (the
/// consumer then polls) and subscribes again.
async fn listen(
    mut pubsub: redis::aio::PubSub,
    urls: Vec<String>,
    channels: Vec<String>,
    notify: Arc<Notify>,
) {
    loop {
        {
            let mut messages = pubsub.on_message();
            while messages.next().await.is_some() {
                notify.notify_one();
            }
        }
        notify.notify_one();
        warn!("wake subscription lost; idle fetches poll every block_timeout until it is back");
        pubsub = loop {
            tokio::time::sleep(RESUBSCRIBE_PAUSE).await;
            if let Ok(pubsub) = subscribe(&urls, &channels).await {
                break pubsub;
            }
        };
        // Whatever was published during the gap: one poll finds it.
        notify.notify_one();
    }
}
