//! The contract's default retry schedule (`CONFQ_RETRY_BACKOFF`): 60 s, 180 s, 600 s.

use std::time::Duration;

/// The default schedule as the flag's text (`--retry-backoff`'s default).
pub const DEFAULT_BACKOFF: &str = "60,180,600";

/// The default schedule in seconds: before retry 1, 2, 3 (the last repeats).
pub const DEFAULT_BACKOFF_SECS: [u64; 3] = [60, 180, 600];

/// The default schedule as durations.
pub fn default_backoff() -> Vec<Duration> {
    DEFAULT_BACKOFF_SECS.map(Duration::from_secs).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_text_and_seconds_agree() {
        let parsed: Vec<u64> = DEFAULT_BACKOFF
            .split(',')
            .map(|s| s.parse().expect("a number"))
            .collect();
        assert_eq!(parsed, DEFAULT_BACKOFF_SECS);
    }
}
