//! Announcing events to every process: run status changes go out on the pub/sub channel
//! `keys::run_events`, and any process (the API's live stream) can listen. Publishing never
//! waits on Redis: messages go through a bounded in-process queue to one background task, so a
//! state change costs its caller no round trip, and a Redis that does not answer drops
//! announcements (they are hints for live views; the database stays the truth).
//! See docs/broker.md, "Events".

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use crate::broker::Broker;
use crate::connection::RedisConnection;
use crate::error::Result;
use crate::keys;
use crate::topology::Topology;
use crate::wake;

/// Announcements waiting for the background task; more are dropped (and counted).
const PUBLISH_BACKLOG: usize = 4096;
/// Received messages waiting for the listener's reader; more are dropped.
const LISTEN_BACKLOG: usize = 4096;
/// Pause before re-subscribing after the subscription broke.
const RESUBSCRIBE_PAUSE: Duration = Duration::from_secs(1);

/// How long [`EventPublisher::flush`] waits at most.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// What the background task is given.
#[derive(Debug)]
enum Item {
    Message(String),
    /// Answered once every message queued before it was published.
    Flush(oneshot::Sender<()>),
}

/// A cheap-to-clone handle that publishes run events without waiting; the background task ends
/// when the last clone drops.
#[derive(Clone, Debug)]
pub struct EventPublisher {
    tx: mpsc::Sender<Item>,
    dropped: Arc<AtomicU64>,
}

impl EventPublisher {
    fn start(con: RedisConnection, channel: String) -> Self {
        let (tx, rx) = mpsc::channel(PUBLISH_BACKLOG);
        tokio::spawn(publish_all(con, channel, rx));
        Self {
            tx,
            dropped: Arc::default(),
        }
    }

    /// Queues `message` (JSON) for publishing; drops it when the backlog is full.
    pub fn publish(&self, message: String) {
        if self.tx.try_send(Item::Message(message)).is_err() {
            let before = self.dropped.fetch_add(1, Ordering::Relaxed);
            if before.is_power_of_two() || before == 0 {
                warn!(
                    dropped = before + 1,
                    "run event backlog full; announcement dropped"
                );
            }
        }
    }

    /// Waits (at most 2 s) until what was queued so far is published: a short-lived process
    /// (`confq ingest`) calls it before exiting.
    pub async fn flush(&self) {
        let (done, published) = oneshot::channel();
        let flushed = async {
            if self.tx.send(Item::Flush(done)).await.is_ok() {
                let _ = published.await;
            }
        };
        let _ = tokio::time::timeout(FLUSH_TIMEOUT, flushed).await;
    }

    /// Announcements dropped so far because the backlog was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

async fn publish_all(mut con: RedisConnection, channel: String, mut rx: mpsc::Receiver<Item>) {
    while let Some(item) = rx.recv().await {
        let message = match item {
            Item::Message(message) => message,
            Item::Flush(done) => {
                let _ = done.send(());
                continue;
            }
        };
        let sent = redis::cmd("PUBLISH")
            .arg(&channel)
            .arg(&message)
            .query_async::<i64>(&mut con)
            .await;
        if let Err(error) = sent {
            debug!(%error, "run event not published");
        }
    }
}

/// Messages received on the run-events channel; the subscription (re-made when it breaks) ends
/// when this drops.
#[derive(Debug)]
pub struct EventListener {
    rx: mpsc::Receiver<String>,
    task: JoinHandle<()>,
}

impl Drop for EventListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl EventListener {
    /// The next message; `None` only after the listener stopped.
    pub async fn next(&mut self) -> Option<String> {
        self.rx.recv().await
    }
}

impl Broker {
    /// A publisher of run events on this broker's `keys::run_events` channel.
    pub fn event_publisher(&self) -> EventPublisher {
        EventPublisher::start(
            self.connection(),
            keys::run_events(&self.config().key_prefix),
        )
    }

    /// Subscribes to the run-events channel (on a cluster, on the first node that answers: a
    /// cluster forwards `PUBLISH` to every node).
    ///
    /// # Errors
    /// `Config` for a bad URL; `Redis` when no node accepts the subscription.
    pub async fn event_listener(&self) -> Result<EventListener> {
        let urls = match Topology::parse(&self.config().redis_url)? {
            Topology::Standalone(url) => vec![url],
            Topology::Cluster(seeds) => seeds,
        };
        let channels = vec![keys::run_events(&self.config().key_prefix)];
        let first = wake::subscribe(&urls, &channels).await?;
        let (tx, rx) = mpsc::channel(LISTEN_BACKLOG);
        let task = tokio::spawn(listen(first, urls, channels, tx));
        Ok(EventListener { rx, task })
    }
}

async fn listen(
    mut pubsub: redis::aio::PubSub,
    urls: Vec<String>,
    channels: Vec<String>,
    tx: mpsc::Sender<String>,
) {
    loop {
        {
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                let Ok(payload) = message.get_payload::<String>() else {
                    continue;
                };
                if tx.is_closed() {
                    return;
                }
                // A reader that cannot keep up misses events rather than growing memory.
                let _ = tx.try_send(payload);
            }
        }
        warn!("run event subscription lost; re-subscribing");
        pubsub = loop {
            tokio::time::sleep(RESUBSCRIBE_PAUSE).await;
            if let Ok(pubsub) = wake::subscribe(&urls, &channels).await {
                break pubsub;
            }
        };
    }
}
