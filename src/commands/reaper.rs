//! `confq reaper`: the sidecar that re-queues expired leases, promotes due retries and
//! dead-letters exhausted tasks, and records expired ingestions on their runs. Each tick
//! refreshes the reaper's heartbeat, which `confq reaper --check` reads.

use std::time::Duration;

use broker::Broker;
use chrono::Utc;
use entity::store::Store;
use tokio_util::sync::CancellationToken;

use crate::cli::{ReaperArgs, Settings};
use crate::exit::Failure;
use crate::output::out;
use crate::services;

/// The shortest staleness `confq reaper --check` accepts, whatever the interval: a tick on a
/// loaded machine may run late by a second or two without the reaper being dead.
const MIN_STALE_AFTER: Duration = Duration::from_secs(5);

/// Runs the reaper until SIGTERM/SIGINT, or, with `--check`, probes the running one.
pub(crate) async fn run(settings: &Settings, args: &ReaperArgs) -> Result<(), Failure> {
    if args.check {
        return check(settings).await;
    }
    let services = services::broker(settings, false).await?;
    let store = services::store(settings)
        .await?
        .announcing(services.broker.event_publisher());
    let stop = CancellationToken::new();
    let shutdown = worker::Shutdown::new();
    tokio::spawn(shutdown.clone().listen_for_signals());
    let reaper = spawn_reaper(&services.broker, store, settings, stop.clone()).await?;
    shutdown.graceful.cancelled().await;
    stop.cancel();
    let _ = reaper.await;
    Ok(())
}

/// Starts the reaper loop over every known queue (and `ingest`) in the background, every
/// `reaper_interval` of `broker`'s configuration.
///
/// # Errors
/// When the settings are invalid.
pub(crate) async fn spawn_reaper(
    broker: &Broker,
    store: Store,
    settings: &Settings,
    stop: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, Failure> {
    let queues = vec![protocol::default_queue()];
    Ok(tokio::spawn(ingest::reaping::run(
        broker.clone(),
        queues,
        store,
        settings.retry_policy()?,
        stop,
    )))
}

/// `confq reaper --check`: exit 0 when a reaper finished a tick within three intervals (at least
/// [`MIN_STALE_AFTER`]); 1 when the last tick is older, when there was none, or Redis is down.
async fn check(settings: &Settings) -> Result<(), Failure> {
    let interval = settings.broker_config()?.reaper_interval;
    let stale_after = (interval * 3).max(MIN_STALE_AFTER);
    let services = services::broker(settings, false).await?;
    let last = services.broker.last_reaper_tick().await.map_err(|error| {
        Failure::runtime(format!("cannot read the reaper's heartbeat: {error}"))
    })?;
    let Some(last) = last else {
        return Err(Failure::runtime(
            "no reaper has ever finished a tick on this Redis and key prefix — start `confq reaper`",
        ));
    };
    let age = (Utc::now() - last).to_std().unwrap_or_default();
    if age > stale_after {
        return Err(Failure::runtime(format!(
            "the reaper's last tick was {:.1} s ago (at {last}), more than {:.1} s: it is stopped, frozen or cannot reach Redis",
            age.as_secs_f64(),
            stale_after.as_secs_f64()
        )));
    }
    out!("reaper ticked {:.1} s ago", age.as_secs_f64());
    Ok(())
}
