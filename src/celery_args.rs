//! `confq worker`'s Celery flags (docs/celery.md): which Celery queues to consume, task aliases,
//! where results go. `confq dev` reads the same `CONFQ_CELERY_*` variables.

use clap::{Args, Parser};
use worker::celery::{CelerySettings, task_map};

use crate::exit::Failure;
use crate::settings::{non_empty, queue};

/// Celery interoperability: consume Celery protocol v2 messages (JSON) that Python's
/// `send_task` pushes, and write their results in Celery's Redis result format.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct CeleryArgs {
    /// A Celery queue (kombu list name, e.g. `celery`) to consume with its priority lists
    /// (repeatable, or comma-separated in `CONFQ_CELERY_QUEUES`).
    #[arg(
        long = "celery-queue",
        value_name = "NAME",
        env = "CONFQ_CELERY_QUEUES",
        value_delimiter = ','
    )]
    pub celery_queues: Vec<String>,
    /// Celery task names run as confq tasks of another name: `celery.name=confq.name,…`.
    #[arg(long, env = "CONFQ_CELERY_TASK_MAP", value_name = "FROM=TO,...")]
    pub celery_task_map: Option<String>,
    /// Redis URL for the Celery results (default: the broker's Redis).
    #[arg(long, env = "CONFQ_CELERY_RESULT_URL", hide_env_values = true)]
    pub celery_result_url: Option<String>,
    /// Record `STARTED` when a Celery task starts (Celery's `task_track_started`).
    #[arg(long, env = "CONFQ_CELERY_TRACK_STARTED")]
    pub celery_track_started: bool,
}

/// Only the Celery flags, to read their variables where no command line carries them.
#[derive(Parser)]
struct EnvOnly {
    #[command(flatten)]
    celery: CeleryArgs,
}

impl CeleryArgs {
    /// The `CONFQ_CELERY_*` variables alone (`confq dev`).
    ///
    /// # Errors
    /// A usage failure when a variable is invalid.
    pub(crate) fn from_env() -> Result<Self, Failure> {
        EnvOnly::try_parse_from(["confq"])
            .map(|e| e.celery)
            .map_err(|error| Failure::usage(format!("CONFQ_CELERY_*: {error}")))
    }

    /// The worker's Celery settings.
    ///
    /// # Errors
    /// A usage failure naming the invalid queue name or alias.
    pub(crate) fn settings(&self) -> Result<CelerySettings, Failure> {
        let queues = self
            .celery_queues
            .iter()
            .map(|name| name.trim())
            .filter(|name| !name.is_empty())
            .map(queue)
            .collect::<Result<_, _>>()?;
        let map = non_empty(&self.celery_task_map).unwrap_or_default();
        Ok(CelerySettings {
            queues,
            task_map: task_map(&map)
                .map_err(|error| Failure::usage(format!("CONFQ_CELERY_TASK_MAP: {error}")))?,
            result_url: non_empty(&self.celery_result_url),
            track_started: self.celery_track_started,
        })
    }
}
