//! Suite 6, poison: malformed elements (not JSON, not an object, wrong version, missing fields,
//! unknown task, huge, binary) pushed with `redis-cli` among valid envelopes. Every bad one must
//! land in the dead-letter list with a reason, every valid one complete, and no worker restart.
//! (Non-UTF-8 elements stalled fetch and the reaper until broker commit 018af1f; see
//! docs/reliability.md.)

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Fleet, Report, Size, envelope, exclusive, push, wait_settled};
use crate::support::Env;

/// The `i`-th malformed element and the reason its dead letter must give.
fn poison(i: usize, huge_bytes: usize) -> (Vec<u8>, &'static str) {
    let id = uuid::Uuid::new_v4();
    match i % 7 {
        0 => (format!("not json {i} {{").into_bytes(), "malformed element"),
        1 => (format!("[{i}, 2, 3]").into_bytes(), "malformed element"),
        2 => (
            format!(r#"{{"v":2,"id":"{id}","task":"confq.noop","args":{{}}}}"#).into_bytes(),
            "malformed element",
        ),
        3 => (
            format!(r#"{{"v":1,"task":"confq.noop","args":{{}},"n":{i}}}"#).into_bytes(),
            "malformed element",
        ),
        4 => (
            format!(r#"{{"v":1,"id":"{id}","task":"no.such.task","args":{{}}}}"#).into_bytes(),
            "unknown task",
        ),
        5 => {
            let mut huge = format!(r#"{{"v":1,"n":{i},"pad":""#).into_bytes();
            huge.extend(std::iter::repeat_n(b'x', huge_bytes));
            huge.extend_from_slice(b"\"}");
            (huge, "malformed element")
        }
        _ => {
            let mut binary = vec![0xff, 0xfe, 0x00, 0x9c];
            binary.extend((0..64).map(|j| ((i * 31 + j * 7) % 256) as u8));
            (binary, "malformed element")
        }
    }
}

fn run(size: Size) {
    let _turn = exclusive();
    let mut env = Env::new("chaos-poison");
    env.migrate();
    let (count, huge) = size.pick((300, 64 * 1024), (1_000, 256 * 1024));
    let mut elements = Vec::with_capacity(2 * count);
    let mut reasons = Vec::with_capacity(count);
    for i in 0..count {
        let (bad, reason) = poison(i, huge);
        elements.push(bad);
        reasons.push(reason);
        elements.push(envelope("confq.noop", &format!(r#"{{"n":{i}}}"#)));
    }
    push(&env, &elements);

    let started = Instant::now();
    let _reaper = env.reaper();
    let mut fleet = Fleet::start(&mut env, 2, 4, &[]);
    let mut report = Report {
        scenario: format!("poison-{size:?}").to_lowercase(),
        tasks: 2 * count,
        faults: count,
        ..Report::default()
    };
    if !wait_settled(
        &env,
        &Default::default(),
        Duration::from_secs(size.pick(90, 300)),
    ) {
        report
            .problems
            .push("the queue did not drain in time".into());
    }
    report.seconds = started.elapsed().as_secs_f64();

    // Valid ones: each acknowledged once.
    let processed = usize::try_from(env.counter("processed")).unwrap_or(0);
    if processed != count {
        report.lost += count.saturating_sub(processed);
        report.duplicated += processed.saturating_sub(count);
        report.problems.push(format!(
            "{processed} valid tasks acknowledged, want {count}"
        ));
    }
    // Bad ones: each in the dead list with the right reason.
    let records = dead_records(&env);
    for want in ["malformed element", "unknown task"] {
        let expected = reasons.iter().filter(|reason| **reason == want).count();
        let found = records
            .iter()
            .filter(|record| {
                record["reason"]
                    .as_str()
                    .is_some_and(|reason| reason.contains(want))
            })
            .count();
        if found != expected {
            report.lost += expected.abs_diff(found);
            report.problems.push(format!(
                "{found} dead letters say {want:?}, want {expected}"
            ));
        }
    }
    if records.len() != count {
        report
            .problems
            .push(format!("{} dead letters, want {count}", records.len()));
    }
    for worker in &fleet.workers {
        if worker.log_text().contains("panicked") {
            report.problems.push(format!("{} panicked", worker.name));
        }
    }
    report.problems.extend(fleet.unexpected_exits());
    report.finish();
}

/// Every dead-letter record of the queue, parsed.
fn dead_records(env: &Env) -> Vec<Value> {
    let key = env.keys().dead;
    let output = Command::new("redis-cli")
        .args(["-u", &env.redis_url, "--raw", "ZRANGE", &key, "0", "-1"])
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

#[test]
fn poison_small_every_bad_element_dead_lettered_with_a_reason() {
    run(Size::Small);
}

#[test]
#[ignore = "full size: cargo test --test chaos -- --ignored"]
fn poison_full_every_bad_element_dead_lettered_with_a_reason() {
    run(Size::Full);
}
