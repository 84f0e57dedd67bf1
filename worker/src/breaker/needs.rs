//! Which dependencies each queue's tasks need, learned from the tasks the worker claims, so a
//! worker can leave alone a queue whose tasks would only be given back.

use std::collections::{BTreeSet, HashMap};

use broker::QueueName;

use super::dependency::Dependency;
use super::set::Breakers;

/// Queue → dependencies its tasks were seen to need.
#[derive(Debug, Default)]
pub(crate) struct QueueNeeds {
    needs: HashMap<QueueName, BTreeSet<Dependency>>,
}

impl QueueNeeds {
    /// Notes that a task of `queue` needs `dependencies`.
    pub(crate) fn learn(&mut self, queue: &QueueName, dependencies: &[Dependency]) {
        if dependencies.is_empty() {
            return;
        }
        self.needs
            .entry(queue.clone())
            .or_default()
            .extend(dependencies.iter().copied());
    }

    /// The queues of `queues` not to fetch from now: their tasks need a dependency whose
    /// breaker does not admit tasks.
    pub(crate) fn paused(&self, queues: &[QueueName], breakers: &Breakers) -> Vec<QueueName> {
        queues
            .iter()
            .filter(|queue| {
                self.needs
                    .get(*queue)
                    .is_some_and(|needs| needs.iter().any(|&d| !breakers.admits(d)))
            })
            .cloned()
            .collect()
    }
}
