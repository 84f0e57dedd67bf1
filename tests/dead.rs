//! The `confq` binary's dead-letter settings and usage errors as real processes: the caps come
//! from `CONFQ_DEAD_MAX` / `CONFQ_DEAD_MAX_AGE_SECS` and a reaper applies them with no new dead
//! letter arriving; a command line missing its command exits 2 with one line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use support::{Env, wait_for};

/// Long enough for debug builds on a loaded two-core machine; no test needs it unless broken.
const PATIENCE: Duration = Duration::from_secs(55);

/// Writes a dead letter of task number `i` that died `age_ms` ago, as a worker would have.
fn seed(env: &Env, i: u64, age_ms: u64) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let sequence = (now.as_millis() as u64 - age_ms) * 1000 + i;
    let id = uuid::Uuid::new_v4();
    let raw = json!({"v": 1, "id": id, "task": "confq.noop", "args": {"i": i}, "attempt": 0});
    let record = json!({"reason": "seeded", "task_id": id, "raw": raw.to_string()});
    let key = env.keys().dead;
    let status = Command::new("redis-cli")
        .args(["-u", &env.redis_url, "ZADD", &key, &sequence.to_string()])
        .arg(record.to_string())
        .output()
        .unwrap()
        .status;
    assert!(status.success(), "redis-cli ZADD");
}

fn numbers(env: &Env) -> Vec<u64> {
    env.dead()
        .iter()
        .map(|item| item["envelope"]["args"]["i"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_reaper_applies_the_configured_dead_letter_caps_with_no_new_arrival() {
    let mut env = Env::new("dead-caps");
    env.set("CONFQ_DEAD_MAX", "2")
        .set("CONFQ_DEAD_MAX_AGE_SECS", "3600");
    seed(&env, 0, 2 * 3600 * 1000);
    for i in 1..4 {
        seed(&env, i, 60_000);
    }
    assert_eq!(numbers(&env), [3, 2, 1, 0], "listing trims nothing");
    env.migrate();
    let mut reaper = env.reaper();
    wait_for(PATIENCE, "the reaper to trim the dead letters", || {
        (numbers(&env).len() == 2).then_some(())
    });
    assert_eq!(numbers(&env), [3, 2], "the newest within the age kept");
    wait_for(PATIENCE, "the reaper to log what it dropped", || {
        reaper
            .log_text()
            .contains("dropped dead letters")
            .then_some(())
    });
    reaper.kill();
}

#[test]
fn dead_letter_caps_that_keep_nothing_are_usage_errors() {
    let env = Env::new("dead-caps-bad");
    for (name, value) in [("CONFQ_DEAD_MAX", "0"), ("CONFQ_DEAD_MAX_AGE_SECS", "0")] {
        let output = env
            .command()
            .env(name, value)
            .args(["dead", "list"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{name}={value}");
        let text = String::from_utf8_lossy(&output.stderr);
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn a_missing_command_is_a_usage_error_on_one_line() {
    let env = Env::new("usage");
    for (args, names) in [
        (&[][..], "api, worker, reaper"),
        (&["dead"][..], "list, requeue, purge"),
    ] {
        let output = env.command().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "confq {args:?}");
        let text = String::from_utf8_lossy(&output.stderr);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            text.starts_with("confq: ") && text.contains(names) && text.contains("--help"),
            "{text}"
        );
        assert!(output.stdout.is_empty(), "no help on stdout");
    }
}
