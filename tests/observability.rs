//! What operators see of real `confq` processes: a worker's own `/metrics` (the task duration
//! histogram the API cannot see in a multi-process deployment) and the warning of an API open to
//! the network without a token.

mod support;

use std::io::{Read, Write};
use std::time::Duration;

use support::{Env, free_port, redis_server, wait_for};

/// Long enough for debug builds on a loaded two-core machine; no test needs it unless broken.
const PATIENCE: Duration = Duration::from_secs(60);

/// `GET path` on `addr`: the status code and the body (`None` while nothing answers).
fn get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

#[test]
fn a_worker_with_metrics_bind_serves_the_duration_histogram_of_the_tasks_it_ran() {
    let mut env = Env::new("worker-metrics");
    env.migrate();
    let addr = format!("127.0.0.1:{}", free_port());
    let _worker = env.worker(2, &["--metrics-bind", &addr]);
    wait_for(PATIENCE, "the worker's /healthz to answer 200", || {
        get(&addr, "/healthz").filter(|(status, _)| *status == 200)
    });
    for _ in 0..3 {
        env.enqueue("confq.noop", "{}");
    }
    let text = wait_for(PATIENCE, "three confq.noop tasks in /metrics", || {
        get(&addr, "/metrics").map(|(_, body)| body).filter(|body| {
            body.contains("confq_task_duration_seconds_count{task=\"confq.noop\"} 3")
                && body.contains("confq_worker_tasks_total{outcome=\"succeeded\"} 3")
        })
    });
    assert!(
        text.contains("confq_task_duration_seconds_bucket{task=\"confq.noop\",le=\"0.005\"}"),
        "the histogram has the task-duration buckets: {text}"
    );
    assert_eq!(env.counter("processed"), 3);
}

/// The worker's endpoint fails the command when its address is taken, before any task is taken.
#[test]
fn a_worker_whose_metrics_address_is_taken_exits_1_with_one_line() {
    let env = Env::new("worker-metrics-taken");
    env.migrate();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let output = env
        .command()
        .args(["--no-migrate", "worker", "--metrics-bind", &addr])
        .output()
        .expect("confq worker");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot serve the worker's metrics on {addr}")),
        "{stderr}"
    );
}

const OPEN_API_WARNING: &str = "without CONFQ_API_TOKEN";

/// Starts `confq COMMAND --bind BIND` and returns its log once it listens.
fn started_log(env: &mut Env, command: &str, bind: &str) -> String {
    let mut process = env.spawn(command, &[command, "--bind", bind]);
    let log = wait_for(PATIENCE, &format!("confq {command} to listen"), || {
        let log = process.log_text();
        log.contains("API listening").then_some(log)
    });
    process.kill();
    log
}

#[test]
fn an_api_bound_beyond_loopback_without_a_token_warns_at_start() {
    for command in ["api", "dev"] {
        let mut env = Env::new("open-api");
        env.migrate();
        let log = started_log(&mut env, command, "0.0.0.0:0");
        let warning = log
            .lines()
            .find(|line| line.contains(OPEN_API_WARNING))
            .unwrap_or_else(|| panic!("confq {command}: no warning in {log}"));
        assert!(warning.contains("WARN"), "{warning}");
        assert!(
            warning.contains("0.0.0.0:0"),
            "names the address: {warning}"
        );

        let log = started_log(&mut env, command, "127.0.0.1:0");
        assert!(
            !log.contains(OPEN_API_WARNING),
            "loopback is not open: {log}"
        );

        env.set("CONFQ_API_TOKEN", "a-token");
        let log = started_log(&mut env, command, "0.0.0.0:0");
        assert!(
            !log.contains(OPEN_API_WARNING),
            "a token protects it: {log}"
        );
        assert!(!log.contains("a-token"), "the token is never logged: {log}");
    }
}

/// `/healthz` follows the worker's registration in Redis, not merely the process: with its Redis
/// gone the worker is unhealthy (and `confq worker --check` exits 1); once Redis is back and the
/// worker has registered again, it is healthy.
#[test]
fn a_worker_that_cannot_reach_redis_is_unhealthy_until_it_registers_again() {
    let mut env = Env::new("worker-health-redis");
    let port = free_port().to_string();
    env.redis_url = format!("redis://127.0.0.1:{port}");
    let redis_dir = env.dir.path().join("redis");
    std::fs::create_dir_all(&redis_dir).expect("redis dir");
    let start_redis = |env: &Env| redis_server(&port, &redis_dir, env.dir.path().join("redis.log"));
    let mut redis = start_redis(&env);
    env.migrate();
    let addr = format!("127.0.0.1:{}", free_port());
    env.set("CONFQ_WORKER_METRICS_BIND", &addr);
    let check = |env: &Env| {
        env.command()
            .args(["worker", "--check"])
            .output()
            .expect("confq worker --check")
    };
    let probe = wait_for(PATIENCE, "redis-server to accept connections", || {
        std::net::TcpStream::connect(format!("127.0.0.1:{port}")).ok()
    });
    drop(probe);
    let _worker = env.worker(1, &[]);
    wait_for(PATIENCE, "the worker's /healthz to answer 200", || {
        get(&addr, "/healthz").filter(|(status, _)| *status == 200)
    });
    assert!(check(&env).status.success());

    redis.kill();
    let (status, body) = wait_for(PATIENCE, "/healthz to fail without Redis", || {
        get(&addr, "/healthz").filter(|(status, _)| *status != 200)
    });
    assert_eq!(status, 503, "{body}");
    let output = check(&env);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("/healthz answered"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    redis = start_redis(&env);
    wait_for(PATIENCE, "/healthz to pass once Redis is back", || {
        get(&addr, "/healthz").filter(|(status, _)| *status == 200)
    });
    redis.kill();
}

/// An empty `CONFQ_WORKER_METRICS_BIND` counts as unset, like every other setting; a malformed
/// one is a usage error (exit 2) naming the variable.
#[test]
fn an_empty_metrics_bind_is_unset_and_a_malformed_one_is_a_usage_error() {
    let mut env = Env::new("worker-metrics-usage");
    for (value, expected) in [
        ("", "set --metrics-bind or CONFQ_WORKER_METRICS_BIND"),
        (
            "nope",
            "CONFQ_WORKER_METRICS_BIND (--metrics-bind) \"nope\" is not an address",
        ),
    ] {
        env.set("CONFQ_WORKER_METRICS_BIND", value);
        let output = env
            .command()
            .args(["worker", "--check"])
            .output()
            .expect("confq worker --check");
        assert_eq!(output.status.code(), Some(2), "{value:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{value:?}: {stderr}");
    }
}
