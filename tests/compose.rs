//! compose.yaml and the Dockerfile cannot run here (no Docker engine), so their structure is
//! checked: every service has a health check, the workers can scale, Redis persists with AOF and
//! never evicts, and every `CONFQ_*` variable is one the contract defines.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use serde_yaml_ng::Value;

const COMPOSE: &str = include_str!("../compose.yaml");
const DOCKERFILE: &str = include_str!("../Dockerfile");
const CONTRACT_VARIABLES: [&str; 14] = [
    "CONFQ_REDIS_URL",
    "CONFQ_DATABASE_URL",
    "CONFQ_STORAGE_URL",
    "CONFQ_DATA_DIR",
    "CONFQ_BIND",
    "CONFQ_KEY_PREFIX",
    "CONFQ_MAX_RETRIES",
    "CONFQ_RETRY_BACKOFF",
    "CONFQ_LEASE_SECS",
    "CONFQ_HEARTBEAT_SECS",
    "CONFQ_REAPER_INTERVAL_SECS",
    "CONFQ_API_TOKEN",
    "CONFQ_MAX_UPLOAD_BYTES",
    "CONFQ_LOG_FORMAT",
];

fn compose() -> Value {
    let mut value: Value = serde_yaml_ng::from_str(COMPOSE).expect("compose.yaml is valid YAML");
    value.apply_merge().expect("merge keys resolve");
    value
}

fn services(compose: &Value) -> &serde_yaml_ng::Mapping {
    compose["services"].as_mapping().expect("a services map")
}

#[test]
fn every_service_has_a_healthcheck() {
    let compose = compose();
    for (name, service) in services(&compose) {
        assert!(
            service.get("healthcheck").is_some(),
            "service {name:?} has no healthcheck"
        );
    }
}

#[test]
fn the_stack_has_every_component() {
    let compose = compose();
    let names: BTreeSet<&str> = services(&compose)
        .keys()
        .filter_map(Value::as_str)
        .collect();
    for expected in ["redis", "postgres", "api", "worker", "reaper"] {
        assert!(names.contains(expected), "missing service {expected}");
    }
}

#[test]
fn workers_can_scale() {
    let compose = compose();
    let worker = &services(&compose)["worker"];
    assert!(
        worker.get("container_name").is_none(),
        "a fixed container name prevents --scale"
    );
    assert!(
        worker.get("ports").is_none(),
        "published ports prevent --scale"
    );
    let command: Vec<&str> = worker["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(command.first(), Some(&"worker"));
}

#[test]
fn redis_persists_with_aof_and_never_evicts() {
    let compose = compose();
    let command: Vec<&str> = services(&compose)["redis"]["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let joined = command.join(" ");
    assert!(joined.contains("--appendonly yes"), "{joined}");
    assert!(joined.contains("--appendfsync everysec"), "{joined}");
    assert!(joined.contains("--maxmemory-policy noeviction"), "{joined}");
    assert!(
        services(&compose)["redis"]["image"]
            .as_str()
            .unwrap()
            .starts_with("redis:7")
    );
    assert!(
        services(&compose)["postgres"]["image"]
            .as_str()
            .unwrap()
            .starts_with("postgres:16")
    );
}

#[test]
fn every_confq_variable_is_in_the_contract() {
    let compose = compose();
    let mut seen = BTreeSet::new();
    for (_, service) in services(&compose) {
        if let Some(environment) = service.get("environment").and_then(Value::as_mapping) {
            for key in environment
                .keys()
                .filter_map(Value::as_str)
                .filter(|key| key.starts_with("CONFQ_"))
            {
                assert!(
                    CONTRACT_VARIABLES.contains(&key),
                    "{key} is not a contract variable"
                );
                seen.insert(key);
            }
        }
    }
    for required in ["CONFQ_REDIS_URL", "CONFQ_DATABASE_URL", "CONFQ_STORAGE_URL"] {
        assert!(
            seen.contains(required),
            "{required} is not set for the services"
        );
    }
}

#[test]
fn dockerfile_is_multi_stage_and_runs_as_non_root() {
    let stages = DOCKERFILE
        .lines()
        .filter(|line| line.starts_with("FROM "))
        .count();
    assert!(stages >= 2, "a build stage and a runtime stage");
    let user = DOCKERFILE
        .lines()
        .rev()
        .find(|line| line.starts_with("USER "))
        .expect("a USER line");
    assert_ne!(user.trim(), "USER root");
    assert!(DOCKERFILE.contains("ENTRYPOINT [\"confq\"]"));
}

/// A named volume takes the owner of the image directory it is mounted on; a mount point the
/// image lacks is created by Docker as root, and the non-root confq could not write uploads.
#[test]
fn every_volume_mount_point_exists_in_the_image_owned_by_its_user() {
    let compose = compose();
    let user = DOCKERFILE
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("USER "))
        .expect("a USER line")
        .trim();
    for (name, service) in services(&compose) {
        let uses_image = service.get("build").is_some()
            || service
                .get("image")
                .and_then(Value::as_str)
                .is_some_and(|image| image.contains("confq"));
        if !uses_image {
            continue;
        }
        for volume in service
            .get("volumes")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let target = volume.split(':').nth(1).expect("source:target");
            let made = format!("install -d -o {user} -g {user} {target}");
            assert!(
                DOCKERFILE.contains(&made) || target == "/var/lib/confq",
                "{name:?}: {target} must be made in the image for {user} (`{made}`)"
            );
        }
    }
}
