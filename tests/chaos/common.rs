//! What every chaos scenario shares: sizes, the one-line report, workloads (generated archives and
//! raw envelopes pushed with `redis-cli --pipe`), a fleet of worker processes, and the final tally
//! of lost, duplicated and stuck work read straight from the database and the broker.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::archive::generated_tgz;
use crate::support::{Env, Proc};

/// Small runs in every `cargo test`; full is `cargo test --test chaos -- --ignored`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Small,
    Full,
}

impl Size {
    /// `small` or `full`.
    pub fn pick<T>(self, small: T, full: T) -> T {
        match self {
            Size::Small => small,
            Size::Full => full,
        }
    }
}

/// One scenario's outcome: `scenario, tasks, faults injected, lost, duplicated, stuck, seconds`.
#[derive(Debug, Default)]
pub struct Report {
    pub scenario: String,
    pub tasks: usize,
    pub faults: usize,
    pub lost: usize,
    pub duplicated: usize,
    pub stuck: usize,
    pub seconds: f64,
    /// What went wrong, one entry per problem (empty when clean).
    pub problems: Vec<String>,
}

impl Report {
    /// Prints the line (and appends it to `$CONFQ_CHAOS_REPORT` when set), then fails the test
    /// when anything was lost, duplicated or stuck, or another problem was recorded.
    pub fn finish(self) {
        let line = format!(
            "{}, {}, {}, {}, {}, {}, {:.1}",
            self.scenario,
            self.tasks,
            self.faults,
            self.lost,
            self.duplicated,
            self.stuck,
            self.seconds
        );
        println!("{line}");
        eprintln!("chaos: {line}");
        for problem in self.problems.iter().take(20) {
            eprintln!("chaos:   {problem}");
        }
        if let Some(path) = std::env::var_os("CONFQ_CHAOS_REPORT")
            && let Ok(mut file) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
        {
            let _ = writeln!(file, "{line}");
        }
        assert!(
            self.lost == 0 && self.duplicated == 0 && self.stuck == 0 && self.problems.is_empty(),
            "{line}\n{}",
            self.problems
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// Runs one scenario at a time, across threads and processes (nextest): the machine has two
/// cores, and overlapping scenarios would only measure each other.
pub fn exclusive() -> std::fs::File {
    let path = std::env::temp_dir().join("confq-chaos.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .expect("lock file");
    file.lock().expect("lock the chaos suite");
    file
}

/// A small deterministic generator (no test may depend on a random seed it cannot print).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// Expected `(files, stanzas)` per run id.
pub type Expected = HashMap<i64, (i64, i64)>;

/// Generates `count` small distinct archives and ingests them (no wait): their expectations.
pub fn submit_archives(
    env: &Env,
    count: usize,
    seed: u64,
    apps: usize,
    stanzas: usize,
) -> Expected {
    let mut paths = Vec::with_capacity(count);
    let mut expected_by_path = Vec::with_capacity(count);
    for i in 0..count {
        let generated = generated_tgz(seed + i as u64, apps, stanzas, 40);
        paths.push(env.file(&format!("a-{seed}-{i}.tgz"), &generated.bytes));
        expected_by_path.push((generated.files, generated.stanzas));
    }
    let ids = env.ingest(&paths);
    ids.into_iter().zip(expected_by_path).collect()
}

/// A v1 envelope of `task` with `args`.
pub fn envelope(task: &str, args: &str) -> Vec<u8> {
    format!(
        r#"{{"v":1,"id":"{}","task":"{task}","args":{args},"attempt":0}}"#,
        uuid::Uuid::new_v4()
    )
    .into_bytes()
}

/// `LPUSH`es raw elements onto the `ingest` pending list with `redis-cli --pipe`.
pub fn push(env: &Env, elements: &[Vec<u8>]) {
    let key = env.keys().pending;
    let mut commands = Vec::new();
    let bulk = |out: &mut Vec<u8>, bytes: &[u8]| {
        out.extend_from_slice(format!("${}\r\n", bytes.len()).as_bytes());
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    };
    for element in elements {
        commands.extend_from_slice(b"*3\r\n");
        bulk(&mut commands, b"LPUSH");
        bulk(&mut commands, key.as_bytes());
        bulk(&mut commands, element);
    }
    let queues = broker::keys::queues(&env.prefix);
    commands.extend_from_slice(b"*3\r\n");
    bulk(&mut commands, b"SADD");
    bulk(&mut commands, queues.as_bytes());
    bulk(&mut commands, protocol::DEFAULT_QUEUE.as_bytes());
    let mut child = Command::new("redis-cli")
        .args(["-u", &env.redis_url, "--pipe"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("redis-cli");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&commands)
        .expect("pipe to redis-cli");
    let output = child.wait_with_output().expect("redis-cli --pipe");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && text.contains("errors: 0"),
        "redis-cli --pipe: {text}"
    );
}

/// Workers that can be killed and replaced.
pub struct Fleet {
    pub workers: Vec<Proc>,
    concurrency: usize,
    extra: Vec<String>,
}

impl Fleet {
    pub fn start(env: &mut Env, count: usize, concurrency: usize, extra: &[&str]) -> Self {
        let extra: Vec<String> = extra.iter().map(|arg| (*arg).to_owned()).collect();
        let mut fleet = Self {
            workers: Vec::new(),
            concurrency,
            extra,
        };
        for _ in 0..count {
            fleet.add(env);
        }
        fleet
    }

    pub fn add(&mut self, env: &mut Env) {
        let extra: Vec<&str> = self.extra.iter().map(String::as_str).collect();
        self.workers.push(env.worker(self.concurrency, &extra));
    }

    /// SIGKILLs the worker at `index` and starts a replacement.
    pub fn kill_and_replace(&mut self, env: &mut Env, index: usize) {
        let mut doomed = self.workers.remove(index);
        doomed.signal("KILL");
        doomed.kill();
        self.add(env);
    }

    /// Workers that exited by themselves (a crash or restart the test did not cause).
    pub fn unexpected_exits(&mut self) -> Vec<String> {
        self.workers
            .iter_mut()
            .filter_map(|worker| {
                worker.exited().map(|status| {
                    format!(
                        "{} exited by itself: {status}\n{}",
                        worker.name,
                        worker.log_text()
                    )
                })
            })
            .collect()
    }
}

/// Whether every run is finished and nothing is pending, processing or delayed.
pub fn settled(env: &Env, runs: &Expected) -> bool {
    let db = env.db();
    let rows = db.runs();
    let runs_done = runs.keys().all(|id| {
        rows.get(id)
            .is_some_and(|row| row.status == "complete" || row.status == "failed")
    });
    if !runs_done {
        return false;
    }
    let queue = env.queue();
    ["pending", "processing", "delayed"]
        .iter()
        .all(|state| queue[*state] == 0)
}

/// Polls until [`settled`] or `timeout`; returns whether it settled.
pub fn wait_settled(env: &Env, runs: &Expected, timeout: Duration) -> bool {
    testenv::wait::within_blocking(timeout, || settled(env, runs)).is_some()
}

/// Counts lost, duplicated and stuck work among `runs` (and the queue), into `report`.
pub fn tally(env: &Env, runs: &Expected, report: &mut Report) {
    let db = env.db();
    let rows = db.runs();
    let stanzas = db.stanza_counts();
    let files = db.file_counts();
    for (id, (want_files, want_stanzas)) in runs {
        let Some(row) = rows.get(id) else {
            report.lost += 1;
            report.problems.push(format!("run {id} vanished"));
            continue;
        };
        let got = stanzas.get(id).copied().unwrap_or(0);
        let got_files = files.get(id).copied().unwrap_or(0);
        match row.status.as_str() {
            "complete" if got == *want_stanzas && got_files == *want_files => {}
            "complete" if got > *want_stanzas || got_files > *want_files => {
                report.duplicated += 1;
                report.problems.push(format!("run {id}: {got} stanzas / {got_files} files, want {want_stanzas} / {want_files}"));
            }
            "complete" | "failed" => {
                report.lost += 1;
                report.problems.push(format!(
                    "run {id} {}: {got} stanzas, want {want_stanzas}; {:?}",
                    row.status, row.error_message
                ));
            }
            _ => {
                report.stuck += 1;
                report
                    .problems
                    .push(format!("run {id} still {}", row.status));
            }
        }
        if row.status == "complete" && row.metrics_retry_count != Some(i64::from(row.retry_count)) {
            report.problems.push(format!(
                "run {id}: retry_count {} but metrics say {:?}",
                row.retry_count, row.metrics_retry_count
            ));
        }
    }
    let queue = env.queue();
    for state in ["pending", "processing", "delayed"] {
        let left = queue[state].as_u64().unwrap_or(0) as usize;
        if left > 0 {
            report.stuck += left;
            report
                .problems
                .push(format!("{left} elements left in {state}"));
        }
    }
}

/// Checks that the broker acknowledged exactly `tasks` tasks (each once) and dead-lettered none.
pub fn check_acks(env: &Env, tasks: usize, report: &mut Report) {
    let processed = usize::try_from(env.counter("processed")).unwrap_or(0);
    if processed < tasks {
        report.lost += tasks - processed;
        report
            .problems
            .push(format!("{processed} tasks acknowledged, want {tasks}"));
    } else if processed > tasks {
        report.duplicated += processed - tasks;
        report
            .problems
            .push(format!("{processed} acknowledgements for {tasks} tasks"));
    }
    let dead = env.queue()["dead"].as_u64().unwrap_or(0);
    if dead > 0 {
        report.lost += dead as usize;
        report.problems.push(format!(
            "{dead} dead letters: {:?}",
            env.dead().iter().take(3).collect::<Vec<_>>()
        ));
    }
}
