//! Failing a master of the local cluster on purpose: which master serves a key, `SIGKILL` it, wait
//! until its replica is promoted and the cluster serves every slot again, and start the killed
//! node again (it rejoins as a replica).

use std::process::Command;
use std::time::{Duration, Instant};

use super::{Cluster, FORM_TIMEOUT, cli_output};
use crate::{deps, need};

/// One line of `CLUSTER NODES`: a node's port, whether it is a master in good standing, and the
/// slots it serves.
struct NodeLine {
    port: u16,
    healthy_master: bool,
    slots: Vec<(u16, u16)>,
}

fn parse_nodes(text: &str) -> Vec<NodeLine> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let port = fields.get(1)?.split('@').next()?.rsplit(':').next()?;
            let flags = fields.get(2)?;
            let slots = fields
                .iter()
                .skip(8)
                .filter(|s| !s.starts_with('['))
                .filter_map(|s| {
                    let (lo, hi) = s.split_once('-').unwrap_or((s, s));
                    Some((lo.parse().ok()?, hi.parse().ok()?))
                })
                .collect();
            Some(NodeLine {
                port: port.parse().ok()?,
                healthy_master: flags.contains("master") && !flags.contains("fail"),
                slots,
            })
        })
        .collect()
}

impl Cluster {
    /// The slot of `key` (`CLUSTER KEYSLOT`).
    pub(super) fn slot_of(&self, key: &str) -> u16 {
        let cli = need(deps::redis_cli());
        let port = self.alive_ports()[0];
        cli_output(&cli, port, &["CLUSTER", "KEYSLOT", key])
            .trim()
            .parse()
            .expect("CLUSTER KEYSLOT answers a number")
    }

    /// The ports whose node still answers.
    pub(super) fn alive_ports(&self) -> Vec<u16> {
        let cli = need(deps::redis_cli());
        self.ports()
            .into_iter()
            .filter(|p| cli_output(&cli, *p, &["PING"]).trim() == "PONG")
            .collect()
    }

    /// The port of the master that serves `key`'s slot, as a live node sees it (`None` while no
    /// healthy master serves it).
    pub fn master_of(&self, key: &str) -> Option<u16> {
        let cli = need(deps::redis_cli());
        let slot = self.slot_of(key);
        let port = self.alive_ports()[0];
        parse_nodes(&cli_output(&cli, port, &["CLUSTER", "NODES"]))
            .into_iter()
            .find(|n| {
                n.healthy_master && n.slots.iter().any(|(lo, hi)| (*lo..=*hi).contains(&slot))
            })
            .map(|n| n.port)
    }

    /// `SIGKILL`s the master that serves `key`'s slot (no shutdown, no final replication) and
    /// returns its port.
    ///
    /// # Panics
    /// When no master serves the slot or the kill fails.
    pub fn kill_master_of(&self, key: &str) -> u16 {
        let cli = need(deps::redis_cli());
        self.wait_replicas_synced(&cli);
        let port = self.master_of(key).expect("a master serves the key's slot");
        let info = cli_output(&cli, port, &["INFO", "server"]);
        let pid = info
            .lines()
            .find_map(|l| l.strip_prefix("process_id:"))
            .expect("INFO server has process_id")
            .trim()
            .to_owned();
        let status = Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -KILL {pid} (the master on {port})");
        port
    }

    /// Starts the node on `port` again after [`Cluster::kill_master_of`], from its own
    /// `nodes.conf`: it rejoins the cluster, as a replica of the master promoted in its place.
    ///
    /// # Panics
    /// When `port` is not a node of this cluster or the node does not start.
    pub fn restart(&mut self, port: u16) {
        let index = self
            .nodes
            .iter()
            .position(|n| n.port == port)
            .expect("a node of this cluster");
        // The old watchdog keeps the directory (and the node's identity) until the cluster drops.
        let fresh = super::spawn_node(&need(deps::redis_server()), port);
        self.retired
            .push(std::mem::replace(&mut self.nodes[index], fresh));
        super::wait_for_node(&need(deps::redis_cli()), port);
    }

    /// Waits until every replica's link to its master is up: a replica that never finished its
    /// first sync refuses to take over from a failed master.
    pub(super) fn wait_replicas_synced(&self, cli: &std::path::PathBuf) {
        let started = Instant::now();
        loop {
            let infos: Vec<String> = self
                .alive_ports()
                .into_iter()
                .map(|p| cli_output(cli, p, &["INFO", "replication"]))
                .collect();
            let unsynced = infos
                .iter()
                .filter(|i| i.contains("role:slave") && !i.contains("master_link_status:up"))
                .count();
            if unsynced == 0 {
                return;
            }
            assert!(
                started.elapsed() < FORM_TIMEOUT,
                "{unsynced} replicas of the local cluster did not sync within {FORM_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until a master other than `killed` serves `key`'s slot and every live node reports
    /// `cluster_state:ok`; returns the new master's port.
    ///
    /// # Panics
    /// When that takes longer than a minute.
    pub fn wait_promoted(&self, key: &str, killed: u16) -> u16 {
        let cli = need(deps::redis_cli());
        let started = Instant::now();
        loop {
            if let Some(port) = self.master_of(key).filter(|p| *p != killed)
                && self
                    .alive_ports()
                    .into_iter()
                    .all(|p| cli_output(&cli, p, &["CLUSTER", "INFO"]).contains("cluster_state:ok"))
            {
                return port;
            }
            assert!(
                started.elapsed() < FORM_TIMEOUT,
                "no replica was promoted for {key:?} within {FORM_TIMEOUT:?} of killing the \
                 master on {killed}: {}",
                cli_output(&cli, self.alive_ports()[0], &["CLUSTER", "NODES"])
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
