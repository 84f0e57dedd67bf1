//! What confq's tests and benches take from the machine they run on (a dev-dependency only).
//!
//! - [`need`]: a tool or service a test cannot do without. A missing one fails the test with a
//!   message naming it and how to install it. Tests whose dependency is optional on a developer's
//!   machine (moto, a PostgreSQL cluster, `CONFQ_TEST_POSTGRES_URL`) are `#[ignore = "needs …"]`,
//!   so `cargo test --workspace` counts them as ignored, and `.ci/run` runs them with
//!   `-- --ignored`; nothing passes by skipping.
//! - [`optional`]: a dependency of one part of a test that checks other things too (the
//!   PostgreSQL half of a SQLite + PostgreSQL test): under CI (`CI=true`) a missing one fails,
//!   elsewhere a `SKIPPED` line on stderr says what did not run.
//! - [`cluster`]: a local Redis Cluster (3 masters, 3 replicas) started from the tests' own
//!   harness and stopped when dropped or when the test process ends.
//! - [`bench`]: the sizes of the benches, with a quick mode (`CONFQ_BENCH_QUICK=1`) in which CI
//!   runs each bench once.

pub mod bench;
pub mod cluster;
pub mod deps;
mod need;

pub use need::{Missing, in_ci, need, optional};
