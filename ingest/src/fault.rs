//! Fault injection at ingestion's fail points, for tests: the `fail` crate's points, compiled
//! out of builds without its `failpoints` feature (it is on in test builds only).
//!
//! A test configures a point with `fail::cfg(name, actions)`: `return` injects the point's
//! failure, `return(MS)` pauses the task MS milliseconds on tokio's clock and goes on. Tests never
//! use the crate's own `sleep`: it blocks a runtime thread, and whatever tokio had queued in that
//! thread's LIFO slot (the reaper's loop, a Redis connection's driver) waits with it, so a test
//! that needs the reaper during the pause failed now and then.

use std::time::Duration;

use entity::StoreError;

/// What a fail point was told to do.
#[allow(
    dead_code,
    reason = "made only by the fail points, which builds without `failpoints` leave out"
)]
enum Fault {
    /// `return`: inject the point's failure.
    Fail,
    /// `return(MS)`: pause this long, then go on.
    Pause(Duration),
}

/// Evaluates fail point `name`: pauses when it says `return(MS)`; `true` when it says `return`
/// (the caller injects its failure). `false`, at once, when the point is off.
pub(crate) async fn fails(name: &str) -> bool {
    match at(name) {
        None => false,
        Some(Fault::Fail) => true,
        Some(Fault::Pause(pause)) => {
            tokio::time::sleep(pause).await;
            false
        }
    }
}

/// A database that could not be reached while doing `action`: the failure the points inject
/// where the store is called (a transient error, as when the pool times out).
pub(crate) fn db_outage(action: &'static str) -> StoreError {
    StoreError::Db {
        action,
        source: sea_orm::DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout),
    }
}

fn at(name: &str) -> Option<Fault> {
    fail::fail_point!(name, |arg: Option<String>| Some(
        match arg.and_then(|ms| ms.parse().ok()) {
            Some(ms) => Fault::Pause(Duration::from_millis(ms)),
            None => Fault::Fail,
        }
    ));
    let _ = name; // used only by the fail point, which builds without `failpoints` leave out
    None
}
