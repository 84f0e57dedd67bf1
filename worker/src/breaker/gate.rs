//! The runner's side of the breakers: which queues not to fetch from while a breaker is open,
//! waiting when none is left, and giving back a claimed task whose dependency is open.

use std::sync::Arc;

use broker::{Consumer, Delivery, QueueName};
use tokio::sync::watch;
use tracing::{debug, warn};

use super::needs::QueueNeeds;
use super::set::Breakers;
use crate::shutdown::Shutdown;
use crate::task::Registry;

/// Decides, before and after each fetch, what the breakers allow.
pub(crate) struct Gate {
    breakers: Breakers,
    registry: Arc<Registry>,
    needs: QueueNeeds,
    changed: watch::Receiver<u64>,
}

impl Gate {
    pub(crate) fn new(breakers: Breakers, registry: Arc<Registry>) -> Self {
        let changed = breakers.subscribe();
        Self {
            breakers,
            registry,
            needs: QueueNeeds::default(),
            changed,
        }
    }

    /// The queues of `queues` to leave alone now. When that is all of them, waits for a breaker
    /// to change (or shutdown) and returns `None`: the caller asks again.
    pub(crate) async fn queues_to_skip(
        &mut self,
        queues: &[QueueName],
        shutdown: &Shutdown,
    ) -> Option<Vec<QueueName>> {
        self.changed.borrow_and_update();
        let skip = self.needs.paused(queues, &self.breakers);
        if skip.len() < queues.len() {
            return Some(skip);
        }
        debug!("every queue waits for an open breaker");
        tokio::select! {
            () = shutdown.graceful.cancelled() => {}
            _ = self.changed.changed() => {}
        }
        None
    }

    /// The delivery, unless a dependency of its task is open: then it goes back to the front of
    /// its queue (same attempt, no retry spent), its queue is skipped from now on, and `None`.
    pub(crate) async fn admit(
        &mut self,
        consumer: &Consumer,
        delivery: Delivery,
    ) -> Option<Delivery> {
        let dependencies = self
            .registry
            .get(&delivery.envelope.task)
            .map_or(&[][..], |task| task.dependencies());
        self.needs.learn(&delivery.queue, dependencies);
        let Some(open) = self.breakers.blocking(dependencies) else {
            return Some(delivery);
        };
        debug!(task.id = %delivery.envelope.id, dependency = %open, "dependency unavailable: giving the task back untouched");
        if let Err(error) = consumer.release(&delivery).await {
            warn!(error = %broker::report::Chain(&error), "could not give back a task claimed while its dependency is down; its lease will expire and it will be redelivered");
        }
        None
    }
}
