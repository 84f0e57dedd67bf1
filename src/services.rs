//! Connects the pieces a command needs: the broker (with a private Redis fallback where the
//! contract allows it), the run store (migrated unless `--no-migrate`) and the upload storage.

use broker::{Broker, BrokerConfig, BrokerError};
use entity::storage::Storage;
use entity::store::Store;

use crate::cli::Settings;
use crate::exit::Failure;
use crate::private_redis::{self, PrivateRedis};

/// The connected dependencies of a command.
pub(crate) struct Services {
    /// The Redis broker.
    pub broker: Broker,
    /// The private Redis this process started, if any.
    pub private_redis: Option<PrivateRedis>,
}

/// Connects to Redis. When none answers at `CONFQ_REDIS_URL`, uses the private `redis-server` that
/// a `confq dev` or `confq ingest` of the same data dir is running (saying so in one line); failing
/// that, with `allow_private`, starts one.
///
/// # Errors
/// One clear line naming the URL and what to do.
pub(crate) async fn broker(settings: &Settings, allow_private: bool) -> Result<Services, Failure> {
    let config = settings.broker_config()?;
    match Broker::connect(config.clone()).await {
        Ok(broker) => Ok(Services {
            broker,
            private_redis: None,
        }),
        // A cluster (a comma-separated node list) never falls back to a private Redis.
        Err(error) if is_unreachable(&error) && !settings.redis_url.contains(',') => {
            if let Some(found) = recorded_private(settings, &config).await {
                return Ok(found);
            }
            if !(allow_private && redis_server_on_path()) {
                return Err(unreachable(&settings.redis_url, &error));
            }
            let private = PrivateRedis::start(&settings.data_dir).await?;
            eprintln!(
                "confq: no Redis answered at {}; started a private redis-server at {} (data in {})",
                broker::redact::redact(&settings.redis_url),
                private.url,
                settings.data_dir.join("redis").display()
            );
            let config = BrokerConfig {
                redis_url: private.url.clone(),
                ..config
            };
            let broker = Broker::connect(config)
                .await
                .map_err(|error| unreachable(&private.url, &error))?;
            Ok(Services {
                broker,
                private_redis: Some(private),
            })
        }
        Err(error @ BrokerError::Cluster(_)) => Err(Failure::runtime(error.to_string())),
        Err(BrokerError::Config(message)) => Err(Failure::usage(format!(
            "invalid broker settings (CONFQ_REDIS_URL, CONFQ_KEY_PREFIX): {message}"
        ))),
        Err(error) => Err(unreachable(&settings.redis_url, &error)),
    }
}

/// The private Redis recorded in the data dir, connected, if one is recorded and answers.
async fn recorded_private(settings: &Settings, config: &BrokerConfig) -> Option<Services> {
    let url = private_redis::recorded_url(&settings.data_dir)?;
    let config = BrokerConfig {
        redis_url: url.clone(),
        ..config.clone()
    };
    let broker = Broker::connect(config).await.ok()?;
    eprintln!(
        "confq: no Redis answered at {}; using the private redis-server at {} of data dir {}",
        broker::redact::redact(&settings.redis_url),
        url,
        settings.data_dir.display()
    );
    Some(Services {
        broker,
        private_redis: None,
    })
}

fn is_unreachable(error: &BrokerError) -> bool {
    error.is_transient()
}

fn redis_server_on_path() -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| dir.join("redis-server").is_file())
    })
}

fn unreachable(url: &str, error: &BrokerError) -> Failure {
    let fix = if url.contains(',') {
        "check that the cluster's nodes run and that CONFQ_REDIS_URL lists them"
    } else {
        "start redis-server or set CONFQ_REDIS_URL"
    };
    Failure::runtime(format!(
        "Redis is not reachable at {}: {} — {fix}",
        broker::redact::redact(url),
        root_cause(error)
    ))
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Opens the run store and applies migrations unless `--no-migrate`.
///
/// # Errors
/// One clear line naming the (redacted) URL.
pub(crate) async fn store(settings: &Settings) -> Result<Store, Failure> {
    let url = settings.database_url();
    let acquire = std::time::Duration::try_from_secs_f64(settings.database_acquire_secs)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            Failure::usage("CONFQ_DATABASE_ACQUIRE_SECS must be a positive number of seconds")
        })?;
    let store = Store::connect_with(&url, acquire).await.map_err(|error| {
        Failure::runtime(format!(
            "the database is not reachable at {}: {} — check CONFQ_DATABASE_URL",
            broker::redact::redact(&url),
            root_cause(&error)
        ))
    })?;
    if !settings.no_migrate {
        store.migrate().await.map_err(|error| {
            Failure::runtime(format!("database migration failed: {}", root_cause(&error)))
        })?;
    }
    Ok(store)
}

/// A failure of `action` on the database, naming the fix when the schema is missing (a fresh
/// database used with `--no-migrate`).
pub(crate) fn database_failure(action: &str, error: &(dyn std::error::Error + 'static)) -> Failure {
    let cause = root_cause(error);
    if cause.contains("no such table")
        || (cause.contains("relation") && cause.contains("does not exist"))
    {
        return Failure::runtime(format!(
            "cannot {action}: the database has no confq schema — run `confq migrate` (or start without --no-migrate)"
        ));
    }
    Failure::runtime(format!("cannot {action}: {cause}"))
}

/// Opens the upload storage.
///
/// # Errors
/// One clear line when the URL is invalid.
pub(crate) fn storage(settings: &Settings) -> Result<Storage, Failure> {
    let url = settings.storage_url();
    Storage::from_url(&url).map_err(|error| {
        Failure::usage(format!(
            "invalid CONFQ_STORAGE_URL {}: {error}",
            broker::redact::redact(&url)
        ))
    })
}
