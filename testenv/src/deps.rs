//! The dependencies confq's tests share, each with the one hint that says how to provide it.

use std::path::PathBuf;

use crate::Missing;

/// `CONFQ_TEST_POSTGRES_URL`: a PostgreSQL database through which tests create their own.
///
/// # Errors
/// When the variable is unset or empty.
pub fn postgres_url() -> Result<String, Missing> {
    Missing::var(
        "CONFQ_TEST_POSTGRES_URL",
        "point it at a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/test \
         (.ci/run does)",
    )
}

/// `redis-server`, for tests that start, stop or break a Redis of their own.
///
/// # Errors
/// When it is not on PATH.
pub fn redis_server() -> Result<PathBuf, Missing> {
    Missing::tool("redis-server", "apt-get install redis-server")
}

/// `moto_server`, a local S3 server.
///
/// # Errors
/// When it is not on PATH.
pub fn moto_server() -> Result<PathBuf, Missing> {
    Missing::tool("moto_server", "pip install 'moto[server]'")
}

/// `curl`, which creates the tests' S3 buckets.
///
/// # Errors
/// When it is not on PATH.
pub fn curl() -> Result<PathBuf, Missing> {
    Missing::tool("curl", "apt-get install curl")
}

/// `redis-cli`, which joins the nodes of a local Redis Cluster ([`crate::cluster`]).
///
/// # Errors
/// When it is not on PATH.
pub fn redis_cli() -> Result<PathBuf, Missing> {
    Missing::tool("redis-cli", "apt-get install redis-tools")
}
