//! The Celery result of a task the reaper moved because its lease expired (its worker died or
//! stalled): RETRY when it will run again, FAILURE `TimeLimitExceeded` when it was dead-lettered,
//! REVOKED when a cancel had reached it. Written on the broker's Redis.

use crate::broker::Broker;
use crate::envelope::Envelope;

use super::{CeleryResults, Status, answers, broker_exc_type, exception, revoked};

/// Writes the result of `envelope` (as the reaper left it) when it came from Celery.
pub(crate) async fn reaped(broker: &Broker, envelope: &Envelope, dead: bool, cancelled: bool) {
    if !answers(envelope) {
        return;
    }
    let message = envelope.last_error().unwrap_or("lease expired");
    let failure = exception(broker_exc_type(crate::reaper::TIMEOUT), message);
    let (status, result) = match (cancelled, dead) {
        (true, _) => (Status::Revoked, revoked("revoked")),
        (false, true) => (Status::Failure, failure),
        (false, false) => (Status::Retry, failure),
    };
    let results = CeleryResults::new(broker, broker.config().result_ttl);
    results
        .answer(&envelope.id.to_string(), status, &result)
        .await;
}
