//! Turns the command-line settings into the libraries' plain config structs, with one clear error
//! per invalid value.

use std::time::Duration;

use broker::{BrokerConfig, QueueName, WeightedQueue};
use worker::WorkerConfig;
use worker::breaker::BreakerConfig;
use worker::retry::{RetryPolicy, parse_backoff};

use crate::cli::{BreakerArgs, Settings, WorkerArgs};
use crate::exit::Failure;

impl Settings {
    /// The database URL: the flag, `CONFQ_DATABASE_URL`, `DATABASE_URL`, or SQLite in the data dir.
    pub(crate) fn database_url(&self) -> String {
        non_empty(&self.database_url)
            .or_else(|| {
                std::env::var("DATABASE_URL")
                    .ok()
                    .filter(|url| !url.is_empty())
            })
            .unwrap_or_else(|| format!("sqlite://{}/confq.db?mode=rwc", self.data_dir.display()))
    }

    /// The storage URL: the flag, `CONFQ_STORAGE_URL`, or `file://<data dir>/uploads`.
    pub(crate) fn storage_url(&self) -> String {
        non_empty(&self.storage_url).unwrap_or_else(|| {
            let dir = std::path::absolute(self.data_dir.join("uploads"))
                .unwrap_or_else(|_| self.data_dir.join("uploads"));
            format!("file://{}", dir.display())
        })
    }

    /// How long a `parsing` run may go without a heartbeat before it counts as stuck.
    ///
    /// # Errors
    /// A usage failure when `CONFQ_STUCK_SECS` is not a positive number.
    pub(crate) fn stuck_after(&self) -> Result<Duration, Failure> {
        seconds("CONFQ_STUCK_SECS", self.stuck_secs)
    }

    /// The broker's configuration.
    ///
    /// # Errors
    /// A usage failure naming the invalid setting.
    pub(crate) fn broker_config(&self) -> Result<BrokerConfig, Failure> {
        Ok(BrokerConfig {
            redis_url: self.redis_url.clone(),
            key_prefix: self.key_prefix.clone(),
            lease: seconds("CONFQ_LEASE_SECS", self.lease_secs)?,
            reaper_interval: seconds("CONFQ_REAPER_INTERVAL_SECS", self.reaper_interval_secs)?,
            dead_max_len: self.dead_max()?,
            dead_max_age: seconds("CONFQ_DEAD_MAX_AGE_SECS", self.dead_max_age_secs)?,
            wait_replicas: self.redis_wait_replicas,
            result_ttl: seconds("CONFQ_RESULT_TTL_SECS", self.result_ttl_secs)?,
            results: !self.no_results,
            ..BrokerConfig::default()
        })
    }

    fn dead_max(&self) -> Result<usize, Failure> {
        match self.dead_max {
            0 => Err(Failure::usage(
                "CONFQ_DEAD_MAX must be at least 1 (dead letters kept per queue)",
            )),
            n => Ok(n),
        }
    }

    /// The retry policy of workers.
    ///
    /// # Errors
    /// A usage failure when `CONFQ_RETRY_BACKOFF` or `CONFQ_RETRY_POLICY` is malformed.
    pub(crate) fn retry_policy(&self) -> Result<RetryPolicy, Failure> {
        let policy = RetryPolicy::from_settings(self.max_retries, self.backoff()?);
        match &self.retry_policy {
            Some(json) => policy
                .with_overrides(json)
                .map_err(|error| Failure::usage(format!("CONFQ_RETRY_POLICY: {error}"))),
            None => Ok(policy),
        }
    }

    fn backoff(&self) -> Result<Vec<Duration>, Failure> {
        parse_backoff(&self.retry_backoff)
            .map_err(|error| Failure::usage(format!("CONFQ_RETRY_BACKOFF: {error}")))
    }

    /// A worker's configuration from the settings and `confq worker` flags.
    ///
    /// # Errors
    /// A usage failure naming the invalid setting.
    pub(crate) fn worker_config(&self, args: &WorkerArgs) -> Result<WorkerConfig, Failure> {
        let defaults = WorkerConfig::default();
        let weighted: Vec<WeightedQueue> = args
            .queues
            .iter()
            .map(|spec| weighted_queue(spec))
            .collect::<Result<_, _>>()?;
        let (queues, weights) = if weighted.is_empty() {
            (defaults.queues.clone(), Vec::new())
        } else {
            weighted.into_iter().map(|w| (w.queue, w.weight)).unzip()
        };
        let concurrency = match args.concurrency {
            Some(0) => return Err(Failure::usage("--concurrency must be at least 1")),
            Some(n) => n,
            None => defaults.concurrency,
        };
        let heartbeat = seconds("CONFQ_HEARTBEAT_SECS", self.heartbeat_secs)?;
        // A renewal must land before the lease it renews (the broker's) runs out.
        let lease = self.broker_config()?.lease;
        if heartbeat >= lease {
            return Err(Failure::usage(format!(
                "CONFQ_HEARTBEAT_SECS ({}) must be shorter than CONFQ_LEASE_SECS ({}): every task would lose its lease",
                self.heartbeat_secs, self.lease_secs
            )));
        }
        let config = WorkerConfig {
            queues,
            weights,
            strict_priority: args.strict_priority,
            concurrency,
            heartbeat,
            shutdown_grace: Duration::try_from_secs_f64(args.shutdown_grace).map_err(|_| {
                Failure::usage("--shutdown-grace must be a non-negative number of seconds")
            })?,
            retry: self.retry_policy()?,
            breaker: breaker_config(&args.breaker)?,
            time_limits: args
                .time_limits
                .join(",")
                .parse()
                .map_err(|error| Failure::usage(format!("--time-limit: {error}")))?,
            celery: args.celery.settings()?,
            ..defaults
        };
        config
            .selection()
            .map_err(|error| Failure::usage(format!("--queue: {error}")))?;
        Ok(config)
    }
}

/// Parses a queue name.
///
/// # Errors
/// A usage failure when the name is invalid.
pub(crate) fn queue(name: &str) -> Result<QueueName, Failure> {
    QueueName::parse(name)
        .map_err(|error| Failure::usage(format!("invalid queue name {name:?}: {error}")))
}

/// A queue and its weight from `Q` or `Q=WEIGHT`.
///
/// # Errors
/// A usage failure naming the bad queue name or weight.
pub(crate) fn weighted_queue(spec: &str) -> Result<WeightedQueue, Failure> {
    spec.parse::<WeightedQueue>()
        .map_err(|error| Failure::usage(format!("invalid --queue {spec:?}: {error}")))
}

/// A positive number of seconds from the setting `name`.
///
/// # Errors
/// A usage failure naming the setting when the value is zero, negative or not finite.
pub(crate) fn seconds(name: &str, value: f64) -> Result<Duration, Failure> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|duration| !duration.is_zero())
        .ok_or_else(|| {
            Failure::usage(format!(
                "{name} must be a positive number of seconds, not {value}"
            ))
        })
}

/// A setting given as an empty string (`CONFQ_X=`) counts as unset, so its default applies.
pub(crate) fn non_empty(value: &Option<String>) -> Option<String> {
    value.clone().filter(|text| !text.is_empty())
}

/// The breakers' settings from `confq worker`'s flags.
fn breaker_config(args: &BreakerArgs) -> Result<BreakerConfig, Failure> {
    if args.breaker_threshold == 0 {
        return Err(Failure::usage("CONFQ_BREAKER_THRESHOLD must be at least 1"));
    }
    let secs = |name: &str, value: f64| {
        Duration::try_from_secs_f64(value)
            .map_err(|_| Failure::usage(format!("{name} must be a non-negative number of seconds")))
    };
    Ok(BreakerConfig {
        threshold: args.breaker_threshold,
        window: secs("CONFQ_BREAKER_WINDOW_SECS", args.breaker_window_secs)?,
        probe_initial: secs("CONFQ_BREAKER_PROBE_SECS", args.breaker_probe_secs)?,
        probe_max: secs("CONFQ_BREAKER_PROBE_MAX_SECS", args.breaker_probe_max_secs)?,
        recovery_requeue: args.recovery_requeue,
        recovery_lookback: secs("CONFQ_RECOVERY_LOOKBACK_SECS", args.recovery_lookback_secs)?,
        ..BreakerConfig::default()
    })
}

/// `CONFQ_TIME_LIMITS` for the commands that run a worker without its flags (`dev`, `ingest`).
pub(crate) fn env_time_limits() -> Vec<String> {
    std::env::var("CONFQ_TIME_LIMITS")
        .map(|v| vec![v])
        .unwrap_or_default()
}
