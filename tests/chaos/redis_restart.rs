//! Suite 3, Redis restarts: a private `redis-server` (AOF, `appendfsync everysec`) is restarted
//! mid-run, once gracefully and once with SIGKILL. Workers and the reaper must reconnect by
//! themselves, and every task enqueued before the crash (more than a second before: the AOF
//! window) must complete exactly once in the database.

use std::time::{Duration, Instant};

use crate::common::{
    Expected, Fleet, Report, Size, envelope, exclusive, push, submit_archives, tally, wait_settled,
};
use crate::support::Env;

/// Seconds until the broker's `processed` counter moves again after a restart.
fn time_to_progress(env: &Env, limit: Duration) -> Option<f64> {
    let restarted = Instant::now();
    let baseline = env.counter("processed");
    while restarted.elapsed() < limit {
        if env.counter("processed") > baseline {
            return Some(restarted.elapsed().as_secs_f64());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn run(size: Size) {
    let _turn = exclusive();
    let mut env = Env::new("chaos-redis");
    // AOF with `appendfsync everysec`, as a production Redis would run.
    let mut redis = testenv::redis::Server::start_in(&env.dir.path().join("redis"), "everysec");
    env.redis_url = redis.url();
    env.set("CONFQ_MAX_RETRIES", "50");
    env.migrate();
    let (archives, sleeps, cycles) = size.pick((60, 150, 1), (600, 1_500, 5));
    let runs: Expected = submit_archives(&env, archives, 20_000, 2, 10);
    push(
        &env,
        &(0..sleeps)
            .map(|i| {
                envelope(
                    "confq.sleep",
                    &format!(r#"{{"ms":{}}}"#, 100 + (i % 4) * 100),
                )
            })
            .collect::<Vec<_>>(),
    );
    // Everything acknowledged to the producers is now older than the AOF's one-second window.
    std::thread::sleep(Duration::from_millis(1_500));

    let started = Instant::now();
    let mut reaper = env.reaper();
    let mut fleet = Fleet::start(&mut env, 3, 2, &[]);
    let mut report = Report {
        scenario: format!("redis-restart-{size:?}").to_lowercase(),
        tasks: archives + sleeps,
        ..Report::default()
    };
    let mut reconnects = Vec::new();
    for cycle in 0..cycles {
        for graceful in [true, false] {
            std::thread::sleep(Duration::from_secs(2));
            if graceful {
                redis.stop();
            } else {
                redis.kill();
            }
            std::thread::sleep(Duration::from_secs(1));
            redis.restart();
            report.faults += 1;
            match time_to_progress(&env, Duration::from_secs(20)) {
                Some(seconds) => reconnects.push(seconds),
                None if crate::common::settled(&env, &runs) => {}
                None => report.problems.push(format!(
                    "cycle {cycle}: no progress within 20 s of the restart"
                )),
            }
        }
    }
    let settled = wait_settled(&env, &runs, Duration::from_secs(size.pick(90, 300)));
    report.seconds = started.elapsed().as_secs_f64();
    if !settled {
        report.problems.push("did not settle in time".into());
    }
    tally(&env, &runs, &mut report);
    let processed = usize::try_from(env.counter("processed")).unwrap_or(0);
    if processed < archives + sleeps {
        report.lost += archives + sleeps - processed;
        report.problems.push(format!(
            "{processed} acknowledgements for {} tasks",
            archives + sleeps
        ));
    }
    if env.queue()["dead"] != 0 {
        report
            .problems
            .push(format!("dead letters: {:?}", env.dead()));
    }
    let slowest = reconnects.iter().copied().fold(0.0_f64, f64::max);
    println!(
        "redis-restart: work resumed {reconnects:.1?} s after each restart (slowest {slowest:.1} s)"
    );
    // The issue's bound: workers reconnect by themselves within 5 s of Redis being back
    // (measured: 0.1 s; the outage backoff is capped at 5 s).
    if slowest > 5.0 {
        report
            .problems
            .push(format!("a reconnection took {slowest:.1} s"));
    }
    if reaper.exited().is_some() {
        report
            .problems
            .push(format!("the reaper exited: {}", reaper.log_text()));
    }
    report.problems.extend(fleet.unexpected_exits());
    report.finish();
}

#[test]
fn redis_restart_small_workers_reconnect_and_nothing_enqueued_is_lost() {
    run(Size::Small);
}

#[test]
#[ignore = "full size: cargo test --test chaos -- --ignored"]
fn redis_restart_full_workers_reconnect_and_nothing_enqueued_is_lost() {
    run(Size::Full);
}
