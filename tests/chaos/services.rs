//! Private servers the outage scenarios may stop and start at will: a PostgreSQL cluster
//! (`testenv::postgres_cluster`, re-exported here) and `moto_server` (S3); a private
//! `redis-server` is `testenv::redis::Server`. A missing tool fails the test, naming how to
//! install it (`testenv::need`); the scenarios that need PostgreSQL or moto are `#[ignore]`d for
//! that reason.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

pub use testenv::postgres_cluster::PrivatePostgres;
use testenv::{deps, need};

use crate::support::{Proc, free_port};

/// A `moto_server` (in-memory S3) on a free port.
pub struct Moto {
    pub port: u16,
    pub server: Proc,
}

impl Moto {
    /// Fails the test when `moto_server` or `curl` (which creates the bucket) is missing.
    pub fn start(dir: &Path, bucket: &str) -> Self {
        let program = need(deps::moto_server());
        need(deps::curl());
        let port = free_port();
        let mut command = Command::new(program);
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        let server = Proc::spawn(command, "moto_server", dir.join("moto.log"));
        let moto = Self { port, server };
        let ready = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(200));
            moto.curl(&["-X", "PUT", &format!("{}/{bucket}", moto.endpoint())])
        });
        assert!(
            ready,
            "moto_server did not answer: {}",
            moto.server.log_text()
        );
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs curl with `args`; true on an HTTP success.
    pub fn curl(&self, args: &[&str]) -> bool {
        Command::new("curl")
            .args(["-sf", "-o", "/dev/null"])
            .args(args)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }
}
