//! The queue ingestion uses unless told otherwise. The broker has no default queue of its own.

use broker::QueueName;

/// The name of the default queue.
pub const DEFAULT_QUEUE: &str = "ingest";

/// The default queue, `ingest`, as a [`QueueName`].
pub fn default_queue() -> QueueName {
    // A constant that passes the name rules; the test below keeps it so.
    QueueName::parse(DEFAULT_QUEUE).unwrap_or_else(|_| unreachable!("`ingest` is a valid name"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_queue_is_ingest() {
        assert_eq!(super::default_queue().as_str(), "ingest");
    }
}
