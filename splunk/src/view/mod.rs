//! The effective configuration of a run (what `splunk btool CONF list` prints, without a Splunk)
//! and the difference of two of them. Pure functions over parsed stanzas; the rules are in
//! `docs/effective-configuration.md`.

mod diff;
mod merge;
mod precedence;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_diff;
#[cfg(test)]
mod tests_props;

pub use diff::{Change, ChangeKind, diff};
pub use merge::{DEFAULT_STANZA, EffectiveStanza, Setting, SourceStanza, merge};
pub use precedence::{SYSTEM_APP, Tier, tier};
