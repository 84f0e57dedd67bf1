//! The command line: every subcommand and setting of CONTRACT §1–§2. Each setting is a flag or a
//! `CONFQ_*` variable (flags win), so `confq --help` is the configuration reference.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// confq: a Redis-brokered task system that ingests Splunk configuration archives.
#[derive(Debug, Parser)]
#[command(name = "confq", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// Settings shared by every command.
    #[command(flatten)]
    pub settings: Settings,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Settings shared by every command (CONTRACT §2). URLs may carry passwords, so `--help` never
/// shows their values from the environment.
#[derive(Debug, Clone, Args)]
pub(crate) struct Settings {
    /// Redis URL of the broker, or a comma-separated list of Redis Cluster node URLs.
    #[arg(
        long,
        global = true,
        env = "CONFQ_REDIS_URL",
        hide_env_values = true,
        default_value = "redis://127.0.0.1:6379"
    )]
    pub redis_url: String,
    /// SeaORM database URL (`sqlite://…` or `postgres://…`); `DATABASE_URL` is read too.
    /// Default: `sqlite://<data dir>/confq.db?mode=rwc`.
    #[arg(
        long,
        global = true,
        env = "CONFQ_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Seconds a database call waits for a connection before it fails (a transient failure the
    /// worker's `database` breaker counts): while the database is down, calls hang this long.
    #[arg(
        long,
        global = true,
        env = "CONFQ_DATABASE_ACQUIRE_SECS",
        default_value_t = 15.0
    )]
    pub database_acquire_secs: f64,
    /// Where uploaded archives live: `file://…` or `s3://bucket/prefix`.
    /// Default: `file://<data dir>/uploads`.
    #[arg(long, global = true, env = "CONFQ_STORAGE_URL", hide_env_values = true)]
    pub storage_url: Option<String>,
    /// Root of the embedded defaults.
    #[arg(
        long,
        global = true,
        env = "CONFQ_DATA_DIR",
        default_value = "./confq-data"
    )]
    pub data_dir: PathBuf,
    /// Prefix of every Redis key.
    #[arg(long, global = true, env = "CONFQ_KEY_PREFIX", default_value = "confq")]
    pub key_prefix: String,
    /// Retries after the first attempt.
    #[arg(long, global = true, env = "CONFQ_MAX_RETRIES", default_value_t = 3)]
    pub max_retries: u32,
    /// Seconds before retry 1, 2, 3 (the last repeats); ±10 % jitter.
    #[arg(
        long,
        global = true,
        env = "CONFQ_RETRY_BACKOFF",
        default_value = protocol::DEFAULT_BACKOFF
    )]
    pub retry_backoff: String,
    /// Per-class retry overrides as JSON (classes `transient`, `permanent`, and `timeout` for
    /// lease expiries, which starts from `transient`), e.g.
    /// `{"transient": {"max_retries": 5, "backoff": [10, 60]}, "permanent": {"retry": false}}`.
    /// The reaper applies it too: give it the same value as the workers.
    #[arg(long, global = true, env = "CONFQ_RETRY_POLICY")]
    pub retry_policy: Option<String>,
    /// Visibility lease: a task that does not renew it within this long is redelivered.
    #[arg(long, global = true, env = "CONFQ_LEASE_SECS", default_value_t = 120.0)]
    pub lease_secs: f64,
    /// How often a running task renews its lease and `last_heartbeat`.
    #[arg(
        long,
        global = true,
        env = "CONFQ_HEARTBEAT_SECS",
        default_value_t = 30.0
    )]
    pub heartbeat_secs: f64,
    /// Reaper scan period.
    #[arg(
        long,
        global = true,
        env = "CONFQ_REAPER_INTERVAL_SECS",
        default_value_t = 5.0
    )]
    pub reaper_interval_secs: f64,
    /// Dead letters kept per queue; the oldest are dropped first.
    #[arg(long, global = true, env = "CONFQ_DEAD_MAX", default_value_t = broker::DEFAULT_DEAD_MAX)]
    pub dead_max: usize,
    /// Replicas that must acknowledge an enqueue and any move of a task (retry, dead letter, the
    /// reaper's moves, a requeue) before it counts as done (`WAIT N`); 0 waits for none.
    #[arg(
        long,
        global = true,
        env = "CONFQ_REDIS_WAIT_REPLICAS",
        default_value_t = 0
    )]
    pub redis_wait_replicas: usize,
    /// Dead letters older than this many seconds are dropped (on every reaper tick too).
    #[arg(
        long,
        global = true,
        env = "CONFQ_DEAD_MAX_AGE_SECS",
        default_value_t = broker::DEFAULT_DEAD_MAX_AGE.as_secs_f64()
    )]
    pub dead_max_age_secs: f64,
    /// Finished task states (and results) are kept this many seconds (`confq task`,
    /// `GET /v1/tasks/{id}`).
    #[arg(
        long,
        global = true,
        env = "CONFQ_RESULT_TTL_SECS",
        default_value_t = broker::DEFAULT_RESULT_TTL.as_secs_f64()
    )]
    pub result_ttl_secs: f64,
    /// Keep no state of finished tasks (fire-and-forget; lookups then see pending, delayed,
    /// running, dead and cancelled tasks only).
    #[arg(long, global = true, env = "CONFQ_NO_RESULTS")]
    pub no_results: bool,
    /// When set, every mutating HTTP endpoint requires `Authorization: Bearer <token>`.
    #[arg(long, global = true, env = "CONFQ_API_TOKEN", hide_env_values = true)]
    pub api_token: Option<String>,
    /// Larger uploads get 413.
    #[arg(
        long,
        global = true,
        env = "CONFQ_MAX_UPLOAD_BYTES",
        default_value_t = 536_870_912
    )]
    pub max_upload_bytes: u64,
    /// Log format; the level comes from `RUST_LOG`.
    #[arg(long, global = true, env = "CONFQ_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// A `parsing` run whose heartbeat is older than this many seconds counts as stuck
    /// (`stuck_runs` in the metrics, `confq_stuck_runs` in Prometheus).
    #[arg(long, global = true, env = "CONFQ_STUCK_SECS", default_value_t = 300.0)]
    pub stuck_secs: f64,
    /// Do not apply database migrations at start.
    #[arg(long, global = true)]
    pub no_migrate: bool,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// Readable lines for people.
    Text,
    /// One JSON object per line for machines.
    Json,
}

/// The subcommands of CONTRACT §1.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// HTTP API server.
    Api(ApiArgs),
    /// A worker process.
    Worker(WorkerCommand),
    /// The sidecar: re-queues expired leases, promotes due retries, dead-letters exhausted tasks.
    Reaper(ReaperArgs),
    /// Applies database migrations.
    Migrate,
    /// API + worker + reaper in one process on the embedded defaults; for a laptop.
    Dev(ApiArgs),
    /// Stores archives, creates runs and enqueues them.
    Ingest(IngestArgs),
    /// One run's status.
    Status(StatusArgs),
    /// Aggregate metrics with queue depths.
    Metrics(JsonArgs),
    /// Pushes one envelope.
    Enqueue(EnqueueArgs),
    /// Dead-letter operations.
    Dead(DeadArgs),
    /// One task's state, attempt, result or error, by id.
    Task(TaskArgs),
    /// Cancels a task: pending, delayed or dead ones are removed; a running one is told to stop
    /// (not retried). Its ingestion run ends `cancelled`.
    Cancel(CancelArgs),
    /// A complete run's effective configuration of one conf type, as `splunk btool CONF list`.
    Btool(BtoolArgs),
    /// What changed in the effective configuration from one complete run to another.
    Diff(DiffArgs),
    /// Where settings are defined across runs: a key (exact or with `*`), a value substring.
    Settings(crate::commands::search::SearchArgs),
}

/// Arguments of `confq api` and `confq dev`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ApiArgs {
    /// Listen address.
    #[arg(long, env = "CONFQ_BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,
    /// Require the API token for reads too.
    #[arg(long)]
    pub protect_reads: bool,
    /// Seconds an upload body may send nothing before it is cut off with 408.
    #[arg(long, env = "CONFQ_UPLOAD_IDLE_SECS", default_value_t = 30.0)]
    pub upload_idle_secs: f64,
}

/// Arguments of `confq worker`.
#[derive(Debug, Clone, Args)]
pub(crate) struct WorkerArgs {
    /// Tasks in flight at once (default: 2 × cores).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Queues to consume, `Q` or `Q=WEIGHT` (repeatable, or comma-separated in `CONFQ_QUEUES`;
    /// default `ingest=1`): a non-empty queue is picked with probability proportional to its
    /// weight (1 when not given).
    #[arg(
        long = "queue",
        value_name = "Q[=WEIGHT]",
        env = "CONFQ_QUEUES",
        value_delimiter = ','
    )]
    pub queues: Vec<String>,
    /// Always take from the first listed non-empty queue (later queues wait while it has tasks).
    #[arg(long)]
    pub strict_priority: bool,
    /// Seconds in-flight tasks may take to finish after SIGTERM before they are given back.
    #[arg(long, default_value_t = 30.0)]
    pub shutdown_grace: f64,
    /// Circuit breakers of the tasks' dependencies (`database`, `storage`).
    #[command(flatten)]
    pub breaker: BreakerArgs,
    /// Time limit per task type, `TASK=SECONDS` (repeatable, or comma-separated in
    /// `CONFQ_TIME_LIMITS`); an envelope's `time_limit` wins. A delivery past its limit is
    /// stopped and fails as `timeout` (the retry policy decides).
    #[arg(
        long = "time-limit",
        value_name = "TASK=SECONDS",
        env = "CONFQ_TIME_LIMITS",
        value_delimiter = ','
    )]
    pub time_limits: Vec<String>,
    /// Celery interoperability (docs/celery.md).
    #[command(flatten)]
    pub celery: crate::celery_args::CeleryArgs,
}

/// How a worker's circuit breakers open, probe and close (docs/worker-setup.md).
#[derive(Debug, Clone, Args)]
pub(crate) struct BreakerArgs {
    /// Transient failures of one dependency within the window that open its breaker:
    /// tasks that need it then stay queued, spending no retry.
    #[arg(long, env = "CONFQ_BREAKER_THRESHOLD", default_value_t = 5)]
    pub breaker_threshold: u32,
    /// Seconds within which those failures must fall.
    #[arg(long, env = "CONFQ_BREAKER_WINDOW_SECS", default_value_t = 30.0)]
    pub breaker_window_secs: f64,
    /// Seconds before an open breaker's first probe (`SELECT 1`, a HEAD on the storage),
    /// doubled after each failed probe.
    #[arg(long, env = "CONFQ_BREAKER_PROBE_SECS", default_value_t = 0.25)]
    pub breaker_probe_secs: f64,
    /// Longest wait between probes.
    #[arg(long, env = "CONFQ_BREAKER_PROBE_MAX_SECS", default_value_t = 1.0)]
    pub breaker_probe_max_secs: f64,
    /// When a breaker closes, re-enqueue (once across the fleet, with a fresh retry budget) the
    /// runs that ended `failed`/`transient_exhausted` during the outage, and drop their dead
    /// letters.
    #[arg(long, env = "CONFQ_RECOVERY_REQUEUE", default_value_t = true, action = clap::ArgAction::Set)]
    pub recovery_requeue: bool,
    /// Seconds before the breaker opened that the recovery requeue also covers (failures that
    /// exhausted their retries before the breaker noticed the outage).
    #[arg(long, env = "CONFQ_RECOVERY_LOOKBACK_SECS", default_value_t = 900.0)]
    pub recovery_lookback_secs: f64,
}

impl Default for BreakerArgs {
    /// The flags' defaults, for workers started inside other commands (`confq dev`, `ingest`).
    fn default() -> Self {
        Self {
            breaker_threshold: 5,
            breaker_window_secs: 30.0,
            breaker_probe_secs: 0.25,
            breaker_probe_max_secs: 1.0,
            recovery_requeue: true,
            recovery_lookback_secs: 900.0,
        }
    }
}

/// `confq worker`: the worker's settings plus its own HTTP endpoint and health probe.
#[derive(Debug, Clone, Args)]
pub(crate) struct WorkerCommand {
    /// How the worker runs.
    #[command(flatten)]
    pub worker: WorkerArgs,
    /// Serve this worker's `/metrics` (Prometheus: task durations and counts) and `/healthz`
    /// (200 while its registration in Redis is fresh) on this address, e.g. `0.0.0.0:9464`.
    #[arg(long, env = "CONFQ_WORKER_METRICS_BIND")]
    pub metrics_bind: Option<String>,
    /// Health probe: ask the worker serving `--metrics-bind` for `/healthz`; exit 0 when it is
    /// healthy, 1 otherwise. Starts no worker.
    #[arg(long)]
    pub check: bool,
}

/// Arguments of `confq reaper`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ReaperArgs {
    /// Health probe: exit 0 when a reaper finished a tick within the last three
    /// `CONFQ_REAPER_INTERVAL_SECS` (at least 5 s), 1 otherwise. Starts no reaper.
    #[arg(long)]
    pub check: bool,
}

/// Arguments of `confq ingest`.
#[derive(Debug, Clone, Args)]
pub(crate) struct IngestArgs {
    /// Archives to ingest (.zip, .tar, .tar.gz/.tgz, .spl).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Wait for the runs to finish and print a summary.
    #[arg(long)]
    pub wait: bool,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Queue the ingestion tasks go to (the run's status shows it; a worker started here for
    /// `--wait` consumes it).
    #[arg(long, default_value = protocol::DEFAULT_QUEUE)]
    pub queue: String,
}

/// Arguments of `confq status`.
#[derive(Debug, Clone, Args)]
pub(crate) struct StatusArgs {
    /// The run id.
    pub run_id: i64,
    /// Print the HTTP status document.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `confq task`.
#[derive(Debug, Clone, Args)]
pub(crate) struct TaskArgs {
    /// The task id (a UUID).
    pub task_id: String,
    /// Print the HTTP task document (`GET /v1/tasks/{id}`).
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `confq cancel`.
#[derive(Debug, Clone, Args)]
pub(crate) struct CancelArgs {
    /// The task id (a UUID).
    pub task_id: String,
}

/// A lone `--json` flag.
#[derive(Debug, Clone, Args)]
pub(crate) struct JsonArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `confq enqueue`.
#[derive(Debug, Clone, Args)]
pub(crate) struct EnqueueArgs {
    /// Registered task name, e.g. `confq.sleep`.
    pub task: String,
    /// The task's arguments, a JSON object.
    pub args_json: String,
    /// Queue to push onto.
    #[arg(long, default_value = protocol::DEFAULT_QUEUE)]
    pub queue: String,
    /// Seconds to wait before the task becomes due.
    #[arg(long)]
    pub delay: Option<f64>,
}

/// Arguments of `confq dead`.
#[derive(Debug, Clone, Args)]
pub(crate) struct DeadArgs {
    /// Queue whose dead letters to handle.
    #[arg(long, global = true, default_value = protocol::DEFAULT_QUEUE)]
    pub queue: String,
    /// The operation.
    #[command(subcommand)]
    pub command: DeadCommand,
}

/// Dead-letter operations.
#[derive(Debug, Clone, Subcommand)]
pub(crate) enum DeadCommand {
    /// Lists dead letters with their reasons.
    List(JsonArgs),
    /// Puts one task (or all, with --all) back on its queue.
    Requeue(RequeueArgs),
    /// Deletes every dead letter of the queue.
    Purge,
}

/// Arguments of `confq dead requeue`.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct RequeueArgs {
    /// The task id to requeue.
    pub task_id: Option<String>,
    /// Requeue every dead letter.
    #[arg(long)]
    pub all: bool,
}

/// Arguments of `confq btool`.
#[derive(Debug, Clone, Args)]
pub(crate) struct BtoolArgs {
    /// The run id (a complete run).
    pub run_id: i64,
    /// The conf type, e.g. `props` for props.conf.
    pub conf: String,
    /// Only this stanza (exact name).
    pub stanza: Option<String>,
    /// Start each line with the file it comes from, as `btool --debug` does.
    #[arg(long)]
    pub debug: bool,
}

/// Arguments of `confq diff`.
#[derive(Debug, Clone, Args)]
pub(crate) struct DiffArgs {
    /// The earlier run.
    pub a: i64,
    /// The later run.
    pub b: i64,
    /// Only this conf type (default: every one).
    #[arg(long)]
    pub conf: Option<String>,
    /// Print the JSON document of `GET /v1/runs/{a}/diff/{b}` with every change.
    #[arg(long)]
    pub json: bool,
}
