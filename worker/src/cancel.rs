//! Cancel requests for the tasks this worker runs: each delivery registers its task id with the
//! token that stops it, and the broker's cancel subscription (`Broker::listen_for_cancels`) fires
//! that token when `POST /v1/tasks/{id}/cancel` reaches a running task.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use broker::TaskId;
use tokio_util::sync::CancellationToken;

/// The tasks in flight, by id.
#[derive(Clone, Default)]
pub(crate) struct InFlight(Arc<Mutex<HashMap<TaskId, CancellationToken>>>);

impl InFlight {
    /// Registers `id` until the returned guard drops; its token fires on a cancel request.
    pub(crate) fn watch(&self, id: TaskId) -> Watch {
        let token = CancellationToken::new();
        self.lock().insert(id, token.clone());
        Watch {
            in_flight: self.clone(),
            id,
            token,
        }
    }

    /// A cancel request for `id`: stops its delivery if this worker runs it.
    pub(crate) fn cancel(&self, id: &TaskId) {
        if let Some(token) = self.lock().get(id) {
            token.cancel();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TaskId, CancellationToken>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One delivery's registration; dropping it forgets the id.
pub(crate) struct Watch {
    in_flight: InFlight,
    id: TaskId,
    /// Fires when a cancel request for the task arrives.
    pub(crate) token: CancellationToken,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.in_flight.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::InFlight;

    #[test]
    fn a_cancel_fires_the_watched_task_only_while_it_is_watched() {
        let in_flight = InFlight::default();
        let (a, b) = (broker::TaskId::new(), broker::TaskId::new());
        let watch = in_flight.watch(a);
        in_flight.cancel(&b);
        assert!(!watch.token.is_cancelled());
        in_flight.cancel(&a);
        assert!(watch.token.is_cancelled());
        drop(watch);
        assert!(in_flight.lock().is_empty());
    }
}
