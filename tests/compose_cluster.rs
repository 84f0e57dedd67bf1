//! compose.cluster.yaml cannot run here (no Docker engine), so its structure is checked: the
//! checks every compose file passes (tests/support/compose.rs), six cluster-mode Redis nodes that
//! persist, never evict and announce their service names, a one-shot that joins them as 3 masters
//! with one replica each (idempotently), and confq services pointed at the cluster only once it
//! serves every slot. The nodes' redis-server flags are then run for real on a local node.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Command, Stdio};

use serde_yaml_ng::Value;
use support::compose::{self, services};

const COMPOSE: &str = include_str!("../compose.cluster.yaml");

fn compose() -> Value {
    compose::parse(COMPOSE)
}

every_compose_file_test!(compose);

/// The names of the Redis node services (`redis-1` … `redis-6`).
fn nodes(compose: &Value) -> Vec<String> {
    services(compose)
        .keys()
        .filter_map(Value::as_str)
        .filter(|name| {
            name.strip_prefix("redis-")
                .is_some_and(|n| n.parse::<u8>().is_ok())
        })
        .map(str::to_owned)
        .collect()
}

/// The `sh -c` script of a service.
fn script(service: &Value) -> String {
    let command: Vec<&str> = service["command"]
        .as_sequence()
        .expect("a command list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(command[..2], ["sh", "-c"], "{command:?}");
    command[2].to_owned()
}

#[test]
fn six_cluster_nodes_persist_never_evict_and_announce_their_names() {
    let compose = compose();
    let nodes = nodes(&compose);
    assert_eq!(nodes.len(), 6, "{nodes:?}");
    let mut volumes = Vec::new();
    for name in &nodes {
        let node = &services(&compose)[name.as_str()];
        let script = script(node);
        for flag in [
            "exec redis-server",
            "--cluster-enabled yes",
            "--appendonly yes",
            "--appendfsync everysec",
            "--maxmemory-policy noeviction",
            "--cluster-announce-hostname \"$$(hostname)\"",
            "--cluster-preferred-endpoint-type hostname",
        ] {
            assert!(script.contains(flag), "{name}: {flag} in {script}");
        }
        assert_eq!(node["hostname"].as_str(), Some(name.as_str()));
        assert!(node["image"].as_str().unwrap().starts_with("redis:7"));
        let volume = node["volumes"][0].as_str().unwrap();
        assert!(volume.ends_with(":/data"), "{name}: {volume}");
        volumes.push(volume.to_owned());
    }
    volumes.sort_unstable();
    volumes.dedup();
    assert_eq!(
        volumes.len(),
        6,
        "each node keeps its own data: {volumes:?}"
    );
}

#[test]
fn a_one_shot_joins_the_nodes_as_three_masters_with_a_replica_each_once() {
    let compose = compose();
    let init = &services(&compose)["redis-cluster"];
    assert_eq!(init["restart"].as_str(), Some("no"));
    let script = script(init);
    let listed: Vec<String> = nodes(&compose)
        .iter()
        .map(|n| format!("{n}:6379"))
        .collect();
    assert!(
        script.contains(&format!("--cluster create {}", listed.join(" "))),
        "{script}"
    );
    assert!(
        script.contains("--cluster-replicas 1 --cluster-yes"),
        "{script}"
    );
    // Idempotent: a cluster that already serves every slot is left alone (a restart of the stack).
    let guard = script.find("grep -q cluster_state:ok ||");
    assert!(
        guard.is_some_and(|at| at < script.find("--cluster create").unwrap()),
        "{script}"
    );
    assert!(
        script.contains("until redis-cli"),
        "waits for cluster_state:ok: {script}"
    );
    for node in nodes(&compose) {
        assert_eq!(
            init["depends_on"][node.as_str()]["condition"].as_str(),
            Some("service_healthy"),
            "{node}"
        );
    }
}

#[test]
fn confq_is_pointed_at_the_cluster_once_it_serves_every_slot() {
    let compose = compose();
    let nodes = nodes(&compose);
    for name in ["migrate", "api", "worker", "reaper"] {
        let service = &services(&compose)[name];
        let url = service["environment"]["CONFQ_REDIS_URL"].as_str().unwrap();
        let seeds: Vec<&str> = url.split(',').collect();
        assert!(
            seeds.len() >= 3,
            "{name}: a few seeds, comma-separated: {url}"
        );
        for seed in seeds {
            let host = seed
                .strip_prefix("redis://")
                .and_then(|rest| rest.split(':').next())
                .unwrap_or_else(|| panic!("{name}: {seed}"));
            assert!(nodes.iter().any(|n| n == host), "{name}: {seed} is no node");
        }
    }
    let migrate = &services(&compose)["migrate"];
    assert_eq!(
        migrate["depends_on"]["redis-cluster"]["condition"].as_str(),
        Some("service_completed_successfully")
    );
    for name in ["api", "worker", "reaper"] {
        let after = &services(&compose)[name]["depends_on"]["migrate"]["condition"];
        assert_eq!(
            after.as_str(),
            Some("service_completed_successfully"),
            "{name}"
        );
    }
}

/// The nodes' `redis-server` flags are accepted by the `redis-server` on PATH (a misspelt one
/// makes it exit): a node started with them (on a local port, announcing `127.0.0.1`) runs in
/// cluster mode, appends to its AOF, never evicts and announces the name it is given.
#[test]
fn a_redis_server_accepts_the_node_flags() {
    let server = testenv::need(testenv::deps::redis_server());
    let cli = testenv::need(testenv::deps::redis_cli());
    let compose = compose();
    let node_script = script(&services(&compose)["redis-1"]);
    let flags = node_script
        .strip_prefix("exec redis-server")
        .unwrap()
        .replace("\"$$(hostname)\"", "127.0.0.1");
    let dir = tempfile::tempdir().unwrap();
    // The cluster bus listens on port + 10000.
    let port = std::iter::repeat_with(support::free_port)
        .find(|p| *p <= 55_000)
        .unwrap();
    let _node = KillOnDrop(
        Command::new(&server)
            .args(flags.split_whitespace())
            .args(["--port", &port.to_string(), "--dir"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    support::wait_for(
        std::time::Duration::from_secs(10),
        "the node to start",
        || (cli_output(&cli, port, &["PING"]).trim() == "PONG").then_some(()),
    );
    assert!(cli_output(&cli, port, &["INFO", "cluster"]).contains("cluster_enabled:1"));
    for (setting, value) in [
        ("cluster-announce-hostname", "127.0.0.1"),
        ("cluster-preferred-endpoint-type", "hostname"),
        ("appendonly", "yes"),
        ("maxmemory-policy", "noeviction"),
    ] {
        let got = cli_output(&cli, port, &["CONFIG", "GET", setting]);
        assert_eq!(got.lines().nth(1), Some(value), "{setting}: {got}");
    }
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cli_output(cli: &std::path::Path, port: u16, args: &[&str]) -> String {
    let output = Command::new(cli)
        .args(["-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}
