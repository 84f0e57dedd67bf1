//! A local Redis Cluster for tests: 3 masters and 3 replicas of the `redis-server` on PATH, on
//! free ports, joined with `redis-cli --cluster create`, ready when every node reports
//! `cluster_state:ok` and every replica has synced with its master.
//!
//! Each node runs under a small `sh` watchdog that holds a pipe from this process: when the
//! [`Cluster`] is dropped, or the test process ends (a cluster kept in a `static` is never
//! dropped), the pipe closes and the watchdog stops its node and removes its directory. A
//! `redis-server` without cluster support, or a cluster that does not form, fails the test with a
//! message saying so: nothing passes by skipping.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::{deps, need};

mod failover;
mod reshard;

/// Masters of the local cluster.
pub const MASTERS: usize = 3;
/// Nodes of the local cluster (each master has one replica).
pub const NODES: usize = 2 * MASTERS;
/// How long the cluster may take to form before the test fails.
const FORM_TIMEOUT: Duration = Duration::from_secs(60);

/// One node: its watchdog shell and the pipe that keeps it alive.
struct Node {
    port: u16,
    watchdog: Child,
    lifeline: Option<ChildStdin>,
}

/// A running local Redis Cluster, stopped when dropped.
pub struct Cluster {
    nodes: Vec<Node>,
    /// Watchdogs of nodes that were killed and started again (see `restart`), closed on drop.
    retired: Vec<Node>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("ports", &self.ports())
            .finish()
    }
}

impl Cluster {
    /// Starts 6 nodes, joins them (3 masters, 1 replica each) and waits for `cluster_state:ok`.
    ///
    /// # Panics
    /// When `redis-server` or `redis-cli` is missing, the server has no cluster support, or the
    /// cluster does not form within a minute: the message says which.
    pub fn start() -> Self {
        let cli = need(deps::redis_cli());
        let cluster = Self::unformed(NODES);
        cluster.create(&cli, 1);
        cluster.wait_for_state_ok(&cli);
        cluster.wait_replicas_synced(&cli);
        cluster
    }

    /// Starts 3 masters without replicas and waits for `cluster_state:ok`: the cost of cluster
    /// mode alone, without replication (benches compare it with one standalone node).
    ///
    /// # Panics
    /// As [`Cluster::start`].
    pub fn start_without_replicas() -> Self {
        let cli = need(deps::redis_cli());
        let cluster = Self::unformed(MASTERS);
        cluster.create(&cli, 0);
        cluster.wait_for_state_ok(&cli);
        cluster
    }

    /// `n` cluster-mode nodes that were never joined: they serve no slot, so each reports
    /// `cluster_state:fail` (for tests of a broken cluster).
    ///
    /// # Panics
    /// When `redis-server` is missing or has no cluster support.
    pub fn unformed(n: usize) -> Self {
        let server = need(deps::redis_server());
        let cli = need(deps::redis_cli());
        let nodes = (0..n)
            .map(|_| spawn_node(&server, free_port_pair()))
            .collect();
        let cluster = Self {
            nodes,
            retired: Vec::new(),
        };
        for node in &cluster.nodes {
            wait_for_node(&cli, node.port);
        }
        cluster
    }

    /// The nodes' ports.
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|n| n.port).collect()
    }

    /// Every node's URL (`redis://127.0.0.1:P`).
    pub fn urls(&self) -> Vec<String> {
        self.ports()
            .into_iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect()
    }

    /// The comma-separated list of node URLs, as `CONFQ_REDIS_URL` takes it.
    pub fn url(&self) -> String {
        self.urls().join(",")
    }

    /// `redis-cli --cluster create` with `replicas_per_master`, nudged along: on a loaded machine a handshake can time out
    /// (node timeout 1 s) and redis-cli would then wait forever for the nodes to agree, so once
    /// the slots are assigned, every second each node is told again to `CLUSTER MEET` the first
    /// one (harmless once met).
    fn create(&self, cli: &PathBuf, replicas_per_master: usize) {
        let addresses: Vec<String> = self
            .ports()
            .into_iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let log = std::env::temp_dir().join(format!(
            "confq-cluster-create-{}-{}.log",
            std::process::id(),
            self.nodes[0].port
        ));
        let out = std::fs::File::create(&log).expect("redis-cli log file");
        let err = out.try_clone().expect("redis-cli log file");
        let mut create = Command::new(cli)
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args([
                "--cluster-replicas",
                &replicas_per_master.to_string(),
                "--cluster-yes",
            ])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("run redis-cli --cluster create");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = create.try_wait().expect("wait for redis-cli") {
                break Some(status);
            }
            if started.elapsed() > FORM_TIMEOUT {
                let _ = create.kill();
                let _ = create.wait();
                break None;
            }
            std::thread::sleep(Duration::from_secs(1));
            // Only once redis-cli has checked that the nodes are empty and assigned the slots
            // (a node that already knows others would fail that check).
            let first = self.nodes[0].port;
            let info = cli_output(cli, first, &["CLUSTER", "INFO"]);
            if started.elapsed() < Duration::from_secs(3)
                || info.contains("cluster_slots_assigned:0")
            {
                continue;
            }
            for port in self.ports().into_iter().skip(1) {
                cli_output(
                    cli,
                    port,
                    &["CLUSTER", "MEET", "127.0.0.1", &first.to_string()],
                );
            }
        };
        let output = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        assert!(
            status.is_some_and(|s| s.success()),
            "the local Redis Cluster could not form: `redis-cli --cluster create` {} :\n{output}",
            status.map_or_else(
                || format!("did not finish within {FORM_TIMEOUT:?}"),
                |s| format!("failed ({s})")
            ),
        );
    }

    fn wait_for_state_ok(&self, cli: &PathBuf) {
        let started = Instant::now();
        loop {
            let states: Vec<String> = self
                .ports()
                .into_iter()
                .map(|p| cli_output(cli, p, &["CLUSTER", "INFO"]))
                .collect();
            if states.iter().all(|s| s.contains("cluster_state:ok")) {
                return;
            }
            assert!(
                started.elapsed() < FORM_TIMEOUT,
                "the local Redis Cluster did not reach cluster_state:ok within {FORM_TIMEOUT:?}: \
                 {states:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in self.nodes.iter_mut().chain(&mut self.retired) {
            // Closing the pipe makes the watchdog stop its node and remove its directory.
            drop(node.lifeline.take());
        }
        for node in self.nodes.iter_mut().chain(&mut self.retired) {
            let _ = node.watchdog.wait();
        }
    }
}

/// A port `p` free for the client and `p + 10000` free for the cluster bus, never handed out
/// twice by this process (a node binds its port a moment after it is chosen). Both lie below the
/// kernel's ephemeral range (32768 and up), so an outgoing connection of some client cannot take
/// either between the check and the node's bind.
fn free_port_pair() -> u16 {
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut given = GIVEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let seed = std::process::id() as usize;
    for i in 0..2_000usize {
        let port = 20_000
            + u16::try_from((seed.wrapping_mul(7_919) + i * 131) % 2_700)
                .expect("an offset under 2700");
        if !given.contains(&port)
            && TcpListener::bind(("127.0.0.1", port)).is_ok()
            && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok()
        {
            given.push(port);
            return port;
        }
    }
    panic!("no free port pair (P, P+10000) below 32768 for a cluster node");
}

/// `redis-server` in cluster mode under a watchdog shell that stops it when stdin closes.
fn spawn_node(server: &PathBuf, port: u16) -> Node {
    let dir = std::env::temp_dir().join(format!("confq-cluster-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("cluster node directory");
    let script = r#"dir="$1"; shift
"$@" >"$dir/server.log" 2>&1 &
server=$!
cat >/dev/null
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null
rm -rf "$dir""#;
    let mut watchdog = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .arg(&dir)
        .arg(server)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "1000"])
        .args(["--cluster-config-file", "nodes.conf"])
        .args(["--save", "", "--appendonly", "no", "--dir"])
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sh for a cluster node");
    let lifeline = watchdog.stdin.take();
    Node {
        port,
        watchdog,
        lifeline,
    }
}

/// Waits until the node answers, then checks that it runs in cluster mode.
fn wait_for_node(cli: &PathBuf, port: u16) {
    let started = Instant::now();
    while cli_output(cli, port, &["PING"]).trim() != "PONG" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the redis-server of cluster node {port} did not start (is `redis-server \
             --cluster-enabled yes` supported by the redis-server on PATH?)"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let info = cli_output(cli, port, &["INFO", "cluster"]);
    assert!(
        info.contains("cluster_enabled:1"),
        "the redis-server on PATH has no cluster support (INFO cluster on port {port}: {info:?}); \
         install a Redis built with cluster mode (apt-get install redis-server)"
    );
}

/// What `redis-cli -p port args…` prints (empty when it fails).
fn cli_output(cli: &PathBuf, port: u16, args: &[&str]) -> String {
    Command::new(cli)
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}
