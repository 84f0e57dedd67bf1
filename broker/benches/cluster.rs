//! Cluster benchmark (plain main, not a test): the no-op workload of `broker.rs` on a local Redis
//! Cluster (3 masters + 3 replicas, `testenv::cluster`), on one without replicas (3 masters: the
//! cost of cluster mode alone), on one standalone `redis-server`, and on a standalone one with a
//! replica, each with one queue and with three queues (`ingest`,
//! `reports`, `exports`: three masters). Prints tasks/s and Redis CPU per task (`INFO cpu`, summed
//! over the masters; also net of the masters' idle CPU, and the replicas' share apart). `BENCH_N`
//! tasks per run (split over the queues), `BENCH_C` in flight per queue, `BENCH_RUNS` runs of
//! each; `CONFQ_BENCH_QUICK=1` (CI): N = 1,000, one run.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use broker::keys::QueueKeys;
use broker::{Broker, BrokerConfig, QueueName};
use testenv::cluster::Cluster;

mod noop;

use noop::{Failure, drain, enqueue, redis_cpu};

/// One measured run.
struct Figures {
    tasks_per_sec: f64,
    master_cpu_us: f64,
    /// `master_cpu_us` less what the masters use when idle over as long a time (cluster bus,
    /// cron), measured just before the run.
    master_net_us: f64,
    replica_cpu_us: f64,
}

/// How long the idle CPU of the nodes is measured before each run (ms).
fn idle() -> Duration {
    Duration::from_millis(testenv::bench::size("BENCH_IDLE_MS", 2_000, 200))
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let n = testenv::bench::size("BENCH_N", 60_000, 1_000);
    let c = testenv::bench::size("BENCH_C", 16, 16).max(1);
    let runs = testenv::bench::size("BENCH_RUNS", 3, 1).max(1);
    let one = vec![QueueName::parse("ingest")?];
    let three = ["ingest", "reports", "exports"]
        .into_iter()
        .map(QueueName::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let cluster = tokio::task::block_in_place(Cluster::start);
    // Three masters and no replica: the cost of cluster mode alone, next to one standalone node.
    let bare = tokio::task::block_in_place(Cluster::start_without_replicas);
    let standalone = Standalone::start(&[])?;
    // A standalone master with a replica: what a cluster's master also pays (replication).
    let primary = Standalone::start(&[])?;
    let replica = Standalone::start(&["--replicaof", "127.0.0.1", &primary.port.to_string()])?;
    primary.wait_for_replica()?;
    let masters = masters_of(&cluster, &three);
    if dedup(&masters).len() != three.len() {
        return Err(format!("the three queues do not land on three masters: {masters:?}").into());
    }
    let replicas: Vec<String> = cluster
        .ports()
        .into_iter()
        .filter(|p| !masters.contains(p))
        .map(|p| format!("redis://127.0.0.1:{p}"))
        .collect();
    let master_urls: Vec<String> = dedup(&masters)
        .iter()
        .map(|p| format!("redis://127.0.0.1:{p}"))
        .collect();
    println!("queues on masters: ingest, reports, exports -> {masters:?}");
    let bare_masters = dedup(&masters_of(&bare, &three));
    if bare_masters.len() != three.len() {
        return Err("the three queues do not land on three masters of the bare cluster".into());
    }
    let bare_urls: Vec<String> = bare_masters
        .iter()
        .map(|p| format!("redis://127.0.0.1:{p}"))
        .collect();
    for (label, queues) in [("1 queue", &one), ("3 queues", &three)] {
        for (topology, url, nodes, others) in [
            (
                "standalone",
                standalone.url(),
                vec![standalone.url()],
                vec![],
            ),
            (
                "standalone+replica",
                primary.url(),
                vec![primary.url()],
                vec![replica.url()],
            ),
            (
                "cluster",
                cluster.url(),
                master_urls.clone(),
                replicas.clone(),
            ),
            (
                "cluster, no replicas",
                bare.url(),
                bare_urls.clone(),
                vec![],
            ),
        ] {
            let mut all = Vec::new();
            for _ in 0..runs {
                all.push(run(&url, queues, n, c, &nodes, &others).await?);
            }
            report(topology, label, n, c, &all);
        }
    }
    Ok(())
}

/// Enqueues `n` tasks over `queues`, drains every queue at once, and reads the CPU the nodes used.
async fn run(
    url: &str,
    queues: &[QueueName],
    n: usize,
    c: usize,
    masters: &[String],
    replicas: &[String],
) -> Result<Figures, Failure> {
    let broker = Broker::connect(BrokerConfig {
        redis_url: url.to_owned(),
        key_prefix: format!("bench-{}", uuid::Uuid::new_v4().simple()),
        lease: Duration::from_secs(300),
        block_timeout: Duration::from_millis(200),
        ..BrokerConfig::default()
    })
    .await?;
    let per_queue = n / queues.len();
    for q in queues {
        enqueue(&broker, q, per_queue).await?;
    }
    let idle_before = cpu(masters).await?;
    tokio::time::sleep(idle()).await;
    let (masters_before, replicas_before) = (cpu(masters).await?, cpu(replicas).await?);
    let idle_per_sec = (masters_before - idle_before) / idle().as_secs_f64();
    let started = Instant::now();
    let drains: Vec<_> = queues
        .iter()
        .map(|q| tokio::spawn(drain_queue(broker.clone(), q.clone(), per_queue, c)))
        .collect();
    for d in drains {
        d.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let done = (per_queue * queues.len()) as f64;
    let used = cpu(masters).await? - masters_before;
    Ok(Figures {
        tasks_per_sec: done / secs,
        master_cpu_us: used * 1e6 / done,
        master_net_us: (used - idle_per_sec * secs) * 1e6 / done,
        replica_cpu_us: (cpu(replicas).await? - replicas_before) * 1e6 / done,
    })
}

async fn drain_queue(broker: Broker, q: QueueName, n: usize, c: usize) -> Result<(), Failure> {
    drain(&broker, &q, n, c).await.map(drop)
}

async fn cpu(urls: &[String]) -> Result<f64, Failure> {
    let mut total = 0.0;
    for url in urls {
        total += redis_cpu(url).await?;
    }
    Ok(total)
}

/// Prints the median of each figure (each taken on its own) and every run's tasks/s and CPU.
fn report(topology: &str, label: &str, n: usize, c: usize, all: &[Figures]) {
    let median = |pick: fn(&Figures) -> f64| {
        let mut values: Vec<f64> = all.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let runs = |pick: fn(&Figures) -> f64, digits: usize| {
        let shown: Vec<String> = all
            .iter()
            .map(|f| format!("{:.digits$}", pick(f)))
            .collect();
        shown.join(" · ")
    };
    println!(
        "{topology} {label}: N={n} C={c}/queue median {:.0} tasks/s, Redis CPU {:.1} us/task on \
         the masters ({:.1} net of idle; +{:.1} on replicas); runs: {} tasks/s, {} us/task",
        median(|f| f.tasks_per_sec),
        median(|f| f.master_cpu_us),
        median(|f| f.master_net_us),
        median(|f| f.replica_cpu_us),
        runs(|f| f.tasks_per_sec, 0),
        runs(|f| f.master_cpu_us, 1),
    );
}

/// The port of the master of each queue's keys.
fn masters_of(cluster: &Cluster, queues: &[QueueName]) -> Vec<u16> {
    queues
        .iter()
        .map(|q| {
            let key = QueueKeys::new("bench", q).pending;
            tokio::task::block_in_place(|| cluster.master_of(&key)).unwrap_or_default()
        })
        .collect()
}

fn dedup(ports: &[u16]) -> Vec<u16> {
    let mut unique = ports.to_vec();
    unique.sort_unstable();
    unique.dedup();
    unique
}

/// A private standalone `redis-server` (no persistence) on a free port, stopped when dropped.
struct Standalone {
    port: u16,
    child: Child,
    /// Its working directory (a replica writes the RDB of its first sync there).
    _dir: tempfile::TempDir,
}

impl Standalone {
    fn start(extra: &[&str]) -> Result<Self, Failure> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = tempfile::tempdir()?;
        let server = testenv::need(testenv::deps::redis_server());
        let child = Command::new(server)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(extra)
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(Self {
                    port,
                    child,
                    _dir: dir,
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("redis-server did not start on port {port}").into())
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Waits until a replica is online (`INFO replication` of this master).
    fn wait_for_replica(&self) -> Result<(), Failure> {
        let cli = testenv::need(testenv::deps::redis_cli());
        for _ in 0..200 {
            let info = Command::new(&cli)
                .args(["-p", &self.port.to_string(), "INFO", "replication"])
                .output()?;
            if String::from_utf8_lossy(&info.stdout).contains("state=online") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("no replica came online for the master on {}", self.port).into())
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
