//! compose.yaml and the Dockerfile cannot run here (no Docker engine), so their structure is
//! checked (the workers can scale, Redis persists with AOF and never evicts, every `CONFQ_*`
//! variable is documented, the API needs a token) and every health check is *run*: each confq
//! service's check command runs against a live local `confq` process (exit 0), then against the
//! same process frozen with SIGSTOP and after it is gone (non-zero), under the check's own
//! `timeout` as Docker would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_yaml_ng::Value;
use support::compose::{self, services};
use support::{Env, Proc, free_port, redis_server, wait_for};

const COMPOSE: &str = include_str!("../compose.yaml");
const DOCKERFILE: &str = include_str!("../Dockerfile");
fn compose() -> Value {
    compose::parse(COMPOSE)
}

every_compose_file_test!(compose);

#[test]
fn the_stack_has_every_component() {
    let compose = compose();
    let names: BTreeSet<&str> = services(&compose)
        .keys()
        .filter_map(Value::as_str)
        .collect();
    for expected in ["redis", "postgres", "api", "worker", "reaper"] {
        assert!(names.contains(expected), "missing service {expected}");
    }
}

#[test]
fn redis_persists_with_aof_and_never_evicts() {
    let compose = compose();
    let command: Vec<&str> = services(&compose)["redis"]["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let joined = command.join(" ");
    assert!(joined.contains("--appendonly yes"), "{joined}");
    assert!(joined.contains("--appendfsync everysec"), "{joined}");
    assert!(joined.contains("--maxmemory-policy noeviction"), "{joined}");
    assert!(
        services(&compose)["redis"]["image"]
            .as_str()
            .unwrap()
            .starts_with("redis:7")
    );
    assert!(
        services(&compose)["postgres"]["image"]
            .as_str()
            .unwrap()
            .starts_with("postgres:16")
    );
}

#[test]
fn dockerfile_is_multi_stage_and_runs_as_non_root() {
    let stages = DOCKERFILE
        .lines()
        .filter(|line| line.starts_with("FROM "))
        .count();
    assert!(stages >= 2, "a build stage and a runtime stage");
    let user = DOCKERFILE
        .lines()
        .rev()
        .find(|line| line.starts_with("USER "))
        .expect("a USER line");
    assert_ne!(user.trim(), "USER root");
    assert!(DOCKERFILE.contains("ENTRYPOINT [\"confq\"]"));
}

/// A named volume takes the owner of the image directory it is mounted on; a mount point the
/// image lacks is created by Docker as root, and the non-root confq could not write uploads.
#[test]
fn every_volume_mount_point_exists_in_the_image_owned_by_its_user() {
    let compose = compose();
    let user = DOCKERFILE
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("USER "))
        .expect("a USER line")
        .trim();
    for (name, service) in services(&compose) {
        let uses_image = service.get("build").is_some()
            || service
                .get("image")
                .and_then(Value::as_str)
                .is_some_and(|image| image.contains("confq"));
        if !uses_image {
            continue;
        }
        for volume in service
            .get("volumes")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let target = volume.split(':').nth(1).expect("source:target");
            let made = format!("install -d -o {user} -g {user} {target}");
            assert!(
                DOCKERFILE.contains(&made) || target == "/var/lib/confq",
                "{name:?}: {target} must be made in the image for {user} (`{made}`)"
            );
        }
    }
}

/// A service's health check: the exec-form command and Docker's `timeout` for it.
struct Check {
    argv: Vec<String>,
    timeout: Duration,
}

fn healthcheck(service: &str) -> Check {
    let compose = compose();
    let check = &services(&compose)[service]["healthcheck"];
    let test: Vec<String> = check["test"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{service}: a healthcheck test list"))
        .iter()
        .map(|part| part.as_str().unwrap().to_owned())
        .collect();
    let argv = match test[0].as_str() {
        "CMD" => test[1..].to_vec(),
        "CMD-SHELL" => vec!["sh".to_owned(), "-c".to_owned(), test[1..].join(" ")],
        other => panic!("{service}: unknown healthcheck form {other:?}"),
    };
    let timeout = check["timeout"].as_str().unwrap();
    let seconds: u64 = timeout
        .strip_suffix('s')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{service}: timeout {timeout:?} in seconds"));
    Check {
        argv,
        timeout: Duration::from_secs(seconds),
    }
}

impl Check {
    /// Runs the command as Docker would: healthy means exit 0 within the timeout. `confq` is the
    /// binary under test, with the deployment's settings.
    fn passes(&self, env: &Env) -> bool {
        let mut command = if self.argv[0] == "confq" {
            env.command()
        } else {
            Command::new(&self.argv[0])
        };
        command
            .args(&self.argv[1..])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run {:?}: {error}", self.argv));
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.success();
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits (generously: debug builds on a loaded machine) until the check gives `expected`.
    fn becomes(&self, env: &Env, expected: bool, what: &str) {
        wait_for(Duration::from_secs(60), what, || {
            (self.passes(env) == expected).then_some(())
        });
    }

    /// The check against a live process, the same process frozen, thawed, and gone.
    fn follows_the_life_of(&self, env: &Env, process: &mut Proc) {
        let name = process.name.clone();
        self.becomes(env, true, &format!("the check to pass on a live {name}"));
        process.signal("STOP");
        self.becomes(env, false, &format!("the check to fail on a frozen {name}"));
        process.signal("CONT");
        self.becomes(
            env,
            true,
            &format!("the check to pass again on a thawed {name}"),
        );
        process.kill();
        self.becomes(
            env,
            false,
            &format!("the check to fail once {name} is gone"),
        );
    }
}

#[test]
fn the_worker_healthcheck_follows_a_real_worker() {
    let check = healthcheck("worker");
    assert_eq!(check.argv, ["confq", "worker", "--check"]);
    let mut env = Env::new("compose-worker");
    env.set(
        "CONFQ_WORKER_METRICS_BIND",
        &format!("127.0.0.1:{}", free_port()),
    );
    env.migrate();
    assert!(!check.passes(&env), "no worker is running yet");
    let mut worker = env.worker(1, &[]);
    check.follows_the_life_of(&env, &mut worker);
}

#[test]
fn the_reaper_healthcheck_follows_a_real_reaper() {
    let check = healthcheck("reaper");
    assert_eq!(check.argv, ["confq", "reaper", "--check"]);
    let mut env = Env::new("compose-reaper");
    env.set("CONFQ_REAPER_INTERVAL_SECS", "1");
    env.migrate();
    assert!(!check.passes(&env), "no reaper has ever ticked");
    let mut reaper = env.reaper();
    check.follows_the_life_of(&env, &mut reaper);
}

/// The API's check is curl on its fixed container port; here the API listens on a free port, so
/// only the port of the URL is changed.
#[test]
fn the_api_healthcheck_follows_a_real_api() {
    let mut check = healthcheck("api");
    let port = free_port();
    let url = check
        .argv
        .iter_mut()
        .find(|part| part.starts_with("http://127.0.0.1:8000/"))
        .expect("the check asks the API on its container port");
    *url = url.replace(":8000/", &format!(":{port}/"));
    let mut env = Env::new("compose-api");
    env.set("CONFQ_API_TOKEN", "compose-test-token");
    env.migrate();
    assert!(!check.passes(&env), "no API is running yet");
    let bind = format!("127.0.0.1:{port}");
    let mut api = env.spawn("api", &["api", "--bind", &bind]);
    check.follows_the_life_of(&env, &mut api);
}

/// `redis-cli ping` against a private redis-server (the shared one must not be stopped): the
/// command gets `-p PORT`, which in the container is the default 6379.
#[test]
fn the_redis_healthcheck_follows_a_real_redis() {
    let mut check = healthcheck("redis");
    assert_eq!(check.argv, ["redis-cli", "ping"]);
    let port = free_port().to_string();
    check.argv.splice(1..1, ["-p".to_owned(), port.clone()]);
    let env = Env::new("compose-redis");
    assert!(!check.passes(&env), "no redis-server on {port} yet");
    let mut redis = redis_server(&port, env.dir.path(), env.dir.path().join("redis.log"));
    check.follows_the_life_of(&env, &mut redis);
}

/// `pg_isready` against the test PostgreSQL (`PGHOST`/`PGPORT` stand for the container's
/// defaults) passes, and against a port nothing listens on fails. The shared server is not
/// stopped, so the frozen case is not run here.
#[test]
fn the_postgres_healthcheck_fails_without_a_server() {
    let check = healthcheck("postgres");
    assert_eq!(check.argv, ["sh", "-c", "pg_isready -U confq -d confq"]);
    let run = |host: &str, port: &str| {
        Command::new(&check.argv[0])
            .args(&check.argv[1..])
            .env("PGHOST", host)
            .env("PGPORT", port)
            .env("PGCONNECT_TIMEOUT", "3")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("pg_isready")
            .success()
    };
    assert!(!run("127.0.0.1", &free_port().to_string()));
    let url = std::env::var("CONFQ_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let rest = url.split('@').next_back().unwrap();
    let host_port = rest.split('/').next().unwrap();
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "5432"));
    assert!(
        run(host, port),
        "pg_isready against the test PostgreSQL at {host}:{port}"
    );
}
