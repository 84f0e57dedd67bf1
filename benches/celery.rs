//! Celery interoperability, round trip (plain main, not a test): Python's own Celery client
//! (`benches/celery_client.py`: `send_task`, then `AsyncResult.get()`) against a `confq worker
//! --celery-queue` process, and the same client against a Python Celery worker (prefork,
//! `acks_late`, tests/celery/celery_app.py) on the same Redis in the same run. Prints the
//! burst's tasks/s and the sequential round trip's p50/p99 for each (docs/benchmarks.md).
//!
//! `cargo bench -p confq --bench celery`. `BENCH_TASKS` (2,000 in the burst), `BENCH_SEQUENTIAL`
//! (300 one at a time), `BENCH_CONCURRENCY` (4, both workers). `CONFQ_BENCH_QUICK=1`: 50 and 20.
//! Needs python3 with `celery[redis]` (under CI a missing one fails; elsewhere it is skipped).

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{Deployment, Failure, stop};

const CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/celery_client.py");
const APP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/celery");

/// Runs the client on `queue` and returns its JSON line.
fn client(
    redis_url: &str,
    queue: &str,
    burst: u64,
    sequential: u64,
) -> Result<serde_json::Value, Failure> {
    let output = Command::new("python3")
        .arg(CLIENT)
        .args([
            redis_url,
            queue,
            &burst.to_string(),
            &sequential.to_string(),
        ])
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "the client failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

fn python_worker(redis_url: &str, queue: &str, concurrency: usize) -> Result<Child, Failure> {
    Ok(
        testenv::celery::worker(Path::new(APP_DIR), redis_url, queue, concurrency)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    )
}

fn print(who: &str, figures: &serde_json::Value) {
    let f = |k: &str| figures[k].as_f64().unwrap_or(f64::NAN);
    println!(
        "celery round trip, {who:<28} {:>8.0} tasks/s   p50 {:>6.1} ms   p99 {:>6.1} ms",
        f("tasks_per_sec"),
        f("p50_ms"),
        f("p99_ms")
    );
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    if let Err(missing) = testenv::celery::python() {
        if testenv::in_ci() {
            return Err(format!("this bench needs {missing}").into());
        }
        println!("SKIPPED: the celery bench needs {missing}");
        return Ok(());
    }
    let burst: u64 = testenv::bench::size("BENCH_TASKS", 2_000, 50);
    let sequential: u64 = testenv::bench::size("BENCH_SEQUENTIAL", 300, 20);
    let concurrency: usize = testenv::bench::size("BENCH_CONCURRENCY", 4, 4);
    let deployment = Deployment::new("celery-bench")?;
    deployment.migrate()?;
    let tag = &deployment.prefix[deployment.prefix.len() - 8..];
    let (confq_queue, python_queue) = (format!("cb-confq-{tag}"), format!("cb-python-{tag}"));
    println!(
        "celery round trip: burst of {burst}, {sequential} one at a time, concurrency {concurrency}"
    );

    let worker = deployment
        .command("warn")
        .args([
            "--no-migrate",
            "worker",
            "--concurrency",
            &concurrency.to_string(),
        ])
        .args([
            "--queue",
            &format!("{confq_queue}-native"),
            "--celery-queue",
            &confq_queue,
        ])
        .spawn()?;
    let confq = client(&deployment.redis_url, &confq_queue, burst, sequential);
    stop(worker)?;
    print("confq worker", &confq?);

    let python = python_worker(&deployment.redis_url, &python_queue, concurrency)?;
    let celery = client(&deployment.redis_url, &python_queue, burst, sequential);
    stop(python)?;
    print("Python Celery (prefork)", &celery?);
    deployment.delete_keys()?;
    Ok(())
}
