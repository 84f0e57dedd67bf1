//! How many retries a delivery has used. The envelope's `attempt` counts every earlier delivery;
//! a delivery that ran again only because its final verdict could not be recorded (the database
//! refused it) is counted apart, in the envelope field `unrecorded_verdicts`, since it is not a
//! retry: a task that reaches its verdict on the 4th try reads "Failed after 3 retries" however
//! often recording it failed, and the reaper dead-letters an expired lease by the same count.

use serde_json::Value;

use crate::delivery::Delivery;
use crate::envelope::Envelope;

/// Envelope field: deliveries that ran again only to record a final verdict.
pub const UNRECORDED_VERDICTS: &str = "unrecorded_verdicts";

impl Envelope {
    /// The retries made before this delivery: `attempt` less the re-runs to record a verdict.
    pub fn retries(&self) -> u32 {
        self.attempt.saturating_sub(unrecorded_verdicts(self))
    }
}

/// The retries made before `envelope`'s delivery ([`Envelope::retries`]).
pub fn retries_before(envelope: &Envelope) -> u32 {
    envelope.retries()
}

/// `delivery` marked as one more re-run to record a verdict, for [`crate::Consumer::retry_later_as`]
/// (which keeps the envelope's other fields and adds one to `attempt`).
pub fn marked_as_rerun(delivery: &Delivery) -> Delivery {
    let mut rerun = delivery.clone();
    mark_rerun(&mut rerun.envelope);
    rerun
}

fn mark_rerun(envelope: &mut Envelope) {
    let count = unrecorded_verdicts(envelope).saturating_add(1);
    envelope
        .extra
        .insert(UNRECORDED_VERDICTS.to_owned(), Value::from(count));
}

fn unrecorded_verdicts(envelope: &Envelope) -> u32 {
    envelope
        .extra
        .get(UNRECORDED_VERDICTS)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
        .min(envelope.attempt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(attempt: u32, reruns: Option<Value>) -> Envelope {
        let mut envelope = Envelope::new("t", serde_json::Map::new());
        envelope.attempt = attempt;
        if let Some(reruns) = reruns {
            envelope
                .extra
                .insert(UNRECORDED_VERDICTS.to_owned(), reruns);
        }
        envelope
    }

    #[test]
    fn reruns_to_record_a_verdict_are_not_retries() {
        assert_eq!(retries_before(&envelope(3, None)), 3);
        assert_eq!(retries_before(&envelope(5, Some(Value::from(2)))), 3);
    }

    #[test]
    fn a_bad_count_never_makes_retries_negative_or_fails() {
        assert_eq!(retries_before(&envelope(1, Some(Value::from(7)))), 0);
        assert_eq!(retries_before(&envelope(2, Some(Value::from("x")))), 2);
    }

    #[test]
    fn the_rerun_count_survives_the_brokers_failure_record() {
        let mut exhausted = envelope(3, None);
        mark_rerun(&mut exhausted);
        let next = exhausted.failed("transient", "database down");
        assert_eq!((next.attempt, retries_before(&next)), (4, 3));
        let mut again = Envelope::parse(&next.to_json()).unwrap();
        mark_rerun(&mut again);
        let after = again.failed("transient", "database down");
        assert_eq!((after.attempt, retries_before(&after)), (5, 3));
    }
}
