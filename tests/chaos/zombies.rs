//! Suite 2, zombies: a worker frozen (SIGSTOP) mid-task past its lease while the reaper hands its
//! tasks to the others, then thawed (SIGCONT). Its late acks and writes must be refused (and
//! logged), and every run hold the data of exactly one attempt.

use std::time::{Duration, Instant};

use crate::common::{
    Fleet, Report, Rng, Size, check_acks, envelope, exclusive, push, settled, submit_archives,
    tally, wait_settled,
};
use crate::support::Env;

/// What a thawed worker logs when the world moved on without it.
const REFUSALS: [&str; 4] = [
    "lease lost",
    "late settlement refused",
    "no longer current",
    "abandoned after losing the lease",
];

fn run(size: Size) {
    let _turn = exclusive();
    let mut env = Env::new("chaos-zombie");
    env.set("CONFQ_MAX_RETRIES", "50");
    env.migrate();
    let (archives, sleeps, freezes) = size.pick((40, 60, 4), (150, 300, 15));
    // Archives of ~2 MB so that a freeze usually finds one mid-parse.
    let runs = submit_archives(&env, archives, 5_000, 4, 1_500);
    push(
        &env,
        &(0..sleeps)
            .map(|i| {
                envelope(
                    "confq.sleep",
                    &format!(r#"{{"ms":{}}}"#, 500 + (i % 4) * 500),
                )
            })
            .collect::<Vec<_>>(),
    );

    let started = Instant::now();
    let _reaper = env.reaper();
    let mut fleet = Fleet::start(&mut env, 3, 2, &[]);
    let mut rng = Rng::new(0x2011_b1e5);
    let mut report = Report {
        scenario: format!("zombies-{size:?}").to_lowercase(),
        tasks: archives + sleeps,
        ..Report::default()
    };
    let mut thawed = Vec::new();
    while report.faults < freezes && !settled(&env, &runs) {
        std::thread::sleep(Duration::from_millis(500 + rng.below(1_000) as u64));
        let index = rng.below(fleet.workers.len());
        let zombie = &fleet.workers[index];
        zombie.signal("STOP");
        // Past the 2 s lease and a reaper pass or two.
        std::thread::sleep(Duration::from_millis(3_500));
        zombie.signal("CONT");
        thawed.push(index);
        report.faults += 1;
    }
    let settled = wait_settled(&env, &runs, Duration::from_secs(size.pick(90, 300)));
    report.seconds = started.elapsed().as_secs_f64();
    if !settled {
        report.problems.push("did not settle in time".into());
    }
    tally(&env, &runs, &mut report);
    check_acks(&env, archives + sleeps, &mut report);
    // Only the workers that were frozen count: their late ack or write must have been refused.
    thawed.sort_unstable();
    thawed.dedup();
    let refused = thawed
        .iter()
        .filter(|&&index| {
            let log = fleet.workers[index].log_text();
            REFUSALS.iter().any(|needle| log.contains(needle))
        })
        .count();
    if report.faults > 0 && refused == 0 {
        report
            .problems
            .push("no thawed worker logged a refused late ack or write".into());
    }
    report.problems.extend(fleet.unexpected_exits());
    report.finish();
}

#[test]
fn zombies_small_late_acks_and_writes_are_refused() {
    run(Size::Small);
}

#[test]
#[ignore = "full size: cargo test --test chaos -- --ignored"]
fn zombies_full_late_acks_and_writes_are_refused() {
    run(Size::Full);
}
