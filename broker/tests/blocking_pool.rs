//! The pool of blocking connections (deadpool-redis): a consumer holds one for its `BLMOVE`, a
//! dropped consumer gives it back for the next one, and a connection that failed is replaced.
//! Each test watches its own `redis-server`.

mod common;

use broker::RedisConnection;
use common::{PrivateRedis, broker_with, fast_config, queue, task, worker};

/// Connections the server `con` reaches ever accepted (`total_connections_received`).
async fn connections_made(con: &mut RedisConnection) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(con)
        .await
        .expect("INFO stats");
    info.lines()
        .find_map(|l| l.strip_prefix("total_connections_received:"))
        .map(|n| n.trim().parse().expect("a count"))
        .expect("INFO stats has total_connections_received")
}

#[tokio::test]
async fn a_dropped_consumer_gives_its_blocking_connection_to_the_next_one() {
    let server = PrivateRedis::start();
    let mut admin = common::raw_url(&server.url()).await;
    let b = broker_with(fast_config(&server.url())).await;
    let first = b.consumer(vec![queue()], worker()).await.unwrap();
    assert!(
        first.fetch(1).await.unwrap().is_empty(),
        "blocks, then none"
    );
    let made = connections_made(&mut admin).await;
    drop(first);
    for i in 0..3 {
        b.producer().enqueue(&queue(), &task(i)).await.unwrap();
        let next = b.consumer(vec![queue()], worker()).await.unwrap();
        let got = next.fetch(1).await.unwrap();
        next.ack(&got[0]).await.unwrap();
        assert!(next.fetch(1).await.unwrap().is_empty(), "blocks, then none");
    }
    assert_eq!(
        connections_made(&mut admin).await,
        made,
        "each consumer reused the pooled connection"
    );
}

#[tokio::test]
async fn a_blocking_connection_that_failed_is_replaced_by_a_fresh_one() {
    let server = PrivateRedis::start();
    let b = broker_with(fast_config(&server.url())).await;
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    assert!(c.fetch(1).await.unwrap().is_empty());
    // The server closes every client: the held connection's next call fails once.
    let mut admin = common::raw_url(&server.url()).await;
    let _: () = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .query_async(&mut admin)
        .await
        .unwrap();
    let mut failed = 0;
    loop {
        match c.fetch(1).await {
            Ok(got) if got.is_empty() => break,
            Ok(got) => panic!("nothing was enqueued: {got:?}"),
            Err(error) => {
                assert!(error.is_transient(), "{error:?}");
                failed += 1;
                assert!(failed < 5, "the consumer did not recover: {error:?}");
            }
        }
    }
    b.producer().enqueue(&queue(), &task(1)).await.unwrap();
    let got = c.fetch(1).await.unwrap();
    assert_eq!(got.len(), 1);
    c.ack(&got[0]).await.unwrap();
}
