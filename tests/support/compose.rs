//! Reading confq's compose files in tests (compose.yaml, compose.cluster.yaml): YAML with merge
//! keys resolved, and the checks every one of them must pass (health checks, scalable workers,
//! documented variables, the API's token, the worker's metrics port).

use std::collections::BTreeSet;

use serde_yaml_ng::Value;

pub const CONTRACT_DOC: &str = include_str!("../../docs/contract.md");
pub const CONTRACT_VARIABLES: [&str; 14] = [
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
/// Variables confq adds to the contract's; each must have a row in docs/contract.md.
pub const EXTENDED_VARIABLES: [&str; 3] = [
    "CONFQ_STUCK_SECS",
    "CONFQ_WORKER_METRICS_BIND",
    "CONFQ_REDIS_WAIT_REPLICAS",
];

/// Declares a `#[test]` per check every compose file must pass, each running the check of the
/// same name on `$compose()` (the file under test, parsed).
#[macro_export]
macro_rules! every_compose_file_test {
    ($compose:ident) => {
        #[test]
        fn every_long_running_service_has_a_healthcheck() {
            $crate::support::compose::every_long_running_service_has_a_healthcheck(&$compose());
        }
        #[test]
        fn workers_can_scale() {
            $crate::support::compose::workers_can_scale(&$compose());
        }
        #[test]
        fn every_confq_variable_is_in_the_contract() {
            $crate::support::compose::every_confq_variable_is_in_the_contract(&$compose());
        }
        #[test]
        fn the_api_requires_a_token() {
            $crate::support::compose::the_api_requires_a_token(&$compose());
        }
        #[test]
        fn the_worker_metrics_port_is_exposed_not_published() {
            $crate::support::compose::the_worker_metrics_port_is_exposed_not_published(&$compose());
        }
    };
}

/// The compose file `text`, parsed, with its `<<` merge keys applied.
pub fn parse(text: &str) -> Value {
    let mut value: Value = serde_yaml_ng::from_str(text).expect("a compose file is valid YAML");
    value.apply_merge().expect("merge keys resolve");
    value
}

/// The `services` map.
pub fn services(compose: &Value) -> &serde_yaml_ng::Mapping {
    compose["services"].as_mapping().expect("a services map")
}

/// One-shot services (`restart: "no"`, like `migrate`) are waited for with
/// `service_completed_successfully`; every other service must say whether it is healthy.
pub fn every_long_running_service_has_a_healthcheck(compose: &Value) {
    for (name, service) in services(compose) {
        if service.get("restart").and_then(Value::as_str) == Some("no") {
            continue;
        }
        assert!(
            service.get("healthcheck").is_some(),
            "service {name:?} has no healthcheck"
        );
    }
}

pub fn workers_can_scale(compose: &Value) {
    let worker = &services(compose)["worker"];
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
        .expect("the worker's command is a list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(command.first(), Some(&"worker"));
}

pub fn every_confq_variable_is_in_the_contract(compose: &Value) {
    let mut seen = BTreeSet::new();
    for (_, service) in services(compose) {
        if let Some(environment) = service.get("environment").and_then(Value::as_mapping) {
            for key in environment
                .keys()
                .filter_map(Value::as_str)
                .filter(|key| key.starts_with("CONFQ_"))
            {
                assert!(
                    CONTRACT_VARIABLES.contains(&key)
                        || (EXTENDED_VARIABLES.contains(&key)
                            && CONTRACT_DOC.contains(&format!("| `{key}`"))),
                    "{key} is neither a contract variable nor documented in docs/contract.md"
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

/// The API is published on every interface: compose refuses to start without a token.
pub fn the_api_requires_a_token(compose: &Value) {
    let token = services(compose)["api"]["environment"]["CONFQ_API_TOKEN"]
        .as_str()
        .expect("the API's environment sets CONFQ_API_TOKEN");
    assert_eq!(token, "${CONFQ_API_TOKEN:?set CONFQ_API_TOKEN}");
}

/// The worker's /metrics and /healthz listen on a container port that is exposed to the compose
/// network (Prometheus scrapes it there) but not published (which would prevent --scale).
pub fn the_worker_metrics_port_is_exposed_not_published(compose: &Value) {
    let worker = &services(compose)["worker"];
    let bind = worker["environment"]["CONFQ_WORKER_METRICS_BIND"]
        .as_str()
        .expect("the worker serves its metrics");
    let port = bind.rsplit(':').next().expect("host:port");
    let exposed: Vec<&str> = worker["expose"]
        .as_sequence()
        .expect("an expose list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(exposed, [port]);
}
