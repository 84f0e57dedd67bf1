//! The stream under load: 100 clients share one producer (Redis sees the same load as with one)
//! and the server's memory stays bounded while half of them never read; a slow client skips
//! ahead or is dropped; shutdown closes every stream at once.

use std::process::Command;
use std::time::Duration;

use crate::harness::{Live, Read, Ws, next_where, read, rss_kib};
use crate::support::{Env, redis_server};

const MINUTE: Duration = Duration::from_secs(60);

/// Commands a Redis server has processed so far.
fn commands_processed(port: u16) -> u64 {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "INFO", "stats"])
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("total_commands_processed:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("total_commands_processed")
}

/// Publishes `count` fake run messages of about `bytes` bytes each in one script call.
fn flood(port: u16, channel: &str, count: usize, bytes: usize) {
    let message = format!(
        r#"{{"type":"run","id":1,"status":"parsing","retry_count":0,"error_message":"{}"}}"#,
        "x".repeat(bytes)
    );
    let script = "for i = 1, tonumber(ARGV[2]) do redis.call('PUBLISH', KEYS[1], ARGV[1]) end";
    let status = Command::new("redis-cli")
        .args([
            "-p",
            &port.to_string(),
            "EVAL",
            script,
            "1",
            channel,
            &message,
            &count.to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("redis-cli");
    assert!(status.success());
}

/// Redis commands the API makes in `window` with `clients` connected (after they are all in).
async fn load_with(live: &Live, port: u16, clients: usize, window: Duration) -> (u64, Vec<Ws>) {
    let mut all = Vec::new();
    for _ in 0..clients {
        let mut ws = live.connect().await;
        next_where(&mut ws, "metrics", MINUTE, |_| true).await;
        all.push(ws);
    }
    let before = commands_processed(port);
    tokio::time::sleep(window).await;
    (commands_processed(port) - before, all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_clients_share_one_producer_and_memory_stays_bounded() {
    // A private Redis, so that its command count is the API's alone.
    let dir = tempfile::tempdir().unwrap();
    let port = testenv::free_port();
    let _redis = redis_server(&port.to_string(), dir.path(), dir.path().join("redis.log"));
    testenv::wait::until_blocking(MINUTE, "the private redis-server", || {
        Command::new("redis-cli")
            .args(["-p", &port.to_string(), "PING"])
            .output()
            .ok()
            .filter(|o| String::from_utf8_lossy(&o.stdout).contains("PONG"))
    });
    let mut env = Env::new("stream-load");
    env.redis_url = format!("redis://127.0.0.1:{port}");
    let live = Live::start_in(env, &[]);
    let window = Duration::from_secs(5);

    let (one, first) = load_with(&live, port, 1, window).await;
    let (hundred, mut clients) = load_with(&live, port, 99, window).await;
    clients.extend(first);
    println!("Redis commands in {window:?}: {one} with 1 client, {hundred} with 100");
    assert!(
        hundred <= one * 2 + 10,
        "100 clients cost {hundred} Redis commands in {window:?}, 1 client {one}: not one shared producer"
    );

    // Half the clients stop reading; 20 MB of run messages go to everyone.
    let baseline = rss_kib(live.api.pid());
    let (mut readers, sleepers): (Vec<Ws>, Vec<Ws>) = {
        let mut r = Vec::new();
        let mut s = Vec::new();
        for (i, ws) in clients.into_iter().enumerate() {
            if i % 2 == 0 { r.push(ws) } else { s.push(ws) }
        }
        (r, s)
    };
    let channel = broker::keys::run_events(&live.env.prefix);
    // Every reader drains on its own task, all at once (one after another, the last ones would
    // sit unread for seconds and be dropped as slow clients, which is the server doing its job),
    // until the flood is over and a quiet half second has passed; then each must still get metrics.
    let flooded = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let drains: Vec<_> = readers
        .drain(..)
        .map(|mut ws| {
            let flooded = flooded.clone();
            tokio::spawn(async move {
                loop {
                    match read(&mut ws, Duration::from_millis(500)).await {
                        Read::Json(_) => {}
                        Read::TimedOut if flooded.load(std::sync::atomic::Ordering::SeqCst) => {
                            return ws;
                        }
                        Read::TimedOut => {}
                        Read::Closed(code) => panic!("a reading client was closed ({code:?})"),
                    }
                }
            })
        })
        .collect();
    tokio::task::spawn_blocking(move || {
        for _ in 0..10 {
            flood(port, &channel, 1000, 2000);
        }
    })
    .await
    .unwrap();
    flooded.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut readers = Vec::new();
    for drain in drains {
        readers.push(drain.await.unwrap());
    }
    let peak = live.api.peak_rss_kib().unwrap();
    let grown_mib = peak.saturating_sub(baseline) / 1024;
    println!(
        "API RSS: {baseline} KiB before the flood, peak {peak} KiB (+{grown_mib} MiB), 50 clients not reading"
    );
    // Buffering 20 MB for each of 100 clients would be 2 GB; the bound is the hub's capacity.
    assert!(
        grown_mib < 150,
        "the API grew by {grown_mib} MiB under the flood"
    );

    for ws in &mut readers {
        next_where(ws, "metrics", MINUTE, |_| true).await;
    }
    drop(sleepers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_skips_ahead_or_is_dropped_and_others_carry_on() {
    const FLOOD: usize = 3000;
    let live = Live::start("stream-slow", &[], &[]);
    let mut slow = live.connect().await;
    let mut fast = live.connect().await;
    next_where(&mut slow, "metrics", MINUTE, |_| true).await;
    next_where(&mut fast, "metrics", MINUTE, |_| true).await;
    let port: u16 = live
        .env
        .redis_url
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let channel = broker::keys::run_events(&live.env.prefix);
    // 30 MB while `slow` does not read: more than the socket buffers hold, and far more messages
    // than the hub keeps for one client (256).
    let fast_reader = tokio::spawn(async move {
        let (mut runs, mut lagged) = (0, 0);
        while runs + lagged < FLOOD {
            match read(&mut fast, MINUTE).await {
                Read::Json(m) if m["type"] == "run" => runs += 1,
                Read::Json(m) if m["type"] == "lagged" => {
                    lagged += usize::try_from(m["skipped"].as_u64().unwrap()).unwrap();
                }
                Read::Json(_) => {}
                other => panic!("the fast client: {other:?}"),
            }
        }
        (fast, runs)
    });
    flood(port, &channel, FLOOD, 10_000);
    let (mut fast, fast_read) = fast_reader.await.unwrap();
    println!("the fast client read {fast_read} of {FLOOD} run messages");

    let (mut read_by_slow, mut skipped, mut dropped) = (0, 0, false);
    while skipped == 0 && !dropped {
        match read(&mut slow, MINUTE).await {
            Read::Json(m) if m["type"] == "lagged" => skipped = m["skipped"].as_u64().unwrap(),
            Read::Json(m) if m["type"] == "run" => read_by_slow += 1,
            Read::Json(_) => {}
            Read::Closed(_) => dropped = true,
            Read::TimedOut => panic!("the slow client neither skipped ahead nor was dropped"),
        }
        assert!(
            read_by_slow < FLOOD,
            "the slow client was sent every message: no skipping ahead"
        );
    }
    println!(
        "slow client: read {read_by_slow}, then skipped {skipped} messages; dropped: {dropped}"
    );
    next_where(&mut fast, "metrics", MINUTE, |_| true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_every_stream_and_the_api_exits() {
    let mut live = Live::start("stream-stop", &[], &[]);
    let mut clients = Vec::new();
    for _ in 0..5 {
        let mut ws = live.connect().await;
        next_where(&mut ws, "metrics", MINUTE, |_| true).await;
        clients.push(ws);
    }
    live.api.signal("TERM");
    for ws in &mut clients {
        loop {
            match read(ws, MINUTE).await {
                Read::Closed(code) => {
                    assert_eq!(code, Some(1001), "going away");
                    break;
                }
                Read::Json(_) => {}
                Read::TimedOut => panic!("the stream was not closed on shutdown"),
            }
        }
    }
    let exit = live
        .api
        .wait_exit(Duration::from_secs(30))
        .expect("the API exits");
    assert!(exit.success(), "{exit:?}");
}
