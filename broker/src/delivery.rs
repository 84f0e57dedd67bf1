//! A fetched task: its envelope, where it came from, and the lease token that fences it.

use std::fmt;

use crate::envelope::Envelope;
use crate::names::QueueName;

/// Proof of holding a lease; every state change of the task must present it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeaseToken(pub(crate) String);

impl LeaseToken {
    /// The token text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LeaseToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One leased task handed to a worker.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The parsed envelope.
    pub envelope: Envelope,
    /// The queue it was fetched from.
    pub queue: QueueName,
    /// The lease token of this delivery.
    pub token: LeaseToken,
    pub(crate) raw: String,
}

impl Delivery {
    /// The element exactly as it sits in the processing list.
    pub fn raw(&self) -> &str {
        &self.raw
    }
}
