//! A child `confq` (or `redis-server`, …) process that the test owns: signals by pid through the
//! `kill` utility, its stderr in a log file, its peak RSS, and a SIGKILL when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus};
use std::time::Duration;

/// A process started by a test; killed (SIGKILL) and reaped on drop.
pub struct Proc {
    child: Child,
    /// A short name for messages, e.g. `worker-3`.
    pub name: String,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
}

impl Proc {
    /// Spawns `command` with stdout and stderr appended to `log`.
    pub fn spawn(mut command: Command, name: &str, log: PathBuf) -> Self {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("open the log file");
        command
            .stdout(file.try_clone().expect("clone the log handle"))
            .stderr(file);
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {name}: {error}"));
        Self {
            child,
            name: name.to_owned(),
            log,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`KILL`, `TERM`, `STOP`, `CONT`, …) to this process only.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run kill");
        assert!(
            status.success() || !self.alive_hint(),
            "kill -{signal} {} failed",
            self.name
        );
    }

    fn alive_hint(&self) -> bool {
        std::path::Path::new(&format!("/proc/{}", self.pid())).exists()
    }

    /// Whether the process has exited (reaping it if so).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait")
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        testenv::wait::within_blocking(timeout, || self.exited())
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// The log written so far.
    pub fn log_text(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// Peak resident set size in KiB (`VmHWM`), while the process lives.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // A stopped process ignores nothing but SIGKILL; SIGCONT first keeps `wait` prompt.
        if self.exited().is_none() {
            let _ = Command::new("kill")
                .args(["-CONT", &self.pid().to_string()])
                .stderr(std::process::Stdio::null())
                .status();
        }
        self.kill();
    }
}

pub use testenv::free_port;

/// A throwaway `redis-server` on `127.0.0.1:port` (no persistence, files in `dir`), for tests
/// that stop the server; the shared one must never be stopped.
pub fn redis_server(port: &str, dir: &std::path::Path, log: PathBuf) -> Proc {
    let mut command = Command::new("redis-server");
    command
        .args([
            "--port",
            port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(dir);
    Proc::spawn(command, "redis-server", log)
}
