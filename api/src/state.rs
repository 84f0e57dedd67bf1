//! The API's configuration and the shared state every handler receives.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use broker::{Broker, QueueName};
use entity::{Storage, Store};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::stream::Hub;

/// How the API behaves; the `confq` binary fills it from flags and environment.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// Larger uploads get 413 (`CONFQ_MAX_UPLOAD_BYTES`).
    pub max_upload_bytes: u64,
    /// When set, mutating routes require `Authorization: Bearer <token>`.
    pub api_token: Option<String>,
    /// When set with `api_token`, the `/v1` read routes require the token too.
    pub protect_reads: bool,
    /// The queue uploads and retries are enqueued on.
    pub queue: QueueName,
    /// How long `/readyz` waits for Redis and the database.
    pub readiness_timeout: Duration,
    /// How often `serve` runs the sweep of unqueued runs.
    pub sweep_interval: Duration,
    /// How long a run must sit in `stored` before the sweep looks at it.
    pub sweep_older_than: Duration,
    /// Time limit of every request but uploads.
    pub request_timeout: Duration,
    /// Uploads have no overall limit (a large archive on a slow link takes long), but a body
    /// that sends nothing for this long is cut off with 408 (`CONFQ_UPLOAD_IDLE_SECS`).
    pub upload_idle_timeout: Duration,
    /// A `parsing` run whose heartbeat is older than this counts as stuck (`CONFQ_STUCK_SECS`).
    pub stuck_after: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            max_upload_bytes: 536_870_912,
            api_token: None,
            protect_reads: false,
            queue: protocol::default_queue(),
            readiness_timeout: Duration::from_secs(2),
            sweep_interval: Duration::from_secs(30),
            sweep_older_than: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            upload_idle_timeout: Duration::from_secs(30),
            stuck_after: crate::documents::DEFAULT_STUCK_AFTER,
        }
    }
}

/// Everything a handler needs; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ApiConfig,
    broker: Broker,
    store: Store,
    storage: Storage,
    /// The live stream's producer, started by the first client.
    hub: OnceLock<Hub>,
    /// Cancelled when the server shuts down: ends the stream's producer and its clients.
    stream_stop: CancellationToken,
    /// The open stream connections, so that shutdown waits for their close frames.
    streams: TaskTracker,
}

impl AppState {
    /// Bundles the configuration and the handles on Redis, the database and the object storage.
    pub fn new(config: ApiConfig, broker: Broker, store: Store, storage: Storage) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                broker,
                store,
                storage,
                hub: OnceLock::new(),
                stream_stop: CancellationToken::new(),
                streams: TaskTracker::new(),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ApiConfig {
        &self.inner.config
    }

    /// The broker handle.
    pub fn broker(&self) -> &Broker {
        &self.inner.broker
    }

    /// The run store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The object storage of uploads.
    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    /// The live stream's hub, started on first use.
    pub(crate) fn hub(&self) -> &Hub {
        self.inner
            .hub
            .get_or_init(|| Hub::start(self.clone(), self.inner.stream_stop.clone()))
    }

    /// The token that ends the live stream (cancelled by `serve` on shutdown).
    pub(crate) fn stream_stop(&self) -> CancellationToken {
        self.inner.stream_stop.clone()
    }

    /// The tracker of open stream connections.
    pub(crate) fn streams(&self) -> &TaskTracker {
        &self.inner.streams
    }

    /// Ends every live-stream connection (with a close frame) and the stream's producer, and
    /// waits up to `grace` for the connections to be closed.
    pub async fn close_streams(&self, grace: std::time::Duration) {
        self.inner.stream_stop.cancel();
        self.inner.streams.close();
        let _ = tokio::time::timeout(grace, self.inner.streams.wait()).await;
    }
}
