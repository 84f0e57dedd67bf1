//! The chaos suites of issues 8 and 12, against real `confq` processes: worker crashes, zombies,
//! poison elements, graceful rollouts, Redis restarts, hostile archives, database and storage
//! outages, and worker crashes and a failover on a Redis Cluster.
//! Each scenario prints `scenario, tasks, faults injected, lost, duplicated, stuck, seconds`. The
//! small versions run in `cargo test`; `cargo test --test chaos -- --ignored` runs full size (see
//! docs/reliability.md and scripts/chaos.sh).

#![allow(missing_docs)]

#[path = "../support/mod.rs"]
mod support;

mod breakers;
mod cluster_crashes;
mod cluster_failover;
mod common;
mod crashes;
mod hostile;
mod outages;
mod poison;
mod recovery;
mod redis_restart;
mod rollout;
mod services;
mod uploads;
mod zombies;
