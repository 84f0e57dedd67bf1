//! The execution's side of the breakers: a success tells the task's dependencies' breakers they
//! answer; a transient failure on a dependency counts toward its breaker, and once that breaker
//! is open the task is given back to its queue instead of spending a retry.

use tracing::debug;

use super::dependency::Dependency;
use crate::execute::{Execution, Outcome};
use crate::failure::{FailureClass, TaskFailure};
use crate::task::TaskContext;

impl Execution {
    /// The task succeeded: each of its dependencies answered.
    pub(crate) fn dependencies_answered(&self, dependencies: &[Dependency]) {
        for &dependency in dependencies {
            self.breakers.success(dependency);
        }
    }

    /// Counts a transient failure of a dependency; when its breaker no longer admits tasks,
    /// gives the task back (same attempt, no retry spent) and returns `Released`. `None` lets
    /// the retry policy decide.
    pub(crate) async fn give_back_on_outage(
        &self,
        ctx: &TaskContext,
        failure: &TaskFailure,
    ) -> Option<Outcome> {
        if failure.class != FailureClass::Transient {
            return None;
        }
        let dependency = failure.dependency?;
        self.breakers.failure(dependency);
        if self.breakers.admits(dependency) {
            return None;
        }
        // One line per breaker transition is logged elsewhere; per task this is detail.
        debug!(%dependency, error = %failure.message, "the breaker is open: giving the task back without spending a retry");
        if let Some(hooks) = ctx.hooks()
            && let Err(unrecorded) = hooks.released().await
        {
            debug!(error = %unrecorded.message, "could not record the release on the task's own records");
        }
        let released = self.consumer.release(&self.delivery).await;
        Some(
            self.settle(released, ctx)
                .await
                .unwrap_or(Outcome::Released),
        )
    }
}
