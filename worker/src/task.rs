//! The task registry: task names mapped to handlers with typed arguments, and the context a handler
//! runs with (its envelope, progress reporting, cancellation, and hooks for its own bookkeeping).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};

use broker::{BrokerError, Envelope};
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::breaker::{BreakerConfig, Breakers, Dependency, Probe, Recovery};
use crate::failure::{FailureClass, TaskFailure};
use crate::heartbeat::Lease;
use crate::hooks::{HookSlot, RunHooks};
use crate::progress::Progress;

/// What a task handler returns.
pub type TaskResult = Result<(), TaskFailure>;

/// A registered task: a name and an async handler over JSON arguments.
pub trait Task: Send + Sync + 'static {
    /// The registered name, e.g. `ingest.parse_upload`.
    fn name(&self) -> &'static str;

    /// Runs one delivery of the task.
    fn run(&self, ctx: TaskContext, args: Map<String, Value>) -> BoxFuture<'static, TaskResult>;

    /// The dependencies the task needs (`database`, `storage`, your own): while one's breaker
    /// is open the worker leaves the task queued. None by default.
    fn dependencies(&self) -> &'static [Dependency] {
        &[]
    }
}

/// A task whose arguments are a typed struct; invalid arguments are a permanent failure.
///
/// Every `TypedTask` is a [`Task`]: register it in a [`Registry`]. The guide is `docs/tasks.md`.
///
/// # Examples
/// ```
/// use futures::future::BoxFuture;
/// use serde::Deserialize;
/// use worker::{FailureClass, TaskContext, TaskFailure, TaskResult, TypedTask};
///
/// /// `example.shout {"text"}`: logs the text in capitals.
/// struct Shout;
///
/// #[derive(Deserialize)]
/// struct ShoutArgs {
///     text: String,
/// }
///
/// impl TypedTask for Shout {
///     type Args = ShoutArgs;
///     const NAME: &'static str = "example.shout";
///
///     fn run(&self, _ctx: TaskContext, args: ShoutArgs) -> BoxFuture<'static, TaskResult> {
///         Box::pin(async move {
///             if args.text.is_empty() {
///                 return Err(TaskFailure::message(FailureClass::Permanent, "nothing to shout"));
///             }
///             tracing::info!("{}", args.text.to_uppercase());
///             Ok(())
///         })
///     }
/// }
///
/// let mut registry = worker::tasks::builtin();
/// registry.register(Shout);
/// assert!(registry.get("example.shout").is_some());
/// ```
pub trait TypedTask: Send + Sync + 'static {
    /// The arguments, deserialised from the envelope's `args`.
    type Args: DeserializeOwned + Send;

    /// The registered name.
    const NAME: &'static str;

    /// The dependencies the task needs (see [`Task::dependencies`]); none by default.
    const DEPENDENCIES: &'static [Dependency] = &[];

    /// Runs one delivery with parsed arguments.
    fn run(&self, ctx: TaskContext, args: Self::Args) -> BoxFuture<'static, TaskResult>;
}

impl<T: TypedTask> Task for T {
    fn name(&self) -> &'static str {
        T::NAME
    }

    fn dependencies(&self) -> &'static [Dependency] {
        T::DEPENDENCIES
    }

    fn run(&self, ctx: TaskContext, args: Map<String, Value>) -> BoxFuture<'static, TaskResult> {
        match serde_json::from_value::<T::Args>(Value::Object(args)) {
            Ok(args) => TypedTask::run(self, ctx, args),
            Err(error) => {
                let failure = TaskFailure::message(
                    FailureClass::Permanent,
                    format!("invalid arguments for {}: {error}", T::NAME),
                );
                Box::pin(async move { Err(failure) })
            }
        }
    }
}

/// What a handler knows about the delivery it runs.
#[derive(Clone)]
pub struct TaskContext {
    /// The envelope as delivered (attempt counts previous failed attempts).
    pub envelope: Arc<Envelope>,
    /// Report progress here; a task that stops reporting stops renewing its lease.
    pub progress: Progress,
    /// Cancelled when the lease is lost or the worker stops at once: stop without writing.
    pub cancel: CancellationToken,
    pub(crate) hooks: HookSlot,
    /// What the handler returns as its result (`set_result`), kept in the task's state.
    result: Arc<Mutex<Value>>,
    /// The delivery's lease, so a handler can confirm it still holds the task before a step that
    /// must not run twice.
    lease: Option<Lease>,
}

impl TaskContext {
    /// A context for `envelope` (used by the runner, and by tests that call handlers directly).
    ///
    /// # Examples
    /// Running a handler without Redis, as a unit test does:
    /// ```
    /// use broker::Envelope;
    /// use tokio_util::sync::CancellationToken;
    /// use worker::tasks::diagnostic::{Sleep, SleepArgs};
    /// use worker::{Progress, TaskContext, TypedTask};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let envelope = Envelope::new("confq.sleep", serde_json::Map::new());
    /// let ctx = TaskContext::new(envelope, Progress::new(), CancellationToken::new());
    /// TypedTask::run(&Sleep, ctx, SleepArgs { ms: 1 }).await.expect("slept");
    /// # }
    /// ```
    pub fn new(envelope: Envelope, progress: Progress, cancel: CancellationToken) -> Self {
        Self {
            envelope: Arc::new(envelope),
            progress,
            cancel,
            hooks: HookSlot::default(),
            result: Arc::new(Mutex::new(Value::Null)),
            lease: None,
        }
    }

    /// Sets the task's result: a JSON value kept with its `succeeded` state for the result TTL
    /// (`GET /v1/tasks/{id}`, `confq task ID`). Without it the result is `null`.
    ///
    /// # Examples
    /// ```
    /// use broker::Envelope;
    /// use tokio_util::sync::CancellationToken;
    /// use worker::{Progress, TaskContext};
    ///
    /// let ctx = TaskContext::new(Envelope::new("x", serde_json::Map::new()), Progress::new(), CancellationToken::new());
    /// ctx.set_result(serde_json::json!({"sum": 5}));
    /// assert_eq!(ctx.result(), serde_json::json!({"sum": 5}));
    /// ```
    pub fn set_result(&self, value: Value) {
        *self.result.lock().unwrap_or_else(PoisonError::into_inner) = value;
    }

    /// The result set so far (`null` if none).
    pub fn result(&self) -> Value {
        self.result
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn with_lease(mut self, lease: Lease) -> Self {
        self.lease = Some(lease);
        self
    }

    /// Renews the lease now and confirms this delivery still holds the task. Call it before a
    /// step that must not be taken by a worker whose lease already moved on (for ingestion:
    /// before beginning the attempt and before writing results).
    ///
    /// # Errors
    /// A `Timeout` failure when the lease is lost (the runner then abandons the task without
    /// writing); a transient failure when Redis cannot be asked.
    pub async fn renew_lease(&self) -> Result<(), TaskFailure> {
        let Some(lease) = &self.lease else {
            return Ok(());
        };
        match lease.consumer.extend_lease(&lease.delivery).await {
            Ok(()) => Ok(()),
            Err(BrokerError::LeaseLost { .. }) => {
                lease.lost.cancel();
                Err(TaskFailure::message(
                    FailureClass::Timeout,
                    "the lease was lost: another delivery holds the task",
                ))
            }
            Err(error) => Err(TaskFailure::transient(&error)),
        }
    }

    /// Installs the hooks through which the runner reports heartbeats and the final decision
    /// (retrying, failed) to the task's own records.
    pub fn set_hooks(&self, hooks: Arc<dyn RunHooks>) {
        self.hooks.set(hooks);
    }

    /// The hooks a handler installed, if any.
    pub fn hooks(&self) -> Option<Arc<dyn RunHooks>> {
        self.hooks.get()
    }
}

/// Task names mapped to handlers.
///
/// # Examples
/// The built-ins, and a task of your own beside them (any [`Task`] or [`TypedTask`]):
/// ```
/// use worker::tasks::diagnostic::Noop;
///
/// let registry = worker::tasks::builtin();
/// assert_eq!(registry.names(), ["confq.echo", "confq.fail", "confq.noop", "confq.sleep"]);
///
/// let mut mine = worker::Registry::new();
/// mine.register(Noop);
/// assert!(mine.get("confq.noop").is_some());
/// assert!(mine.get("confq.sleep").is_none());
/// ```
#[derive(Clone, Default)]
pub struct Registry {
    tasks: BTreeMap<&'static str, Arc<dyn Task>>,
    probes: BTreeMap<Dependency, Arc<dyn Probe>>,
    recoveries: Vec<Arc<dyn Recovery>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a task under its name.
    pub fn register(&mut self, task: impl Task) -> &mut Self {
        self.tasks.insert(task.name(), Arc::new(task));
        self
    }

    /// The handler registered under `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn Task>> {
        self.tasks.get(name).cloned()
    }

    /// Every registered name, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.tasks.keys().copied().collect()
    }

    /// The health check of `dependency` its open breaker runs (without one, a trial task is
    /// let through instead).
    pub fn register_probe(&mut self, dependency: Dependency, probe: impl Probe) -> &mut Self {
        self.probes.insert(dependency, Arc::new(probe));
        self
    }

    /// What re-enqueues work that exhausted its retries during an outage, when a breaker closes.
    pub fn register_recovery(&mut self, recovery: impl Recovery) -> &mut Self {
        self.recoveries.push(Arc::new(recovery));
        self
    }

    /// Every dependency a registered task declares or a probe checks.
    pub fn dependencies(&self) -> BTreeSet<Dependency> {
        let declared = self
            .tasks
            .values()
            .flat_map(|t| t.dependencies().iter().copied());
        declared.chain(self.probes.keys().copied()).collect()
    }

    /// The breakers of a worker running this registry as `worker`.
    pub fn breakers(&self, config: BreakerConfig, worker: &str) -> Breakers {
        Breakers::new(
            config,
            worker,
            self.dependencies(),
            self.probes.clone(),
            self.recoveries.clone(),
        )
    }
}
