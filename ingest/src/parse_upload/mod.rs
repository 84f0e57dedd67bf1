//! `ingest.parse_upload`: open an uploaded archive, parse every `.conf`/`.meta` file into stanzas
//! and store them, fenced by the run's attempt so a re-delivery or a zombie never duplicates data.

mod classify;
mod error;
mod hooks;
mod read;
mod tally;

use std::sync::Arc;

use broker::TaskId;
use entity::StoreError;
use entity::storage::Storage;
use entity::store::{Delivered, Indexed, NewRun, Run, RunId, RunSource, RunStatus, Store};
use futures::future::BoxFuture;
use protocol::{PARSE_UPLOAD, ParseUpload};
use splunk::archive::Limits;
use tracing::{Span, info};

pub use classify::{classify, dependency};
pub use error::IngestError;

use tally::{Phase, Tally};
use worker::breaker::Dependency;
use worker::failure::TaskFailure;
use worker::retry::retries_before;
use worker::task::{TaskContext, TaskResult, TypedTask};

use crate::fault;

/// What ingestion reads from and writes to.
pub struct Ingestor {
    /// The run store.
    pub store: Store,
    /// Where uploaded archives live.
    pub storage: Storage,
    /// Caps applied to every archive.
    pub limits: Limits,
}

/// The `ingest.parse_upload` task; its arguments are [`protocol::ParseUpload`].
pub struct ParseUploadTask {
    ingestor: Arc<Ingestor>,
}

impl ParseUploadTask {
    /// The task over `ingestor`.
    pub fn new(ingestor: Arc<Ingestor>) -> Self {
        Self { ingestor }
    }
}

impl TypedTask for ParseUploadTask {
    type Args = ParseUpload;
    const NAME: &'static str = PARSE_UPLOAD;
    const DEPENDENCIES: &'static [Dependency] = &[Dependency::DATABASE, Dependency::STORAGE];

    fn run(&self, ctx: TaskContext, args: ParseUpload) -> BoxFuture<'static, TaskResult> {
        let ingestor = self.ingestor.clone();
        Box::pin(async move {
            ingestor.ingest(&ctx, args).await.map_err(|error| {
                let class = classify(&error);
                let mut failure = TaskFailure::permanent(&error);
                failure.class = class;
                failure.dependency = dependency(&error);
                failure
            })
        })
    }
}

impl Ingestor {
    async fn ingest(&self, ctx: &TaskContext, args: ParseUpload) -> Result<(), IngestError> {
        let task_id = ctx.envelope.id;
        let run = self.resolve_run(&task_id, args).await?;
        Span::current().record("run.id", run.id.0);
        if run.status == RunStatus::Complete {
            info!("run already complete: skipping the re-delivery");
            if run.settings_indexed_at.is_none() {
                // A delivery that died between completion and indexing: finish its work.
                self.index(ctx, run.id).await?;
            }
            return Ok(());
        }
        // Tests pause here to let a late expiry record land ([`crate::fault`]).
        fault::fails("ingest.before_begin_attempt").await;
        // A worker paused past its lease must not begin an attempt over its successor's.
        ctx.renew_lease().await.map_err(IngestError::Lease)?;
        let delivered = Delivered {
            attempt: ctx.envelope.attempt,
            retries: retries_before(&ctx.envelope),
        };
        // The retry count and first start are read in the transaction that takes the fence: a
        // lease expiry recorded since the row was read above is counted, a later one fences us.
        let begun = match self
            .store
            .begin_delivery(run.id, task_id.0, delivered)
            .await
        {
            Ok(begun) => begun,
            Err(StoreError::AlreadyComplete(_)) => return self.index(ctx, run.id).await,
            Err(error) => return Err(error.into()),
        };
        let fence = begun.fence;
        let tally = Arc::new(Tally::new(begun.started_at));
        let hooks = Arc::new(hooks::IngestHooks::new(
            self.store.clone(),
            run.id,
            fence,
            tally.clone(),
        ));
        ctx.set_hooks(hooks.clone());
        // Tests inject a database outage, or stall the attempt, here ([`crate::fault`]).
        if fault::fails("ingest.before_read").await {
            return Err(fault::db_outage("reach the database (injected fault)").into());
        }
        let source = self.storage.open(&run.object_key).await?;
        // One member can take long to inflate and parse, and the write is one transaction: both
        // are bounded (caps, database timeouts), so they count as progress while they run.
        let read::ReadArchive {
            files,
            warnings,
            read,
            parse,
        } = ctx
            .progress
            .while_pending(read::parse_archive(
                source,
                self.limits,
                ctx.progress.clone(),
                ctx.cancel.clone(),
            ))
            .await?;
        ctx.progress.tick();
        tally.timed(Phase::Read, read);
        tally.timed(Phase::Parse, parse);
        let parse_errors = files
            .iter()
            .filter(|file| file.parse_error.is_some())
            .count();
        let files_parsed = files.len();
        tally.parsed(files_parsed, parse_errors);
        tally.warned(warnings);
        let writing = std::time::Instant::now();
        let written = ctx
            .progress
            .while_pending(self.store.write_results(run.id, fence, files))
            .await?;
        ctx.progress.tick();
        tally.timed(Phase::Write, writing.elapsed());
        tally.written(written.stanzas);
        // Tests fail or stall the attempt here, after its results are written ([`crate::fault`]).
        if fault::fails("ingest.before_complete").await {
            return Err(fault::db_outage("complete the run (injected fault)").into());
        }
        let retry_count = u32::try_from(begun.retry_count).unwrap_or(0);
        let metrics = tally.metrics(retry_count, None);
        self.store.complete(run.id, fence, metrics.clone()).await?;
        hooks.completed();
        info!(
            files = files_parsed,
            stanzas = written.stanzas,
            parse_errors,
            read_seconds = metrics.read_seconds,
            parse_seconds = metrics.parse_seconds,
            write_seconds = metrics.write_seconds,
            "run complete"
        );
        // Tests stop the delivery here, complete but not yet searchable ([`crate::fault`]).
        if fault::fails("ingest.before_index").await {
            return Err(fault::db_outage("index the run's settings (injected fault)").into());
        }
        self.index(ctx, run.id).await
    }

    /// Indexes a complete run's settings for search, unless it already is.
    async fn index(&self, ctx: &TaskContext, run: RunId) -> Result<(), IngestError> {
        // One transaction bounded by the run's size: it counts as progress while it runs.
        let indexed = ctx
            .progress
            .while_pending(self.store.index_settings(run))
            .await?;
        match indexed {
            Indexed::Now(settings) => info!(settings, "run indexed for search"),
            Indexed::Already => info!("run already indexed for search"),
        }
        Ok(())
    }

    async fn resolve_run(&self, task_id: &TaskId, args: ParseUpload) -> Result<Run, IngestError> {
        match args {
            ParseUpload::Run { run_id } => {
                let id = RunId(run_id);
                self.store.run(id).await?.ok_or(IngestError::RunMissing(id))
            }
            ParseUpload::Object { object, filename } => {
                if !self.storage.exists(&object).await? {
                    return Err(IngestError::ObjectMissing { key: object });
                }
                let new = NewRun {
                    // A producer's name, sanitised as an upload's is.
                    filename: entity::filename::display_name(Some(&filename)),
                    object_key: object,
                    size_bytes: 0,
                    sha256: String::new(),
                    source: RunSource::External,
                    task_id: Some(task_id.0),
                    queue: None,
                };
                Ok(self.store.create_run_for_task(task_id.0, new).await?)
            }
        }
    }
}
