//! Private servers the outage scenarios may stop and start at will: a PostgreSQL cluster
//! (`initdb`/`pg_ctl`, as the `postgres` user when run as root) and `moto_server` (S3); a private
//! `redis-server` is `testenv::redis::Server`. A missing tool fails the test, naming how to
//! install it (`testenv::need`); the scenarios that need PostgreSQL or moto are `#[ignore]`d for
//! that reason.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use testenv::{Missing, deps, need};

use crate::support::{Proc, free_port};

/// A private PostgreSQL cluster on a free port.
pub struct PrivatePostgres {
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    as_postgres: bool,
}

/// Where Debian's packages (any version, newest first) or a source build put `initdb`/`pg_ctl`.
fn postgres_bin_dirs() -> Vec<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    versions.sort_by_key(|path| {
        let version = path.parent().and_then(|p| p.file_name());
        std::cmp::Reverse(version.and_then(|v| v.to_str()?.parse::<u32>().ok()))
    });
    let mut dirs = vec![PathBuf::from("/usr/local/bin")];
    dirs.extend(versions);
    dirs
}

impl PrivatePostgres {
    /// Fails the test when `initdb`/`pg_ctl` (or, as root, `runuser`) is missing.
    pub fn start(dir: &Path) -> Self {
        let bin = need(
            postgres_bin_dirs()
                .into_iter()
                .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists())
                .ok_or_else(|| Missing {
                    what: "initdb and pg_ctl in /usr/local/bin or /usr/lib/postgresql/*/bin".into(),
                    how: "apt-get install postgresql".into(),
                }),
        );
        let as_postgres = is_root();
        if as_postgres {
            // initdb refuses to run as root: it runs as the postgres user.
            need(Missing::tool("runuser", "apt-get install util-linux"));
        }
        std::fs::create_dir_all(dir).expect("pg dir");
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir)
                .status();
            assert!(
                status.is_ok_and(|status| status.success()),
                "cannot give {} to the postgres user",
                dir.display()
            );
        }
        let postgres = Self {
            port: free_port(),
            bin,
            data: dir.join("pgdata"),
            as_postgres,
        };
        let data = postgres.data.to_str().expect("UTF-8 path").to_owned();
        let output = postgres
            .command(
                "initdb",
                &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
            )
            .output()
            .expect("run initdb");
        assert!(
            output.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(postgres.start_server(), "pg_ctl start failed");
        postgres
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let tool = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(tool);
            command
        } else {
            Command::new(tool)
        };
        command.args(args).stdin(Stdio::null());
        command
    }

    /// `pg_ctl start -w`.
    pub fn start_server(&self) -> bool {
        let data = self.data.to_str().expect("UTF-8 path");
        let options = format!(
            "-p {} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port
        );
        let log = format!("{data}/../server.log");
        self.command(
            "pg_ctl",
            &["-D", data, "-o", &options, "-l", &log, "-w", "start"],
        )
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
    }

    /// `pg_ctl stop -m fast` (connections are cut).
    pub fn stop_server(&self) {
        let data = self.data.to_str().expect("UTF-8 path");
        let _ = self
            .command("pg_ctl", &["-D", data, "-m", "fast", "-w", "stop"])
            .stdout(Stdio::null())
            .status();
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.data.to_str().expect("UTF-8 path");
        let _ = self
            .command("pg_ctl", &["-D", data, "-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

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
