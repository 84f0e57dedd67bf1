//! Python Celery for the Celery interoperability tests and bench: whether `python3` has the
//! `celery` module, and a real Celery worker (prefork, `acks_late`) of tests/celery/celery_app.py.

use std::path::Path;
use std::process::Command;

use crate::Missing;

/// `python3` when it can import `celery` and `redis`; otherwise what is missing.
///
/// # Errors
/// When `python3` or its `celery` module is missing.
pub fn python() -> Result<&'static str, Missing> {
    Command::new("python3")
        .args(["-c", "import celery, redis"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| "python3")
        .ok_or_else(|| Missing {
            what: "python3 with the module `celery`".to_owned(),
            how: "python3 -m pip install 'celery[redis]'".to_owned(),
        })
}

/// A Celery worker command (prefork, `concurrency` processes) of the app `celery_app` in
/// `app_dir` on `queue` of `redis_url`; the caller chooses its stdio and spawns it.
pub fn worker(app_dir: &Path, redis_url: &str, queue: &str, concurrency: usize) -> Command {
    let mut command = Command::new("python3");
    command
        .current_dir(app_dir)
        .env("CELERY_TEST_REDIS_URL", redis_url)
        .args([
            "-m",
            "celery",
            "-A",
            "celery_app",
            "worker",
            "-P",
            "prefork",
            "-Q",
            queue,
        ])
        .args(["-c", &concurrency.to_string(), "-l", "warning"])
        .args([
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]);
    command
}
