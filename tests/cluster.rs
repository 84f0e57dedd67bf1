//! The `confq` binary on a Redis Cluster: `CONFQ_REDIS_URL` set to the comma-separated node URLs
//! of a local cluster (`testenv::cluster`, 3 masters + 3 replicas), and bad node lists refused in
//! one line.

mod support;

use std::time::Duration;

use support::{Env, wait_for};
use testenv::cluster::Cluster;

#[test]
fn enqueue_metrics_and_a_worker_run_a_noop_task_on_a_redis_cluster() {
    let cluster = Cluster::start();
    let mut env = Env::new("cluster");
    env.redis_url = cluster.url();
    env.migrate();
    let id = env.enqueue("confq.noop", "{}");
    assert!(!id.is_empty(), "confq enqueue prints the task id");
    let queue = env.queue();
    assert_eq!(queue["pending"], 1, "{queue}");

    let mut worker = env.worker(1, &[]);
    wait_for(
        Duration::from_secs(60),
        "the worker to run the task",
        || (env.counter("processed") == 1).then_some(()),
    );
    let queue = env.queue();
    assert_eq!(
        (queue["pending"].as_u64(), queue["processing"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        queue["workers"], 1,
        "the worker registered on the cluster: {queue}"
    );
    worker.signal("TERM");
    assert!(
        worker
            .wait_exit(Duration::from_secs(30))
            .is_some_and(|s| s.success())
    );

    // CONFQ_REDIS_WAIT_REPLICAS: one replica per master acknowledges an enqueue; two cannot.
    let enqueue = |replicas: &str| {
        env.command()
            .env("CONFQ_REDIS_WAIT_REPLICAS", replicas)
            .args(["enqueue", "confq.noop", "{}"])
            .output()
            .expect("run confq enqueue")
    };
    let one = enqueue("1");
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert_eq!(env.queue()["pending"], 1);
    let two = enqueue("2");
    assert!(!two.status.success());
    let stderr = String::from_utf8_lossy(&two.stderr);
    assert!(stderr.contains("CONFQ_REDIS_WAIT_REPLICAS"), "{stderr}");
}

#[test]
fn metrics_show_each_queue_of_a_cluster_with_queues_on_three_masters() {
    let cluster = Cluster::start();
    let mut env = Env::new("cluster-queues");
    env.redis_url = cluster.url();
    env.migrate();
    let queues = ["ingest", "reports", "exports"];
    let masters: std::collections::BTreeSet<u16> = queues
        .iter()
        .map(|q| {
            let key =
                broker::keys::QueueKeys::new(&env.prefix, &broker::QueueName::parse(q).unwrap());
            cluster.master_of(&key.pending).expect("a master")
        })
        .collect();
    assert_eq!(masters.len(), 3, "three queues, three masters: {masters:?}");
    for (i, queue) in queues.iter().enumerate() {
        for _ in 0..=i {
            let output = env
                .command()
                .args(["enqueue", "confq.noop", "{}", "--queue", queue])
                .output()
                .expect("confq enqueue");
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    let document = env.json(&["metrics", "--json"]);
    for (i, queue) in queues.iter().enumerate() {
        assert_eq!(
            document["queues"][queue]["pending"],
            i + 1,
            "{queue}: {document}"
        );
    }
    let table = env
        .command()
        .arg("metrics")
        .output()
        .expect("confq metrics");
    let text = String::from_utf8_lossy(&table.stdout);
    for (i, queue) in queues.iter().enumerate() {
        let row = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(*queue))
            .unwrap_or_else(|| panic!("no row for {queue}: {text}"));
        assert_eq!(
            row.split_whitespace().nth(1),
            Some((i + 1).to_string().as_str()),
            "{row}"
        );
    }
}

#[test]
fn a_node_list_nobody_answers_fails_in_one_line_without_a_private_redis() {
    let mut env = Env::new("cluster-down");
    env.redis_url = "redis://u:hunter2@127.0.0.1:1,redis://u:hunter2@127.0.0.1:2".into();
    let output = env
        .command()
        .args(["metrics", "--json"])
        .output()
        .expect("run confq");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].contains("127.0.0.1:2"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(!stderr.contains("private redis-server"), "{stderr}");
    assert!(stderr.contains("cluster's nodes run"), "{stderr}");
}
