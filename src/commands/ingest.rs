//! `confq ingest FILE... [--wait] [--json] [--queue Q]`: stores archives, creates runs and enqueues them; with
//! `--wait`, shows progress and a summary, running an in-process worker when no live one exists.

use std::path::Path;
use std::time::{Duration, Instant};

use broker::{Broker, QueueName};
use entity::storage::Storage;
use entity::store::{Run, RunSource, RunStatus, Store};
use entity::submit::{Intake, Submission};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use worker::{Shutdown, WorkerConfig};

use crate::cli::{IngestArgs, Settings, WorkerArgs};
use crate::commands::{reaper, table, worker as worker_cmd};
use crate::exit::Failure;
use crate::output::out;
use crate::progress::Progress;
use crate::{services, settings};

/// Ingests the given archives.
pub(crate) async fn run(settings: &Settings, args: &IngestArgs) -> Result<(), Failure> {
    for file in &args.files {
        if !file.is_file() {
            return Err(Failure::usage(format!(
                "{} is not a readable file",
                file.display()
            )));
        }
    }
    let queue = settings::queue(&args.queue)?;
    let services = services::broker(settings, true).await?;
    let events = services.broker.event_publisher();
    let store = services::store(settings).await?.announcing(events.clone());
    let storage = services::storage(settings)?;
    let producer = services.broker.producer();
    let intake = Intake {
        store: &store,
        storage: &storage,
        producer: &producer,
        queue: &queue,
    };
    let mut runs = Vec::new();
    for file in &args.files {
        runs.push(submit(intake, settings, file).await?);
    }
    // The live view hears of the new runs before this process may exit.
    events.flush().await;
    // A private Redis ends with this process, and the tasks in it: wait for them here.
    let wait = args.wait || services.private_redis.is_some();
    if wait && !args.wait && !args.json {
        eprintln!(
            "confq: the broker is a private redis-server that stops with this command; waiting for the runs"
        );
    }
    if !wait {
        print_submitted(&runs, args.json);
        return Ok(());
    }
    let live = services
        .broker
        .workers()
        .live_count(&queue)
        .await
        .unwrap_or(0);
    let local = if live == 0 {
        if !args.json {
            eprintln!("confq: no live worker is registered; running one in this process");
        }
        let local = start_local_worker(&services.broker, &store, &storage, settings, &queue);
        Some(local.await?)
    } else {
        None
    };
    let finished = wait_for(&store, &runs, args.json).await;
    if let Some(local) = local {
        local.stop().await;
    }
    if let Some(private) = services.private_redis {
        private.stop().await;
    }
    let finished = finished?;
    print_summary(&finished, args.json);
    if finished
        .iter()
        .any(|run| matches!(run.status, RunStatus::Failed | RunStatus::Cancelled))
    {
        return Err(Failure::runtime(
            "at least one run failed or was cancelled (see the summary above)",
        ));
    }
    Ok(())
}

/// Stores the archive at `path`, then creates its run and enqueues it (see `entity::submit`).
async fn submit(intake: Intake<'_>, settings: &Settings, path: &Path) -> Result<Run, Failure> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|error| Failure::caused(format_args!("cannot open {}", path.display()), &error))?;
    let object = intake
        .storage
        .put_stream(file, settings.max_upload_bytes)
        .await
        .map_err(|error| {
            Failure::caused(format_args!("cannot store {}", path.display()), &error)
        })?;
    let filename = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let submission = Submission {
        filename: entity::filename::display_name(Some(&filename)),
        object,
        source: RunSource::Cli,
    };
    intake
        .submit(submission)
        .await
        .map_err(|error| Failure::of(&error))
}

/// A worker and reaper running inside this process until its runs are done.
struct LocalWorker {
    shutdown: Shutdown,
    reaper_stop: CancellationToken,
    handles: Vec<tokio::task::JoinHandle<()>>,
}

impl LocalWorker {
    async fn stop(self) {
        self.shutdown.graceful.cancel();
        self.reaper_stop.cancel();
        for handle in self.handles {
            let _ = handle.await;
        }
    }
}

async fn start_local_worker(
    broker: &Broker,
    store: &Store,
    storage: &Storage,
    settings: &Settings,
    queue: &QueueName,
) -> Result<LocalWorker, Failure> {
    let args = WorkerArgs {
        concurrency: None,
        queues: vec![queue.to_string()],
        strict_priority: false,
        shutdown_grace: 5.0,
        breaker: crate::cli::BreakerArgs::default(),
        time_limits: crate::settings::env_time_limits(),
        celery: crate::celery_args::CeleryArgs::default(),
    };
    let config: WorkerConfig = settings.worker_config(&args)?;
    let shutdown = Shutdown::new();
    let reaper_stop = CancellationToken::new();
    let reaper = reaper::spawn_reaper(broker, store.clone(), settings, reaper_stop.clone()).await?;
    let worker = tokio::spawn({
        let (broker, store, storage, shutdown) = (
            broker.clone(),
            store.clone(),
            storage.clone(),
            shutdown.clone(),
        );
        async move {
            if let Err(failure) =
                worker_cmd::spawn_worker(broker, store, storage, config, shutdown).await
            {
                eprintln!("confq: the in-process worker stopped: {failure}");
            }
        }
    });
    Ok(LocalWorker {
        shutdown,
        reaper_stop,
        handles: vec![reaper, worker],
    })
}

/// How long `--wait` waits, after a run completes, for its settings to be indexed. Indexing is a
/// task of its own; if it keeps failing (dead-lettered) the reaper's sweep re-enqueues it, but the
/// command does not wait for that forever: it reports the run and says the search will catch up.
const INDEX_WAIT: Duration = Duration::from_secs(120);

async fn wait_for(store: &Store, runs: &[Run], json: bool) -> Result<Vec<Run>, Failure> {
    let progress = Progress::new(runs, !json);
    let mut all_complete_since: Option<Instant> = None;
    loop {
        let mut current = Vec::with_capacity(runs.len());
        for run in runs {
            let latest = store
                .run(run.id)
                .await
                .map_err(|error| {
                    Failure::caused(format_args!("cannot read run {}", run.id), &error)
                })?
                .ok_or_else(|| Failure::runtime(format!("run {} vanished", run.id)))?;
            progress.update(&latest);
            current.push(latest);
        }
        // A complete run is waited for until it is searchable too (its settings indexed), for at
        // most INDEX_WAIT after every run has finished.
        if current.iter().all(|run| run.status.is_terminal()) {
            let since = *all_complete_since.get_or_insert_with(Instant::now);
            let unindexed: Vec<String> = current
                .iter()
                .filter(|run| {
                    run.status == RunStatus::Complete && run.settings_indexed_at.is_none()
                })
                .map(|run| run.id.to_string())
                .collect();
            if unindexed.is_empty() || since.elapsed() >= INDEX_WAIT {
                progress.finish();
                if !unindexed.is_empty() {
                    eprintln!(
                        "confq: the settings of run(s) {} are not indexed yet; `confq settings` will find them once the reaper's sweep has re-indexed them",
                        unindexed.join(", ")
                    );
                }
                return Ok(current);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn print_submitted(runs: &[Run], json: bool) {
    if json {
        let items: Vec<Value> = runs
            .iter()
            .map(|run| json!({"run_id": run.id.0, "task_id": run.task_id, "filename": run.filename, "status": run.status}))
            .collect();
        out!("{}", json!({ "runs": items }));
    } else {
        let rows: Vec<Vec<String>> = runs
            .iter()
            .map(|run| {
                vec![
                    run.id.to_string(),
                    run.filename.clone(),
                    run.status.as_str().to_owned(),
                ]
            })
            .collect();
        out!("{}", table::render(&["run", "file", "status"], &rows));
    }
}

/// One line of the summary: what the contract's table shows.
fn summary_row(run: &Run) -> Value {
    let metrics = run.metrics.clone().unwrap_or_default();
    let seconds = match (run.started_at, run.completed_at) {
        (Some(start), Some(end)) => (end - start).num_milliseconds() as f64 / 1000.0,
        _ => metrics.duration_seconds,
    };
    json!({
        "run_id": run.id.0,
        "filename": run.filename,
        "status": run.status,
        "files": metrics.files_parsed,
        "stanzas": metrics.stanzas_created,
        "parse_errors": metrics.parse_errors,
        "retries": run.retry_count,
        "seconds": (seconds * 100.0).round() / 100.0,
        "error_message": run.error_message,
    })
}

fn print_summary(runs: &[Run], json: bool) {
    let rows: Vec<Value> = runs.iter().map(summary_row).collect();
    if json {
        out!("{}", json!({ "runs": rows }));
        return;
    }
    let keys = [
        "run_id",
        "status",
        "files",
        "stanzas",
        "parse_errors",
        "retries",
        "seconds",
        "error_message",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| keys.iter().map(|key| table::cell(&row[*key])).collect())
        .collect();
    out!(
        "{}",
        table::render(
            &[
                "run", "status", "files", "stanzas", "errors", "retries", "seconds", "error"
            ],
            &cells
        )
    );
}
