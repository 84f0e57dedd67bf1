//! Test harness: the API over a broker on the shared Redis (random key prefix), a SQLite store
//! in a temp dir (or a fresh PostgreSQL database when `CONFQ_TEST_POSTGRES_URL` is set) and
//! file storage; requests go through `app(state).oneshot(..)`.
#![allow(dead_code, missing_docs, clippy::unwrap_used, clippy::expect_used)]

use api::{ApiConfig, AppState, app};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use broker::keys::QueueKeys;
use broker::{Broker, BrokerConfig, QueueName};
use entity::{Storage, Store};
use http_body_util::BodyExt;
use serde_json::Value;
use testenv::db::Postgres;
#[allow(unused_imports)]
pub use testenv::redis::Server as PrivateRedis;
use tower::ServiceExt;

pub const EXAMPLE_TGZ: &[u8] = include_bytes!("../../../examples/splunk-apps.tgz");

pub struct TestApp {
    pub state: AppState,
    pub broker: Broker,
    pub store: Store,
    pub storage: Storage,
    pub prefix: String,
    pub dir: tempfile::TempDir,
    pub backend: &'static str,
    _pg: Option<Postgres>,
}

pub use testenv::redis::standalone_url as redis_url;

pub async fn broker_at(url: &str, prefix: &str) -> Broker {
    Broker::connect(BrokerConfig {
        redis_url: url.to_owned(),
        key_prefix: prefix.to_owned(),
        ..BrokerConfig::default()
    })
    .await
    .expect("Redis must answer")
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with(ApiConfig::default()).await
    }

    /// SQLite, always.
    pub async fn with(config: ApiConfig) -> Self {
        let prefix = testenv::redis::prefix("confq-api-test");
        let broker = broker_at(&redis_url(), &prefix).await;
        Self::on(config, broker, prefix, None).await
    }

    /// SQLite, plus PostgreSQL when `CONFQ_TEST_POSTGRES_URL` is set (under CI it must be).
    pub async fn backends(config: ApiConfig) -> Vec<Self> {
        let mut apps = vec![Self::with(config.clone()).await];
        if let Some(postgres) = Postgres::optional().await {
            let prefix = testenv::redis::prefix("confq-api-test");
            let broker = broker_at(&redis_url(), &prefix).await;
            apps.push(Self::on(config, broker, prefix, Some(postgres)).await);
        }
        apps
    }

    /// An app on a given broker (e.g. a private Redis).
    pub async fn on(
        config: ApiConfig,
        broker: Broker,
        prefix: String,
        postgres: Option<Postgres>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (url, backend) = match &postgres {
            None => (testenv::db::sqlite_url(dir.path()), "sqlite"),
            Some(pg) => (pg.url().to_owned(), "postgres"),
        };
        let store = Store::connect(&url).await.expect("database");
        store.migrate().await.expect("migrate");
        let storage = Storage::from_url(&format!("file://{}/uploads", dir.path().display()))
            .expect("storage");
        let state = AppState::new(config, broker.clone(), store.clone(), storage.clone());
        Self {
            state,
            broker,
            store,
            storage,
            prefix,
            dir,
            backend,
            _pg: postgres,
        }
    }

    pub fn queue(&self) -> QueueName {
        self.state.config().queue.clone()
    }

    /// Dead-letters one `confq.noop` task per number in `range` (args `{"i": n}`, reason
    /// `reason <task id>`), one at a time so the last is the newest; their task ids in order.
    pub async fn dead_letter_tasks(&self, range: std::ops::Range<u64>) -> Vec<String> {
        let queue = self.queue();
        let envelopes: Vec<broker::Envelope> = range
            .map(|i| {
                let args = serde_json::json!({ "i": i });
                broker::Envelope::new("confq.noop", args.as_object().unwrap().clone())
            })
            .collect();
        self.broker
            .producer()
            .enqueue_many(&queue, &envelopes)
            .await
            .unwrap();
        let consumer = self
            .broker
            .consumer(vec![queue], broker::WorkerId::new("api-test"))
            .await
            .unwrap();
        for _ in 0..envelopes.len() {
            let d = consumer.fetch(1).await.unwrap().remove(0);
            consumer
                .dead_letter(&d, &format!("reason {}", d.envelope.id))
                .await
                .unwrap();
        }
        envelopes.iter().map(|e| e.id.to_string()).collect()
    }

    pub async fn send(
        &self,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, bytes::Bytes) {
        let response = app(self.state.clone())
            .oneshot(request)
            .await
            .expect("infallible");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes();
        (parts.status, parts.headers, bytes)
    }

    pub async fn call(&self, method: Method, uri: &str) -> (StatusCode, Value) {
        self.call_with(
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, Value) {
        self.call(Method::GET, uri).await
    }

    pub async fn call_with(&self, request: Request<Body>) -> (StatusCode, Value) {
        let (status, _, bytes) = self.send(request).await;
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    /// Follows `next` from `first` (a URI with a query string) to the end: every item and the
    /// number of pages.
    pub async fn all_pages(&self, first: &str) -> (Vec<Value>, usize) {
        let (mut items, mut pages, mut uri) = (Vec::new(), 0, first.to_owned());
        loop {
            let (status, page) = self.get(&uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}: {page}");
            pages += 1;
            items.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["next"].as_str() {
                Some(next) => uri = format!("{first}&after={next}"),
                None => return (items, pages),
            }
        }
    }

    pub async fn upload_raw(&self, bytes: &[u8], filename: &str) -> (StatusCode, Value) {
        let request = Request::post(format!("/v1/uploads?filename={filename}"))
            .header("content-type", "application/octet-stream")
            .body(Body::from(bytes.to_vec()))
            .unwrap();
        self.call_with(request).await
    }

    /// Elements of this app's pending list.
    pub async fn pending(&self) -> Vec<Value> {
        let mut con = redis_connection(&redis_url()).await;
        let key = QueueKeys::new(&self.prefix, &self.queue()).pending;
        let raw: Vec<String> = redis::cmd("LRANGE")
            .arg(key)
            .arg(0)
            .arg(-1)
            .query_async(&mut con)
            .await
            .unwrap();
        raw.iter()
            .map(|r| serde_json::from_str(r).unwrap())
            .collect()
    }

    /// Files kept in the storage directory.
    pub fn stored_files(&self) -> usize {
        fn walk(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir).map_or(0, |entries| {
                entries
                    .flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
        }
        walk(&self.dir.path().join("uploads"))
    }
}

pub async fn redis_connection(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .expect("redis")
}

impl Drop for TestApp {
    /// Deletes this app's Redis keys; its PostgreSQL database (if any) drops itself.
    fn drop(&mut self) {
        testenv::redis::delete_prefix_blocking(&redis_url(), &self.prefix);
    }
}
