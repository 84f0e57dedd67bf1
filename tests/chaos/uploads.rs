//! Uploads through a real `confq api` process: start it on a free port, wait until it is ready,
//! and `POST /v1/uploads` generated archives with curl, keeping what each upload should produce.

use std::time::Duration;

use crate::common::Expected;
use crate::support::archive::generated_tgz;
use crate::support::{Env, Proc, curl, free_port, wait_for};

/// A running `confq api` and its base URL.
pub struct Api {
    pub process: Proc,
    pub base: String,
}

impl Api {
    /// Starts `confq api` on a free loopback port and waits for `/readyz`.
    pub fn start(env: &mut Env) -> Self {
        testenv::need(testenv::deps::curl());
        let addr = format!("127.0.0.1:{}", free_port());
        let process = env.spawn("api", &["api", "--bind", &addr]);
        let base = format!("http://{addr}");
        wait_for(Duration::from_secs(60), "confq api to be ready", || {
            curl(&[&format!("{base}/readyz")]).filter(|body| body.contains("ready"))
        });
        Self { process, base }
    }

    /// A problem when the API exited by itself (it must ride out every fault of the scenarios).
    pub fn exited(&mut self) -> Option<String> {
        let status = self.process.exited()?;
        Some(format!(
            "the api exited by itself: {status}\n{}",
            self.process.log_text()
        ))
    }
}

/// `count` small distinct archives written to the deployment's temp dir: each path with the
/// `(files, stanzas)` its run must end with.
pub fn archives(env: &Env, count: usize, seed: u64) -> Vec<(String, (i64, i64))> {
    (0..count)
        .map(|i| {
            let generated = generated_tgz(seed + i as u64, 2, 10, 40);
            let path = env.file(&format!("u-{seed}-{i}.tgz"), &generated.bytes);
            (path, (generated.files, generated.stanzas))
        })
        .collect()
}

/// Uploads every archive, `pause` apart: the runs the API acknowledged, and how many it refused.
pub fn upload_all(
    api_base: &str,
    archives: &[(String, (i64, i64))],
    pause: Duration,
) -> (Expected, usize) {
    let mut acknowledged = Expected::new();
    let mut refused = 0;
    for (path, expected) in archives {
        match upload(api_base, path) {
            Some(run) => {
                acknowledged.insert(run, *expected);
            }
            None => refused += 1,
        }
        std::thread::sleep(pause);
    }
    (acknowledged, refused)
}

/// Uploads the archive at `path`; the run id, or `None` when the API refused it.
pub fn upload(api_base: &str, path: &str) -> Option<i64> {
    let body = curl(&[
        "--fail",
        "-F",
        &format!("file=@{path}"),
        &format!("{api_base}/v1/uploads"),
    ])?;
    let answer: serde_json::Value = serde_json::from_str(&body).ok()?;
    answer["run_id"].as_i64()
}
