//! The README's five-minute tour on a machine with no Redis where `CONFQ_REDIS_URL` points: `confq
//! dev` starts a private `redis-server`, and every later command of the tour (`enqueue`, `dead
//! list`, `dead requeue`, `status`, `metrics`) finds it through the data dir, saying so in one line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use support::{Env, free_port, wait_for};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/splunk-apps.zip");

fn run(env: &Env, args: &[&str]) -> Output {
    // One-shot commands at their own default level: only what a user would see.
    env.command()
        .env_remove("RUST_LOG")
        .args(args)
        .output()
        .expect("run confq")
}

fn ok(env: &Env, args: &[&str]) -> (String, String) {
    let output = run(env, args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "confq {args:?} failed: {stderr}");
    (String::from_utf8_lossy(&output.stdout).into_owned(), stderr)
}

fn json(env: &Env, args: &[&str]) -> Value {
    let (stdout, _) = ok(env, args);
    serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("{args:?}: {error}: {stdout}"))
}

#[test]
fn readme_tour_works_with_no_redis_at_the_configured_url() {
    testenv::need(testenv::deps::redis_server());
    let mut env = Env::new("tour");
    // Nothing listens here: the tour's commands must find the private server of the data dir.
    env.redis_url = format!("redis://127.0.0.1:{}", free_port());
    env.migrate();
    let bind = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{bind}");
    let mut dev = env.spawn("dev", &["dev", "--bind", &bind]);
    wait_for(Duration::from_secs(60), "confq dev to be ready", || {
        let output = std::process::Command::new("curl")
            .args(["-sS", "--max-time", "5", &format!("{base}/readyz")])
            .output()
            .ok()?;
        String::from_utf8_lossy(&output.stdout)
            .contains(r#""status":"ready""#)
            .then_some(())
    });
    assert!(
        dev.log_text().contains("started a private redis-server"),
        "{}",
        dev.log_text()
    );

    let upload = std::process::Command::new("curl")
        .args([
            "-sS",
            "-F",
            &format!("file=@{EXAMPLE}"),
            &format!("{base}/v1/uploads"),
        ])
        .output()
        .unwrap();
    let upload: Value = serde_json::from_slice(&upload.stdout).unwrap();
    let run_id = upload["run_id"].as_i64().expect("run_id").to_string();

    let (_, stderr) = ok(&env, &["enqueue", "confq.sleep", r#"{"ms": 500}"#]);
    assert!(
        stderr.contains("using the private redis-server") && stderr.lines().count() == 1,
        "one line should say which Redis is used: {stderr}"
    );
    let (poison, _) = ok(&env, &["enqueue", "no.such.task", "{}"]);
    let poison = poison.trim().to_owned();
    wait_for(
        Duration::from_secs(30),
        "the unknown task to be dead-lettered",
        || {
            let dead = json(&env, &["dead", "list", "--json"]);
            dead["items"]
                .as_array()?
                .iter()
                .any(|item| item.to_string().contains(&poison))
                .then_some(())
        },
    );
    ok(&env, &["dead", "requeue", "--all"]);
    let status = wait_for(Duration::from_secs(60), "the upload to complete", || {
        let status = json(&env, &["status", &run_id, "--json"]);
        (status["status"] == "complete").then_some(status)
    });
    assert_eq!(status["metrics"]["files_parsed"], 15, "{status}");
    let metrics = json(&env, &["metrics", "--json"]);
    assert!(
        metrics["queues"]["ingest"]["workers"].as_i64() >= Some(1),
        "{metrics}"
    );
    // The worker's circuit breakers, closed in a healthy setup, in JSON and in the table.
    assert_eq!(
        metrics["workers"][0]["breakers"],
        serde_json::json!({"database": "closed", "storage": "closed"}),
        "{metrics}"
    );
    let table = String::from_utf8_lossy(&run(&env, &["metrics"]).stdout).into_owned();
    assert!(table.contains("database=closed storage=closed"), "{table}");

    dev.signal("TERM");
    assert!(
        dev.wait_exit(Duration::from_secs(60))
            .is_some_and(|status| status.success()),
        "confq dev did not stop cleanly: {}",
        dev.log_text()
    );
    assert!(
        !env.data_dir().join("redis").join("server.url").exists(),
        "the record of the private server outlived it"
    );
    // With the private server gone, the usual one-line error comes back.
    let output = run(&env, &["metrics"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Redis is not reachable"), "{stderr}");
}
