//! Beginning an attempt: the run becomes `parsing` under a new fence, and its retry count catches
//! up with the retries the broker made before this delivery.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, IntoActiveModel, TransactionTrait};
use tracing::instrument;
use uuid::Uuid;

use super::Store;
use super::ids::{Fence, RunId, RunStatus};
use super::lifecycle::save;
use super::run::now;
use super::runs::{lock_run, status_of};
use super::stats::Delta;
use crate::StoreError;

/// Which delivery of the task begins an attempt, as the broker counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// The envelope's `attempt`: every earlier delivery of the task, strictly increasing.
    pub attempt: u32,
    /// The retries among those earlier deliveries (fewer than `attempt` when a delivery ran
    /// again only to record a verdict the database refused, which is not a retry).
    pub retries: u32,
}

/// What an attempt starts from, read under its fence in the transaction that began it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Begun {
    /// The attempt's fence.
    pub fence: Fence,
    /// The run's `retry_count` while this attempt runs.
    pub retry_count: i32,
    /// When the run's first attempt started: the run's metrics count from here.
    pub started_at: DateTime<Utc>,
}

impl Store {
    /// Starts an attempt of delivery `delivery_attempt` counting every earlier delivery as a
    /// retry; see [`Store::begin_delivery`].
    ///
    /// # Errors
    /// [`StoreError::AlreadyComplete`] for a complete run, [`StoreError::NotFound`].
    pub async fn begin_attempt(
        &self,
        id: RunId,
        task_id: Uuid,
        delivery_attempt: u32,
    ) -> Result<Fence, StoreError> {
        let delivered = Delivered {
            attempt: delivery_attempt,
            retries: delivery_attempt,
        };
        Ok(self.begin_delivery(id, task_id, delivered).await?.fence)
    }

    /// Starts an attempt: status `parsing`, `attempt + 1` (the returned fence), `started_at` the
    /// first time, a fresh heartbeat. `delivered.attempt` is kept so that `expire_attempt` can
    /// tell a late record of an older delivery's expiry from a current one. `retry_count` is
    /// raised to `delivered.retries` (never lowered): a retry the database could not record when
    /// it happened (an outage, or a lease expiry recorded after the redelivery began) still shows.
    ///
    /// # Errors
    /// [`StoreError::AlreadyComplete`] for a complete run, [`StoreError::NotFound`].
    #[instrument(skip_all, err(Debug), fields(run.id = %id))]
    pub async fn begin_delivery(
        &self,
        id: RunId,
        task_id: Uuid,
        delivered: Delivered,
    ) -> Result<Begun, StoreError> {
        let txn = self.db.begin().await.map_err(StoreError::db("begin"))?;
        let model = lock_run(&txn, id).await?;
        let from = status_of(&model)?;
        if from == RunStatus::Complete {
            return Err(StoreError::AlreadyComplete(id));
        }
        let at = now();
        let attempt = model.attempt + 1;
        let delivery = i32::try_from(delivered.attempt).unwrap_or(i32::MAX);
        let retries = i32::try_from(delivered.retries).unwrap_or(i32::MAX);
        let retry_count = model.retry_count.max(retries);
        let started_at = model.started_at.unwrap_or(at);
        let mut am = model.clone().into_active_model();
        am.status = Set(RunStatus::Parsing.as_str().to_owned());
        am.attempt = Set(attempt);
        am.retry_count = Set(retry_count);
        am.task_id = Set(Some(task_id));
        am.delivery_attempt = Set(delivery);
        am.started_at = Set(Some(started_at));
        am.last_heartbeat = Set(Some(at));
        am.completed_at = Set(None);
        let delta = Delta {
            from: Some(from),
            to: Some(RunStatus::Parsing),
            retries: Some((model.retry_count, retry_count)),
            ..Delta::default()
        };
        let saved = save(&txn, am, delta).await?;
        txn.commit().await.map_err(StoreError::db("commit"))?;
        self.announce(&saved);
        Ok(Begun {
            fence: Fence(i64::from(attempt)),
            retry_count,
            started_at,
        })
    }
}
