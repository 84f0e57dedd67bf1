//! Parser throughput: parse-only MB/s on a generated ≥ 50 MB corpus of realistic props,
//! transforms and savedsearches files, then archive read+parse MB/s on a .tgz of the same corpus,
//! with bare gunzip MB/s for comparison. Prints figures; `docs/benchmarks.md` records them.
//! Run: `cargo bench -p splunk --bench parse`. `BENCH_APPS` (60) apps of three files each,
//! `BENCH_RUNS` (5) runs per figure; `CONFQ_BENCH_QUICK=1` makes them 2 and 1 (CI).

use std::time::{Duration, Instant};

use async_compression::tokio::bufread::GzipDecoder;
use async_compression::tokio::write::GzipEncoder;
use splunk::archive::{ArchiveReader, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};

/// A small deterministic generator, so every run measures the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn props(rng: &mut Rng, app: usize) -> String {
    let mut out = String::from("# props for the app\n[default]\nTRUNCATE = 10000\n\n");
    for s in 0..600 {
        out.push_str(&format!(
            "[vendor:product:log{app}_{s}]\nSHOULD_LINEMERGE = false\n"
        ));
        out.push_str("LINE_BREAKER = ([\\r\\n]+)\\d{4}-\\d{2}-\\d{2}\nTIME_PREFIX = ^\\[\nMAX_TIMESTAMP_LOOKAHEAD = 32\n");
        for e in 0..(4 + rng.below(8)) {
            let cond: Vec<String> = (0..(3 + rng.below(20)))
                .map(|i| format!("match(src_{i}, \"^10\\.{i}\\.\\d+\\.\\d+$\"), \"internal_{i}\""))
                .collect();
            out.push_str(&format!(
                "EVAL-field{e} = case({}, true(), \"external\")\n",
                cond.join(", ")
            ));
        }
        out.push_str(&format!(
            "EXTRACT-kv = (?<key>\\w+)=(?<value>[^,]+)\nREPORT-auto = auto_kv_{s}, lookup_{s}\n"
        ));
        out.push_str(
            "FIELDALIAS-src = src_ip AS src\nLOOKUP-geo = geo_lookup ip AS src OUTPUT country\n\n",
        );
    }
    out
}

fn transforms(rng: &mut Rng, app: usize) -> String {
    let mut out = String::new();
    for s in 0..800 {
        out.push_str(&format!(
            "[auto_kv_{app}_{s}]\nREGEX = (?<k{s}>[a-z_]+)=\"?(?<v>[^\",]+)\nFORMAT = $1::$2\n"
        ));
        out.push_str(&format!(
            "DEST_KEY = _meta\nMV_ADD = {}\n\n",
            rng.below(2) == 0
        ));
    }
    out
}

fn savedsearches(rng: &mut Rng, app: usize) -> String {
    let mut out = String::from("[default]\ndispatch.earliest_time = -24h\n\n");
    for s in 0..300 {
        out.push_str(&format!(
            "[Search {app} number {s} [daily]]\ncron_schedule = */{} * * * *\n",
            1 + rng.below(59)
        ));
        out.push_str(
            "search = index=main sourcetype=access_combined \\\n| stats count by host, status \\\n",
        );
        for line in 0..(2 + rng.below(10)) {
            out.push_str(&format!(
                "| eval score_{line} = if(count > {line}, \"high\", \"low\") \\\n"
            ));
        }
        out.push_str("| sort - count\nenableSched = 1\naction.email.to = soc@example.com\n\n");
    }
    out
}

fn corpus(apps: usize) -> Vec<(String, Vec<u8>)> {
    let mut rng = Rng(0x5eed_cafe_f00d);
    let mut files = Vec::new();
    for app in 0..apps {
        let dir = format!("TA-bench-{app}/default");
        files.push((
            format!("{dir}/props.conf"),
            props(&mut rng, app).into_bytes(),
        ));
        files.push((
            format!("{dir}/transforms.conf"),
            transforms(&mut rng, app).into_bytes(),
        ));
        files.push((
            format!("{dir}/savedsearches.conf"),
            savedsearches(&mut rng, app).into_bytes(),
        ));
    }
    files
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn mb_per_s(bytes: usize, t: Duration) -> f64 {
    bytes as f64 / 1e6 / t.as_secs_f64()
}

async fn tgz(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tokio_tar::Builder::new(GzipEncoder::new(Vec::new()));
    for (path, data) in files {
        let mut header = tokio_tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, path, &data[..])
            .await
            .expect("append");
    }
    let mut enc = builder.into_inner().await.expect("finish tar");
    enc.shutdown().await.expect("finish gzip");
    enc.into_inner()
}

fn main() {
    let apps = testenv::bench::size("BENCH_APPS", 60, 2);
    let runs = testenv::bench::size("BENCH_RUNS", 5, 1);
    let files = corpus(apps);
    let total: usize = files.iter().map(|(_, d)| d.len()).sum();
    let settings: usize = files
        .iter()
        .map(|(_, d)| splunk::parse(d).expect("parses").setting_count())
        .sum();
    println!(
        "corpus: {} files, {:.1} MB, {settings} settings",
        files.len(),
        total as f64 / 1e6
    );

    let parse_runs = (0..runs)
        .map(|_| {
            let start = Instant::now();
            for (_, data) in &files {
                std::hint::black_box(splunk::parse(data).expect("parses"));
            }
            start.elapsed()
        })
        .collect();
    let parse = median(parse_runs);
    println!(
        "parse only (1 core, median of {runs}): {:.0} MB/s",
        mb_per_s(total, parse)
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let archive = rt.block_on(tgz(&files));
    println!("tgz: {:.1} MB compressed", archive.len() as f64 / 1e6);
    // A bench of speed, not of caps: the corpus (204 MB of conf at full size) is over the default
    // archive-wide conf-text cap, so the cap is raised to fit it.
    let limits = Limits {
        max_conf_bytes: Limits::default().max_conf_bytes.max(total as u64),
        ..Limits::default()
    };
    let mut read_runs = Vec::new();
    let mut gunzip_runs = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        rt.block_on(async {
            let mut reader = ArchiveReader::open(&archive[..], limits)
                .await
                .expect("opens");
            while let Some(entry) = reader.next_file().await.expect("reads") {
                std::hint::black_box(splunk::parse(&entry.data).expect("parses"));
            }
        });
        read_runs.push(start.elapsed());
        let start = Instant::now();
        rt.block_on(async {
            let mut decoder = GzipDecoder::new(BufReader::new(&archive[..]));
            let mut chunk = vec![0u8; 64 * 1024];
            while decoder.read(&mut chunk).await.expect("gunzip") > 0 {
                std::hint::black_box(&chunk);
            }
        });
        gunzip_runs.push(start.elapsed());
    }
    let read = median(read_runs);
    let gunzip = median(gunzip_runs);
    println!(
        "archive read+sha256+parse (.tgz, 1 core, median of {runs}): {:.0} MB/s uncompressed",
        mb_per_s(total, read)
    );
    println!(
        "bare gunzip of the same .tgz (median of {runs}): {:.0} MB/s uncompressed",
        mb_per_s(total, gunzip)
    );
}
