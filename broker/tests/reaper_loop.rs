//! The one reaper loop, run as production runs it (`Reaper::run` with a sink): each tick records
//! the reaper's heartbeat, looks after every queue producers have used, and hands the expired
//! leases to the sink, offering again those the sink gave back.

mod common;

use std::sync::{Arc, Mutex};

use broker::{ExpiredTask, ExpirySink, Reaper};
use common::{Immediate, broker, cleanup, queue, task, worker};
use tokio_util::sync::CancellationToken;

/// Records every offer; gives the first one back, as a sink whose database is down would.
#[derive(Clone, Default)]
struct Recorder {
    offers: Arc<Mutex<Vec<Vec<ExpiredTask>>>>,
}

impl ExpirySink for Recorder {
    async fn record(&mut self, expired: Vec<ExpiredTask>) -> Vec<ExpiredTask> {
        if expired.is_empty() {
            return expired;
        }
        let mut offers = self.offers.lock().expect("offers");
        offers.push(expired.clone());
        if offers.len() == 1 {
            expired
        } else {
            Vec::new()
        }
    }
}

#[tokio::test]
async fn the_running_loop_records_its_heartbeat_and_offers_expiries_until_recorded() {
    let b = broker().await;
    b.producer().enqueue(&queue(), &task(1)).await.unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let held = c.fetch(1).await.unwrap().remove(0);
    assert_eq!(b.last_reaper_tick().await.unwrap(), None);

    // No queue given: the loop finds the one the producer used.
    let policy = Arc::new(Immediate { max_retries: 3 });
    let reaper = Reaper::new(b.clone(), Vec::new(), policy);
    let sink = Recorder::default();
    let stop = CancellationToken::new();
    let running = tokio::spawn(reaper.run(stop.clone(), sink.clone()));
    testenv::wait::until(testenv::wait::LONG, "two offers to the sink", || async {
        sink.offers.lock().expect("offers").len() >= 2
    })
    .await;
    stop.cancel();
    running.await.unwrap();

    let offers = sink.offers.lock().expect("offers").clone();
    let ids: Vec<_> = offers.iter().map(|o| o[0].envelope.id).collect();
    assert_eq!(
        ids,
        [held.envelope.id, held.envelope.id],
        "given back, offered again"
    );
    assert_eq!(offers[1].len(), 1);
    assert!(
        b.last_reaper_tick().await.unwrap().is_some(),
        "heartbeat recorded"
    );
    assert_eq!(b.stats(&queue()).await.unwrap().expired, 1);
    cleanup(&b).await;
}
