//! The reaper's heartbeat: each reaper tick that completes records when it ran, so operators
//! (`GET /v1/worker/metrics` → `reaper.last_tick`) and health checks (`confq reaper --check`)
//! can tell a live reaper from a stopped or frozen one.

use chrono::{DateTime, Utc};
use tracing::instrument;

use crate::broker::Broker;
use crate::error::Result;
use crate::keys;

impl Broker {
    /// Records that a reaper finished a tick at `at`. One key for every reaper of the prefix: any
    /// live reaper keeps it fresh.
    ///
    /// # Errors
    /// `Redis` when the command fails.
    #[instrument(name = "broker.record_reaper_tick", skip_all, err)]
    pub async fn record_reaper_tick(&self, at: DateTime<Utc>) -> Result<()> {
        redis::cmd("SET")
            .arg(keys::reaper_tick(&self.config().key_prefix))
            .arg(at.timestamp_millis())
            .query_async::<()>(&mut self.connection())
            .await?;
        Ok(())
    }

    /// When a reaper last finished a tick; `None` when none ever did.
    ///
    /// # Errors
    /// `Redis` when the command fails.
    pub async fn last_reaper_tick(&self) -> Result<Option<DateTime<Utc>>> {
        let millis: Option<i64> = redis::cmd("GET")
            .arg(keys::reaper_tick(&self.config().key_prefix))
            .query_async(&mut self.connection())
            .await?;
        Ok(millis.and_then(DateTime::from_timestamp_millis))
    }
}
