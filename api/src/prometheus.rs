//! `GET /metrics`: the process-wide Prometheus recorder, and the gauges and counters set
//! from the broker's O(1) `stats()` and `Store::runs_by_status()` at scrape time.
//!
//! The recorder is installed once per process (tests build many apps). Counters are set
//! absolutely from Redis, so every API replica reports the same cluster-wide values.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use protocol::metrics as names;

use crate::error::ApiError;
use crate::state::AppState;

/// The histogram the worker records per task (`metrics::histogram!`).
pub use protocol::metrics::TASK_DURATION;
const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];

/// Error types always exported by `confq_tasks_failed_total`, even before the first failure.
const KNOWN_ERROR_TYPES: [&str; 4] = protocol::error_type::RUN_ERROR_TYPES;

struct Exporter {
    handle: PrometheusHandle,
    /// Set when another global recorder was installed first: our series go here instead.
    local: Option<PrometheusRecorder>,
}

static EXPORTER: OnceLock<Exporter> = OnceLock::new();

fn builder() -> PrometheusBuilder {
    let plain = PrometheusBuilder::new();
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(TASK_DURATION.to_owned()), DURATION_BUCKETS)
        .unwrap_or(plain)
}

fn exporter() -> &'static Exporter {
    EXPORTER.get_or_init(|| match builder().install_recorder() {
        Ok(handle) => Exporter { handle, local: None },
        Err(e) => {
            tracing::warn!(error = %e, "a global metrics recorder exists already; /metrics shows only the API's own series");
            let recorder = builder().build_recorder();
            Exporter { handle: recorder.handle(), local: Some(recorder) }
        }
    })
}

/// Installs the recorder now (idempotent), so task durations recorded in this process count.
pub fn install() {
    exporter();
}

/// The series this process recorded itself (task durations, the worker's task counters), without
/// the cluster-wide scrape-time series: what `confq worker --metrics-bind` serves.
pub fn render_own() -> String {
    let exporter = exporter();
    exporter.handle.run_upkeep();
    exporter.handle.render()
}

/// Refreshes the scrape-time series and renders the text exposition.
///
/// # Errors
/// [`ApiError::Unavailable`] when Redis or the database does not answer.
pub async fn scrape(state: &AppState) -> Result<String, ApiError> {
    let exporter = exporter();
    let snapshot = Snapshot::read(state).await?;
    match &exporter.local {
        Some(recorder) => metrics::with_local_recorder(recorder, || snapshot.record()),
        None => snapshot.record(),
    }
    exporter.handle.run_upkeep();
    Ok(exporter.handle.render())
}

struct Snapshot {
    queues: Vec<(String, broker::QueueStats, u64)>,
    runs: std::collections::BTreeMap<String, i64>,
    stuck_runs: u64,
    reaper_last_tick: Option<chrono::DateTime<chrono::Utc>>,
    /// (worker, dependency, open) of every live worker's breakers.
    breakers: Vec<(String, String, bool)>,
}

impl Snapshot {
    async fn read(state: &AppState) -> Result<Self, ApiError> {
        let mut names = state.broker().queues().await?;
        if !names.contains(&state.config().queue) {
            names.push(state.config().queue.clone());
        }
        let mut queues = Vec::with_capacity(names.len());
        let live = state.broker().workers().live().await?;
        for name in names {
            let stats = state.broker().stats(&name).await?;
            let workers = live
                .iter()
                .filter(|worker| worker.queues.contains(&name))
                .count() as u64;
            queues.push((name.as_str().to_owned(), stats, workers));
        }
        let breakers = live
            .iter()
            .flat_map(|w| {
                w.breakers.iter().map(|(dependency, state)| {
                    (
                        w.id.as_str().to_owned(),
                        dependency.clone(),
                        state != "closed",
                    )
                })
            })
            .collect();
        Ok(Self {
            breakers,
            queues,
            runs: state.store().runs_by_status().await?,
            stuck_runs: state
                .store()
                .stuck_runs(state.config().stuck_after)
                .await?
                .count,
            reaper_last_tick: state.broker().last_reaper_tick().await?,
        })
    }

    fn record(&self) {
        for (queue, s, workers) in &self.queues {
            metrics::gauge!(names::WORKERS, "queue" => queue.clone()).set(*workers as f64);
            for (state, n) in [
                ("pending", s.pending),
                ("processing", s.processing),
                ("delayed", s.delayed),
                ("dead", s.dead),
            ] {
                metrics::gauge!(names::QUEUE_SIZE, "queue" => queue.clone(), "state" => state)
                    .set(n as f64);
            }
            metrics::counter!(names::TASKS_PROCESSED, "queue" => queue.clone())
                .absolute(s.processed);
            metrics::counter!(names::TASKS_RETRIED, "queue" => queue.clone()).absolute(s.retried);
            metrics::counter!(names::LEASES_EXPIRED, "queue" => queue.clone()).absolute(s.expired);
            metrics::counter!(names::DEAD_LETTERS, "queue" => queue.clone())
                .absolute(s.dead_lettered);
            // Failed attempts by error type, as the broker's scripts count them; the common
            // types are exported at zero too, so alert expressions have a series to divide.
            let mut failed = s.failed_by_type.clone();
            for error_type in KNOWN_ERROR_TYPES {
                failed.entry(error_type.to_owned()).or_insert(0);
            }
            for (error_type, n) in failed {
                metrics::counter!(names::TASKS_FAILED, "queue" => queue.clone(), "error_type" => error_type)
                    .absolute(n);
            }
        }
        for (status, n) in &self.runs {
            metrics::gauge!(names::RUNS, "status" => status.clone()).set(*n as f64);
        }
        metrics::gauge!(names::STUCK_RUNS).set(self.stuck_runs as f64);
        // Each live worker's breakers, from the registry: one scrape of the API sees the fleet.
        for (worker, dependency, open) in &self.breakers {
            metrics::gauge!(names::BREAKER_OPEN, "worker" => worker.clone(), "dependency" => dependency.clone())
                .set(if *open { 1.0 } else { 0.0 });
        }
        if let Some(at) = self.reaper_last_tick {
            metrics::gauge!(names::REAPER_LAST_TICK).set(at.timestamp_millis() as f64 / 1000.0);
        }
    }
}
