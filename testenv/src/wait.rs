//! Waiting for a condition instead of sleeping and hoping: poll a check until it holds, or fail
//! the test after a generous timeout with a message naming what was awaited.
//!
//! The deadline is measured on the real clock, so a test that pauses tokio's clock still fails
//! (instead of hanging) when a condition that depends on real I/O never holds.

use std::future::Future;
use std::time::{Duration, Instant};

/// A timeout generous enough for a loaded, shared machine: a condition that needs longer is a
/// failure, not slowness.
pub const LONG: Duration = Duration::from_secs(30);

/// How often an async condition is checked.
const POLL: Duration = Duration::from_millis(20);
/// How often a blocking condition is checked: those mostly run processes (`confq`, `curl`,
/// `redis-cli`), which cost more than a query.
const POLL_BLOCKING: Duration = Duration::from_millis(100);

/// What a check may answer: `bool` (holds or not), `Option<T>` (the value once it is there) or
/// `Result<T, String>` (the value, or what was seen instead, which the failure message quotes).
pub trait Outcome {
    /// What [`until`] returns once the condition holds.
    type Value;
    /// The value when the condition holds; otherwise what was seen, when the check says.
    fn ready(self) -> Result<Self::Value, Option<String>>;
}

impl Outcome for bool {
    type Value = ();
    fn ready(self) -> Result<(), Option<String>> {
        self.then_some(()).ok_or(None)
    }
}

impl<T> Outcome for Option<T> {
    type Value = T;
    fn ready(self) -> Result<T, Option<String>> {
        self.ok_or(None)
    }
}

impl<T> Outcome for Result<T, String> {
    type Value = T;
    fn ready(self) -> Result<T, Option<String>> {
        self.map_err(Some)
    }
}

/// Polls `check` every 20 ms until it holds and returns its value.
///
/// # Panics
/// After `timeout`, naming `what` was awaited (and what the last check saw, if it said).
pub async fn until<O, F, Fut>(timeout: Duration, what: &str, mut check: F) -> O::Value
where
    O: Outcome,
    F: FnMut() -> Fut,
    Fut: Future<Output = O>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match check().await.ready() {
            Ok(value) => return value,
            Err(seen) if Instant::now() >= deadline => return timed_out(timeout, what, seen),
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// [`until`] for code without a runtime: polls `check` every 100 ms on the current thread.
///
/// # Panics
/// After `timeout`, naming `what` was awaited (and what the last check saw, if it said).
pub fn until_blocking<O: Outcome>(
    timeout: Duration,
    what: &str,
    check: impl FnMut() -> O,
) -> O::Value {
    let deadline = Instant::now() + timeout;
    poll_blocking(deadline, check).unwrap_or_else(|seen| timed_out(timeout, what, seen))
}

/// Polls `check` every 100 ms on the current thread for up to `timeout`: its value, or `None`
/// when it never held (for callers that report a timeout themselves).
pub fn within_blocking<O: Outcome>(
    timeout: Duration,
    check: impl FnMut() -> O,
) -> Option<O::Value> {
    poll_blocking(Instant::now() + timeout, check).ok()
}

/// Polls `check` until it holds or `deadline` passes (then: what the last check saw).
fn poll_blocking<O: Outcome>(
    deadline: Instant,
    mut check: impl FnMut() -> O,
) -> Result<O::Value, Option<String>> {
    loop {
        match check().ready() {
            Ok(value) => return Ok(value),
            Err(seen) if Instant::now() >= deadline => return Err(seen),
            Err(_) => std::thread::sleep(POLL_BLOCKING),
        }
    }
}

/// Fails the test: what was awaited, for how long, and what was seen instead.
fn timed_out<T>(timeout: Duration, what: &str, seen: Option<String>) -> T {
    match seen {
        Some(seen) => panic!("timed out after {timeout:?} waiting for {what}; last seen: {seen}"),
        None => panic!("timed out after {timeout:?} waiting for {what}"),
    }
}
