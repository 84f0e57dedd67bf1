//! The local Redis Cluster harness: it forms (every node answers and reports `cluster_state:ok`,
//! three of them masters) and is gone after drop (ports closed, node directories removed).

use std::net::TcpStream;
use std::process::Command;

use testenv::cluster::{Cluster, MASTERS, NODES};
use testenv::wait::LONG;

fn cli(port: u16, args: &[&str]) -> String {
    let output = Command::new(testenv::need(testenv::deps::redis_cli()))
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_local_cluster_forms_with_three_masters_and_is_gone_after_drop() {
    let cluster = Cluster::start();
    let ports = cluster.ports();
    assert_eq!(ports.len(), NODES);
    assert_eq!(cluster.url().split(',').count(), NODES);
    for &port in &ports {
        assert!(cli(port, &["CLUSTER", "INFO"]).contains("cluster_state:ok"));
    }
    let nodes = cli(ports[0], &["CLUSTER", "NODES"]);
    let masters = nodes.lines().filter(|l| l.contains("master")).count();
    assert_eq!(masters, MASTERS, "{nodes}");
    drop(cluster);
    testenv::wait::until_blocking(LONG, "the cluster nodes to stop answering", || {
        !ports
            .iter()
            .any(|&p| TcpStream::connect(("127.0.0.1", p)).is_ok())
    });
    for port in ports {
        let dir = std::env::temp_dir().join(format!("confq-cluster-{}-{port}", std::process::id()));
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
}
