//! Worker crashes on a Redis Cluster: `confq api`, `confq reaper` and two `confq worker` processes
//! on a local cluster (3 masters + 3 replicas, `testenv::cluster`); 200 archives uploaded through
//! the API while a worker is SIGKILLed and restarted every second. Every run must complete with
//! exactly its stanzas, every task be acknowledged once, and nothing stay queued or dead.

use std::time::{Duration, Instant};

use testenv::cluster::Cluster;

use crate::common::{
    Fleet, Report, Rng, Size, check_acks, exclusive, settled, tally, wait_settled,
};
use crate::support::Env;
use crate::uploads::{Api, archives, upload_all};

fn run(size: Size) {
    let _turn = exclusive();
    let cluster = Cluster::start();
    let mut env = Env::new("chaos-cluster-crash");
    env.redis_url = cluster.url();
    // Kills cost attempts; a task hit many times must still have retries left.
    env.set("CONFQ_MAX_RETRIES", "50");
    env.migrate();
    let uploads = size.pick(200, 1_000);
    let files = archives(&env, uploads, 7_000);

    let started = Instant::now();
    let mut api = Api::start(&mut env);
    let _reaper = env.reaper();
    let mut fleet = Fleet::start(&mut env, 2, 2, &[]);
    let uploader = std::thread::spawn({
        let base = api.base.clone();
        move || upload_all(&base, &files, Duration::from_millis(10))
    });
    let mut rng = Rng::new(0xc1_0057e2);
    let mut report = Report {
        scenario: format!("cluster-worker-crashes-{size:?}").to_lowercase(),
        tasks: uploads,
        ..Report::default()
    };
    let mut kill = |env: &mut Env, report: &mut Report| {
        std::thread::sleep(Duration::from_secs(1));
        let victim = rng.below(fleet.workers.len());
        fleet.kill_and_replace(env, victim);
        report.faults += 1;
    };
    while !uploader.is_finished() {
        kill(&mut env, &mut report);
    }
    let runs = uploader_result(&mut report, uploads, uploader);
    let kill_budget = size.pick(Duration::from_secs(60), Duration::from_secs(240));
    while started.elapsed() < kill_budget && !settled(&env, &runs) {
        kill(&mut env, &mut report);
    }
    // Orphans (a kill between BLMOVE and the lease claim) come back after the 30 s grace.
    if !wait_settled(
        &env,
        &runs,
        size.pick(Duration::from_secs(90), Duration::from_secs(300)),
    ) {
        report.problems.push("did not settle in time".into());
    }
    report.seconds = started.elapsed().as_secs_f64();
    tally(&env, &runs, &mut report);
    check_acks(&env, runs.len(), &mut report);
    report.problems.extend(fleet.unexpected_exits());
    report.problems.extend(api.exited());
    report.finish();
}

/// The uploader's acknowledged runs; a refused upload is a problem (Redis never failed here).
fn uploader_result(
    report: &mut Report,
    uploads: usize,
    uploader: std::thread::JoinHandle<(crate::common::Expected, usize)>,
) -> crate::common::Expected {
    let (runs, refused) = uploader.join().expect("the uploader thread");
    if refused > 0 || runs.len() != uploads {
        report.problems.push(format!(
            "the API acknowledged {} of {uploads} uploads ({refused} refused)",
            runs.len()
        ));
    }
    runs
}

#[test]
fn cluster_worker_crashes_small_every_run_complete_exactly_once() {
    run(Size::Small);
}

#[test]
#[ignore = "full size: scripts/chaos.sh --full cluster_worker_crashes"]
fn cluster_worker_crashes_full_every_run_complete_exactly_once() {
    run(Size::Full);
}
