//! Suite 8, graceful rollout: mid-run, new workers start and every old one gets SIGTERM. In-flight
//! tasks must go back to pending at once (no lease expiry anywhere) and nothing be lost.

use std::time::{Duration, Instant};

use crate::common::{
    Fleet, Report, Size, check_acks, envelope, exclusive, push, submit_archives, tally,
    wait_settled,
};
use crate::support::{Env, Proc};

fn run(size: Size) {
    let _turn = exclusive();
    let mut env = Env::new("chaos-rollout");
    // A lease far longer than a rollout: any task that waited for an expiry shows in `expired`.
    env.set("CONFQ_LEASE_SECS", "30")
        .set("CONFQ_HEARTBEAT_SECS", "1");
    env.migrate();
    let (archives, sleeps, rollouts) = size.pick((100, 100, 3), (1_000, 600, 10));
    let runs = submit_archives(&env, archives, 9_000, 2, 10);
    push(
        &env,
        &(0..sleeps)
            .map(|i| {
                envelope(
                    "confq.sleep",
                    &format!(r#"{{"ms":{}}}"#, 300 + (i % 5) * 400),
                )
            })
            .collect::<Vec<_>>(),
    );

    let started = Instant::now();
    let _reaper = env.reaper();
    let grace = ["--shutdown-grace", "1"];
    let mut fleet = Fleet::start(&mut env, 3, 2, &grace);
    let mut report = Report {
        scenario: format!("rollout-{size:?}").to_lowercase(),
        tasks: archives + sleeps,
        ..Report::default()
    };
    let mut retired: Vec<Proc> = Vec::new();
    for _ in 0..rollouts {
        std::thread::sleep(Duration::from_secs(2));
        let old = std::mem::take(&mut fleet.workers);
        for _ in 0..3 {
            fleet.add(&mut env);
        }
        for worker in &old {
            worker.signal("TERM");
            report.faults += 1;
        }
        retired.extend(old);
    }
    for worker in &mut retired {
        match worker.wait_exit(Duration::from_secs(30)) {
            Some(status) if status.success() => {}
            other => report
                .problems
                .push(format!("{} did not stop cleanly: {other:?}", worker.name)),
        }
    }
    let settled = wait_settled(&env, &runs, Duration::from_secs(size.pick(90, 300)));
    report.seconds = started.elapsed().as_secs_f64();
    if !settled {
        report.problems.push("did not settle in time".into());
    }
    tally(&env, &runs, &mut report);
    check_acks(&env, archives + sleeps, &mut report);
    let expired = env.counter("expired");
    if expired > 0 {
        report.stuck += usize::try_from(expired).unwrap_or(0);
        report
            .problems
            .push(format!("{expired} tasks waited for a lease expiry"));
    }
    report.problems.extend(fleet.unexpected_exits());
    report.finish();
}

#[test]
fn rollout_small_sigterm_gives_tasks_back_without_lease_expiry() {
    run(Size::Small);
}

#[test]
#[ignore = "full size: cargo test --test chaos -- --ignored"]
fn rollout_full_sigterm_gives_tasks_back_without_lease_expiry() {
    run(Size::Full);
}
