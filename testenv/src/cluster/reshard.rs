//! Moving a slot of the local cluster to another master while clients use it, the way
//! `redis-cli --cluster reshard` does: `SETSLOT IMPORTING`/`MIGRATING`, `MIGRATE` the keys a few
//! at a time (clients meanwhile get `ASK` redirections, and `TRYAGAIN` for scripts whose keys are
//! split between the two nodes), then `SETSLOT NODE` everywhere (clients then get `MOVED`).

use std::time::Duration;

use super::{Cluster, cli_output};
use crate::{deps, need};

impl Cluster {
    /// Moves the slot of `key` from the master that serves it to another master, migrating at
    /// most `batch` keys at a time with `pause` between batches, and returns `(from, to)` ports.
    ///
    /// # Panics
    /// When no master serves the slot, there is no other master, or a step is refused.
    pub fn move_slot_of(&self, key: &str, batch: usize, pause: Duration) -> (u16, u16) {
        let cli = need(deps::redis_cli());
        let slot = self.slot_of(key).to_string();
        let from = self.master_of(key).expect("a master serves the key's slot");
        let to = self
            .master_ports()
            .into_iter()
            .find(|p| *p != from)
            .expect("another master to move the slot to");
        let id = |port: u16| {
            cli_output(&cli, port, &["CLUSTER", "MYID"])
                .trim()
                .to_owned()
        };
        let (from_id, to_id) = (id(from), id(to));
        let step = |port: u16, args: &[&str]| {
            let out = cli_output(&cli, port, args);
            assert!(
                out.trim() == "OK",
                "{args:?} on {port} answered {out:?} while moving slot {slot}"
            );
        };
        step(to, &["CLUSTER", "SETSLOT", &slot, "IMPORTING", &from_id]);
        step(from, &["CLUSTER", "SETSLOT", &slot, "MIGRATING", &to_id]);
        loop {
            let count = batch.to_string();
            let keys = cli_output(&cli, from, &["CLUSTER", "GETKEYSINSLOT", &slot, &count]);
            let keys: Vec<&str> = keys.lines().filter(|k| !k.is_empty()).collect();
            if keys.is_empty() {
                break;
            }
            let port = to.to_string();
            let mut args = vec!["MIGRATE", "127.0.0.1", &port, "", "0", "5000", "KEYS"];
            args.extend(keys);
            let out = cli_output(&cli, from, &args);
            assert!(
                matches!(out.trim(), "OK" | "NOKEY"),
                "MIGRATE of slot {slot} from {from} to {to} answered {out:?}"
            );
            std::thread::sleep(pause);
        }
        // The new owner first, then the old one, then every other master (as redis-cli does).
        step(to, &["CLUSTER", "SETSLOT", &slot, "NODE", &to_id]);
        step(from, &["CLUSTER", "SETSLOT", &slot, "NODE", &to_id]);
        for port in self.master_ports() {
            if port != from && port != to {
                step(port, &["CLUSTER", "SETSLOT", &slot, "NODE", &to_id]);
            }
        }
        (from, to)
    }

    /// The ports of the live masters.
    fn master_ports(&self) -> Vec<u16> {
        let cli = need(deps::redis_cli());
        self.alive_ports()
            .into_iter()
            .filter(|p| cli_output(&cli, *p, &["ROLE"]).starts_with("master"))
            .collect()
    }
}
