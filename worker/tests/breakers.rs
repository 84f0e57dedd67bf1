//! Circuit breakers in a real worker against real Redis: a custom task that declares a
//! dependency of its own keeps its queue waiting while the dependency is down (no retry spent
//! past the threshold, nothing dead-lettered), shows the breaker in the worker's registry entry,
//! and resumes when the dependency answers, with a probe or with trial tasks when it has none.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;
use worker::breaker::{BreakerConfig, Dependency, ProbeFn};
use worker::{FailureClass, Registry, TaskContext, TaskFailure, TaskResult, TypedTask};

use common::Harness;

const CATALOGUE: Dependency = Dependency::new("catalogue");
const THRESHOLD: u32 = 3;

/// `test.lookup {}`: fails on the catalogue while `up` is false.
struct Lookup {
    up: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
}

#[derive(Deserialize)]
struct NoArgs {}

impl TypedTask for Lookup {
    type Args = NoArgs;
    const NAME: &'static str = "test.lookup";
    const DEPENDENCIES: &'static [Dependency] = &[CATALOGUE];

    fn run(&self, _ctx: TaskContext, _args: NoArgs) -> BoxFuture<'static, TaskResult> {
        let up = self.up.load(Ordering::SeqCst);
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            if up {
                Ok(())
            } else {
                Err(
                    TaskFailure::message(FailureClass::Transient, "catalogue refused")
                        .on(CATALOGUE),
                )
            }
        })
    }
}

async fn breaker_state(h: &Harness) -> Option<String> {
    let live = h.broker.workers().live().await.expect("live workers");
    live.first()
        .and_then(|w| w.breakers.get("catalogue").cloned())
}

async fn ride_out_an_outage(with_probe: bool) {
    let h = Harness::new().await;
    let up = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::new();
    registry.register(Lookup {
        up: up.clone(),
        calls: calls.clone(),
    });
    if with_probe {
        let up = up.clone();
        registry.register_probe(
            CATALOGUE,
            ProbeFn(move || {
                let up = up.load(Ordering::SeqCst);
                async move {
                    if up {
                        Ok(())
                    } else {
                        Err("refused".to_owned())
                    }
                }
            }),
        );
    }
    let mut config = h.worker_config();
    config.breaker = BreakerConfig {
        threshold: THRESHOLD,
        probe_initial: Duration::from_millis(50),
        probe_max: Duration::from_millis(200),
        ..BreakerConfig::default()
    };
    let reaper = h.start_reaper();
    for _ in 0..20 {
        h.enqueue("test.lookup", serde_json::json!({})).await;
    }
    let id = worker::registration::new_worker_id();
    let runner = worker::Runner::new(&h.broker, registry, config.clone(), id.clone())
        .await
        .expect("runner");
    let live = runner.live();
    let announced = tokio_util::sync::CancellationToken::new();
    let announcer = tokio::spawn(worker::registration::announce(
        h.broker.clone(),
        id,
        config.queues.clone(),
        config.concurrency,
        live,
        announced.clone(),
    ));
    let shutdown = worker::Shutdown::new();
    let handle = tokio::spawn(runner.run(shutdown.clone()));

    testenv::wait::until(Duration::from_secs(20), "the breaker to open", || async {
        match breaker_state(&h).await.as_deref() {
            Some("open") | Some("half_open") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    // While it is down, the tasks wait: a while later no retry was spent past the threshold
    // and most of the tasks are still pending, none dead.
    let before = calls.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stats = h.broker.stats(&h.queue).await.expect("stats");
    assert!(stats.retried < u64::from(THRESHOLD), "{stats:?}");
    assert_eq!(stats.dead, 0, "{stats:?}");
    assert!(stats.pending + stats.delayed >= 15, "{stats:?}");
    if with_probe {
        assert_eq!(
            calls.load(Ordering::SeqCst),
            before,
            "no task ran while open"
        );
    }

    up.store(true, Ordering::SeqCst);
    let stats = h
        .wait_stats(Duration::from_secs(20), |s| s.processed == 20)
        .await;
    assert_eq!(stats.dead, 0, "{stats:?}");
    assert!(stats.retried < u64::from(THRESHOLD), "{stats:?}");
    testenv::wait::until(
        Duration::from_secs(10),
        "the registry to show it closed",
        || async {
            match breaker_state(&h).await.as_deref() {
                Some("closed") => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    shutdown.graceful.cancel();
    handle.await.expect("runner task").expect("runner");
    announced.cancel();
    announcer.await.expect("announcer");
    reaper.cancel();
}

#[tokio::test]
async fn an_open_breaker_keeps_tasks_queued_and_its_probe_closes_it() {
    ride_out_an_outage(true).await;
}

#[tokio::test]
async fn without_a_probe_trial_tasks_close_the_breaker() {
    ride_out_an_outage(false).await;
}
