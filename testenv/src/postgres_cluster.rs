//! A private PostgreSQL cluster a test may stop and start at will (`initdb` + `pg_ctl` of the
//! installed server, on a free port, run as the `postgres` user via `runuser` when the tests run
//! as root): the database outages of the chaos suites. A missing tool fails the test, naming how
//! to install it ([`crate::need`]).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{Missing, free_port, need};

/// A private PostgreSQL cluster on a free port.
pub struct PrivatePostgres {
    /// The port it listens on (127.0.0.1).
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
    /// Creates a cluster under `dir` and starts it. Fails the test when `initdb`/`pg_ctl` (or,
    /// as root, `runuser`) is missing.
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
        let initdb = postgres
            .command(
                "initdb",
                &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
            )
            .output()
            .expect("run initdb");
        let stderr = String::from_utf8_lossy(&initdb.stderr);
        assert!(initdb.status.success(), "initdb failed: {stderr}");
        assert!(postgres.start_server(), "pg_ctl start failed");
        postgres
    }

    /// Its URL (database `postgres`, user `postgres`, trust auth).
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

    /// `pg_ctl start -w`; true when the server started.
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
