//! The Redis lists of one Celery queue, as kombu's Redis transport names them.

use crate::error::BrokerError;
use crate::keys;
use crate::names::QueueName;

/// kombu's priority steps: priority 0 (and none) is the plain list and is taken first, then the
/// lists of 3, 6 and 9 (a message's priority is rounded down to a step).
pub const PRIORITY_STEPS: [u8; 4] = [0, 3, 6, 9];

/// The internal queues behind Celery queue `name`, highest priority first: `name`, then
/// `name\x06\x163`, `name\x06\x166`, `name\x06\x169`.
///
/// # Errors
/// `Config` when `name` is itself a priority list.
pub fn lists(name: &QueueName) -> Result<Vec<QueueName>, BrokerError> {
    if name.as_str().contains('\u{6}') {
        return Err(BrokerError::Config(format!(
            "{name:?} is a priority list: name the Celery queue itself"
        )));
    }
    PRIORITY_STEPS
        .iter()
        .map(|&step| match step {
            0 => Ok(name.clone()),
            _ => QueueName::parse(&keys::celery_priority_list(name.as_str(), step)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::lists;
    use crate::names::QueueName;

    #[test]
    fn a_celery_queue_is_its_plain_list_then_the_priority_lists() {
        let got = lists(&QueueName::parse("celery").unwrap()).unwrap();
        let got: Vec<&str> = got.iter().map(QueueName::as_str).collect();
        assert_eq!(
            got,
            [
                "celery",
                "celery\u{6}\u{16}3",
                "celery\u{6}\u{16}6",
                "celery\u{6}\u{16}9"
            ]
        );
        assert!(lists(&QueueName::parse("celery\u{6}\u{16}3").unwrap()).is_err());
    }
}
