//! What confq's tests and benches take from the machine they run on, and the helpers their
//! harnesses share (a dev-dependency only).
//!
//! - [`need`]: a tool or service a test cannot do without. A missing one fails the test with a
//!   message naming it and how to install it. Tests whose dependency is optional on a developer's
//!   machine (moto, a PostgreSQL cluster, `CONFQ_TEST_POSTGRES_URL`) are `#[ignore = "needs …"]`,
//!   so `cargo test --workspace` counts them as ignored, and `.ci/run` runs them with
//!   `-- --ignored`; nothing passes by skipping.
//! - [`optional`]: a dependency of one part of a test that checks other things too (the
//!   PostgreSQL half of a SQLite + PostgreSQL test): under CI (`CI=true`) a missing one fails,
//!   elsewhere a `SKIPPED` line on stderr says what did not run.
//! - [`redis`]: the shared Redis (or a shared local cluster) under a key prefix per test, and a
//!   private `redis-server` a test may stop and restart.
//! - [`db`]: a SQLite file per test and a fresh PostgreSQL database per test.
//! - [`archive`]: the one hand-made ustar writer (hostile members included) and gzip.
//! - [`wait`]: waiting for a condition with a generous timeout instead of sleeping.
//! - [`postgres_cluster`]: a private PostgreSQL cluster (`initdb` + `pg_ctl`) a test stops and
//!   starts: the database outages of the chaos suites.
//! - [`cluster`]: a local Redis Cluster (3 masters, 3 replicas) started from the tests' own
//!   harness and stopped when dropped or when the test process ends.
//! - [`celery`]: Python Celery (the client's module, a real Celery worker) for the Celery
//!   interoperability tests and bench.
//! - [`bench`]: the sizes of the benches, with a quick mode (`CONFQ_BENCH_QUICK=1`) in which CI
//!   runs each bench once.

pub mod archive;
pub mod bench;
pub mod celery;
pub mod cluster;
pub mod db;
pub mod deps;
mod need;
pub mod postgres_cluster;
pub mod redis;
pub mod wait;

pub use need::{Missing, in_ci, need, optional};

/// Runs `future` to completion on a thread of its own with a fresh runtime (for async cleanup
/// from `Drop`, which may run inside or outside a runtime).
pub fn block_on_thread(future: impl std::future::Future<Output = ()> + Send + 'static) {
    let _ = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the cleanup")
            .block_on(future);
    })
    .join();
}

/// A free loopback TCP port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}
