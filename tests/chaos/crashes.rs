//! Suite 1, worker crashes: ingestions of small generated archives and `confq.sleep` tasks run on
//! three worker processes and a reaper while a random worker is SIGKILLed every couple of seconds
//! and replaced. Every run must complete with exactly its stanzas, every task be acknowledged
//! once, and nothing stay pending, processing, delayed or dead.

use std::time::{Duration, Instant};

use crate::common::{
    Expected, Fleet, Report, Rng, Size, check_acks, envelope, exclusive, push, submit_archives,
    tally, wait_settled,
};
use crate::support::Env;

fn run(size: Size) {
    let _turn = exclusive();
    let mut env = Env::new("chaos-crash");
    // Kills cost attempts; a task hit many times must still have retries left.
    env.set("CONFQ_MAX_RETRIES", "50");
    env.migrate();
    let (archives, sleeps) = size.pick((150, 100), (2_000, 500));
    let runs = submit_archives(&env, archives, 1_000, 2, 10);
    let sleepers: Vec<Vec<u8>> = (0..sleeps)
        .map(|i| {
            envelope(
                "confq.sleep",
                &format!(r#"{{"ms":{}}}"#, 100 + (i % 5) * 150),
            )
        })
        .collect();
    push(&env, &sleepers);

    let started = Instant::now();
    let _reaper = env.reaper();
    let mut fleet = Fleet::start(&mut env, 3, 2, &[]);
    let mut rng = Rng::new(0x5eed_c0de);
    let mut report = Report {
        scenario: format!("worker-crashes-{size:?}").to_lowercase(),
        tasks: archives + sleeps,
        ..Report::default()
    };
    let kill_budget = size.pick(Duration::from_secs(40), Duration::from_secs(180));
    while started.elapsed() < kill_budget && !crate::common::settled(&env, &runs) {
        std::thread::sleep(Duration::from_millis(1_500 + rng.below(1_500) as u64));
        let victim = rng.below(fleet.workers.len());
        fleet.kill_and_replace(&mut env, victim);
        report.faults += 1;
    }
    // Orphans (a kill between BLMOVE and the lease claim) come back after the 30 s grace.
    let settled = wait_settled(
        &env,
        &runs,
        size.pick(Duration::from_secs(90), Duration::from_secs(300)),
    );
    report.seconds = started.elapsed().as_secs_f64();
    if !settled {
        report.problems.push("did not settle in time".into());
    }
    tally(&env, &runs, &mut report);
    check_acks(&env, archives + sleeps, &mut report);
    check_retries(&env, &runs, &mut report);
    report.problems.extend(fleet.unexpected_exits());
    report.finish();
}

/// Retry counts agree with what the broker saw: every retry of a run came from a lease expiry
/// (a killed worker) or a retry the worker scheduled, so their sum is at most the broker's
/// `expired` + `retried` (which also count the sleep tasks).
fn check_retries(env: &Env, runs: &Expected, report: &mut Report) {
    let rows = env.db().runs();
    let recorded: i64 = runs
        .keys()
        .filter_map(|id| rows.get(id))
        .map(|row| i64::from(row.retry_count))
        .sum();
    let redelivered = env.counter("expired") + env.counter("retried");
    println!(
        "worker-crashes: runs record {recorded} retries; the broker redelivered {redelivered}"
    );
    if recorded > redelivered {
        report.problems.push(format!(
            "runs record {recorded} retries but the broker redelivered only {redelivered}"
        ));
    }
}

#[test]
fn worker_crashes_small_every_run_complete_exactly_once() {
    run(Size::Small);
}

#[test]
#[ignore = "full size: cargo test --test chaos -- --ignored"]
fn worker_crashes_full_every_run_complete_exactly_once() {
    run(Size::Full);
}
