//! The dashboard in a real headless Chromium (Debian's `chromium` + `chromium-driver`) over
//! WebDriver: it shows queue depths, follows 50 new tasks without a reload, retries a failed run
//! and requeues a dead letter from the page, and saves the overview as docs/images/dashboard.png.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "stream/harness.rs"]
mod harness;
mod support;

use std::process::Command;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use testenv::{Missing, need};

use harness::Live;
use support::{Proc, curl};

const MINUTE: Duration = Duration::from_secs(60);
const SCREENSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/images/dashboard.png");

/// A headless Chromium driven through its chromedriver; both end on drop.
struct Browser {
    client: Client,
    _driver: Proc,
}

async fn browser(dir: &std::path::Path) -> Browser {
    let how = "apt-get install -y chromium chromium-driver (.ci/run does)";
    let driver = need(Missing::tool("chromedriver", how));
    let chromium = need(Missing::tool("chromium", how));
    let port = testenv::free_port();
    let mut command = Command::new(driver);
    command.arg(format!("--port={port}"));
    let driver = Proc::spawn(command, "chromedriver", dir.join("chromedriver.log"));
    let url = format!("http://127.0.0.1:{port}");
    support::wait_for(MINUTE, "chromedriver to answer", || {
        curl(&[&format!("{url}/status")]).filter(|s| s.contains("ready"))
    });
    let caps = json!({"goog:chromeOptions": {
        "binary": chromium,
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1000", "--hide-scrollbars"]
    }});
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    // The WebDriver is plain HTTP on loopback, but fantoccini's client is built with rustls.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&url)
        .await
        .expect("a Chromium session");
    Browser {
        client,
        _driver: driver,
    }
}

/// Polls a JavaScript expression in the page until it is truthy; its value.
async fn until(client: &Client, what: &str, expression: &str) -> Value {
    let deadline = tokio::time::Instant::now() + MINUTE;
    let script = format!("try {{ return ({expression}); }} catch (e) {{ return null; }}");
    loop {
        let value = client.execute(&script, vec![]).await.expect("execute");
        let truthy = match &value {
            Value::Null | Value::Bool(false) => false,
            Value::String(s) => !s.is_empty(),
            _ => true,
        };
        if truthy {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the page never showed {what} (last: {value})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn cell(field: &str) -> String {
    format!(
        r#"document.querySelector('td[data-queue="ingest"][data-field="{field}"]')?.textContent"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromium-driver (apt-get install -y chromium chromium-driver)"]
async fn the_dashboard_follows_the_queue_and_acts_on_runs_and_dead_letters() {
    let mut live = Live::start("dashboard", &[], &[]);
    let browser = browser(live.env.dir.path()).await;
    let page = &browser.client;
    page.goto(&format!("{}/ui/", live.base())).await.unwrap();
    until(
        page,
        "the live badge",
        r#"document.getElementById("conn").dataset.state === "live""#,
    )
    .await;
    until(
        page,
        "an empty ingest queue",
        &format!(r#"{} === "0""#, cell("pending")),
    )
    .await;

    // 50 tasks, no worker yet: the depth changes in place, without a reload.
    page.execute("window.notReloaded = true; return 1;", vec![])
        .await
        .unwrap();
    for _ in 0..50 {
        live.env.enqueue("confq.noop", "{}");
    }
    until(
        page,
        "50 pending tasks",
        &format!(r#"{} === "50""#, cell("pending")),
    )
    .await;
    assert_eq!(
        page.execute("return window.notReloaded === true;", vec![])
            .await
            .unwrap(),
        true
    );

    // A worker drains them; the rates and the sparkline show it.
    let _worker = live.env.worker(2, &[]);
    until(
        page,
        "the queue drained",
        &format!(r#"{} === "0""#, cell("pending")),
    )
    .await;
    until(
        page,
        "a processing rate",
        &format!(r#"parseFloat({}) > 0"#, cell("processed_per_sec")),
    )
    .await;
    until(
        page,
        "the worker count",
        &format!(r#"{} === "1""#, cell("workers")),
    )
    .await;

    // A run that fails (not an archive): counted on the overview, retried from its page.
    let broken = live.env.file("broken.tgz", b"this is not a gzip file");
    let run = live.env.ingest(&[broken])[0];
    until(
        page,
        "one failed run",
        r#"document.querySelector('[data-status-count="failed"] b')?.textContent === "1""#,
    )
    .await;
    std::fs::create_dir_all(std::path::Path::new(SCREENSHOT).parent().unwrap()).unwrap();
    std::fs::write(SCREENSHOT, page.screenshot().await.unwrap()).unwrap();
    page.goto(&format!("{}/ui/#/runs", live.base()))
        .await
        .unwrap();
    until(
        page,
        "the failed run in the list, live",
        &format!(
            r#"document.querySelector('tr[data-run-id="{run}"]')?.dataset.status === "failed""#
        ),
    )
    .await;
    let before = live.env.status(run)["task_id"].clone();
    page.goto(&format!("{}/ui/#/runs/{run}", live.base()))
        .await
        .unwrap();
    until(
        page,
        "the run's error",
        r#"document.getElementById("run-error")?.textContent.length > 3"#,
    )
    .await;
    page.find(Locator::Id("retry"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        page,
        "the retry accepted",
        r#"document.getElementById("run-msg")?.textContent.startsWith("Queued again")"#,
    )
    .await;
    let after = live.env.status(run)["task_id"].clone();
    assert_ne!(before, after, "the retry queued the run under a new task");
    until(
        page,
        "the retried run failing again, live",
        r#"document.getElementById("run-status")?.textContent === "failed""#,
    )
    .await;

    // A dead letter (an unknown task), requeued from the dead-letter page with no worker running.
    let task = live.env.enqueue("no.such.task", "{}");
    let is_ours = |d: &Value| d["task_id"] == task.as_str();
    support::wait_for(MINUTE, "the dead letter", || {
        live.env.dead().iter().any(is_ours).then_some(())
    });
    drop(_worker);
    page.goto(&format!("{}/ui/#/dead", live.base()))
        .await
        .unwrap();
    let row = format!(r#"tr[data-task-id="{task}"]"#);
    until(
        page,
        "the dead letter's row",
        &format!("document.querySelector('{row}')"),
    )
    .await;
    page.find(Locator::Css(&format!("{row} button.requeue")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        page,
        "the requeue confirmed",
        r#"document.getElementById("dead-msg")?.textContent.startsWith("Requeued")"#,
    )
    .await;
    until(
        page,
        "the row gone",
        &format!("!document.querySelector('{row}')"),
    )
    .await;
    assert!(!live.env.dead().iter().any(is_ours), "still a dead letter");
    assert_eq!(live.env.queue()["pending"], 1);

    browser.client.close().await.unwrap();
}
