//! The runtime's layering, checked on `cargo metadata`: `worker` (what a user's task needs) must
//! not depend on the ingestion's crates (`splunk`, `entity`, `migration`, `sea-orm`), neither
//! directly (in any dependency table) nor through another workspace crate. Ingestion plugs into
//! the runtime from the `ingest` crate, through the registry and hooks; `examples/custom-worker`, a
//! user's worker, needs none of them either.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

/// Crates the runtime must not know.
const FORBIDDEN: &[&str] = &[
    "splunk",
    "entity",
    "migration",
    "sea-orm",
    "sea-orm-migration",
];

/// The workspace's packages as `cargo metadata --no-deps` lists them, by name (offline: only
/// the manifests are read).
fn workspace_packages() -> HashMap<String, Value> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|package| {
            (
                package["name"].as_str().expect("name").to_owned(),
                package.clone(),
            )
        })
        .collect()
}

/// The names of `package`'s dependencies; only the normal ones (what a crate depending on it
/// pulls in) unless `every_kind`.
fn dependencies(package: &Value, every_kind: bool) -> Vec<String> {
    package["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .filter(|dependency| every_kind || dependency["kind"].is_null())
        .map(|dependency| dependency["name"].as_str().expect("name").to_owned())
        .collect()
}

fn forbidden<'a>(names: impl IntoIterator<Item = &'a String>) -> Vec<&'a String> {
    names
        .into_iter()
        .filter(|name| FORBIDDEN.contains(&name.as_str()))
        .collect()
}

#[test]
fn worker_declares_no_ingestion_crate_in_any_dependency_table() {
    let packages = workspace_packages();
    let declared = dependencies(&packages["worker"], true);
    assert!(declared.iter().any(|name| name == "broker"), "{declared:?}");
    let known = forbidden(&declared);
    assert!(known.is_empty(), "worker depends on {known:?}");
}

#[test]
fn the_example_of_a_users_worker_needs_no_ingestion_crate_either() {
    let packages = workspace_packages();
    let declared = dependencies(&packages["custom-worker"], true);
    assert!(declared.iter().any(|name| name == "worker"), "{declared:?}");
    let known = forbidden(&declared);
    assert!(
        known.is_empty(),
        "examples/custom-worker depends on {known:?}"
    );
}

#[test]
fn worker_reaches_no_ingestion_crate_through_the_workspace() {
    let packages = workspace_packages();
    let mut reached = BTreeSet::new();
    let mut todo = vec!["worker".to_owned()];
    while let Some(name) = todo.pop() {
        for dependency in dependencies(&packages[&name], false) {
            if reached.insert(dependency.clone()) && packages.contains_key(&dependency) {
                todo.push(dependency);
            }
        }
    }
    assert!(reached.contains("protocol"), "{reached:?}");
    let known = forbidden(&reached);
    assert!(
        known.is_empty(),
        "worker reaches {known:?} through {reached:?}"
    );
}

#[test]
fn ingest_is_where_the_runtime_meets_splunk_and_the_database() {
    let packages = workspace_packages();
    let declared = dependencies(&packages["ingest"], false);
    for wanted in ["worker", "splunk", "entity"] {
        assert!(declared.iter().any(|name| name == wanted), "{declared:?}");
    }
}
