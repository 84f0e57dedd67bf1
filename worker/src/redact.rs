//! Credential redaction for the worker's messages and logs: the one function of the whole binary,
//! [`broker::redact::redact`], re-exported under the name the worker's modules already use.

pub use broker::redact::redact;
