//! A realistic Splunk app's configuration, generated from a seed: props, transforms,
//! savedsearches, macros, eventtypes and inputs under `default/`, overrides under `local/`, and
//! `metadata/*.meta`, with continued searches and long `EVAL-` lines.

use std::fmt::Write as _;

/// xorshift64*: cheap, deterministic, good enough to vary text and fill payloads.
pub struct Rng(u64);

impl Rng {
    /// A generator from any seed (zero included).
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// One generated file: its path inside the archive and its text.
pub struct File {
    /// `<app>/default/props.conf`, …
    pub path: String,
    /// The file's content.
    pub text: String,
}

type Writer = fn(&mut String, &str, usize, &mut Rng);

/// Stanzas per file for an app of 400 stanzas (scaled for bigger apps).
const MIX: [(&str, usize, Writer); 10] = [
    ("default/props.conf", 80, props),
    ("default/transforms.conf", 60, transforms),
    ("default/savedsearches.conf", 80, savedsearch),
    ("default/macros.conf", 50, macros),
    ("default/eventtypes.conf", 50, eventtype),
    ("default/inputs.conf", 30, inputs),
    ("local/props.conf", 15, local_props),
    ("local/savedsearches.conf", 15, local_savedsearch),
    ("metadata/default.meta", 10, default_meta),
    ("metadata/local.meta", 10, local_meta),
];

/// The files of app `app`: 400 × `scale` stanzas (plus `app.conf`).
pub fn app(app: &str, scale: f64, rng: &mut Rng) -> Vec<File> {
    let mut files = vec![File {
        path: format!("{app}/default/app.conf"),
        text: app_conf(app),
    }];
    for (path, per_400, write) in MIX {
        let count = ((per_400 as f64) * scale).round().max(1.0) as usize;
        let mut text = String::with_capacity(count * 400);
        text.push_str("# Copyright (C) 2026 Example Corp. All Rights Reserved.\n# Generated for the confq benchmark.\n\n");
        if path == "metadata/default.meta" {
            text.push_str(
                "[]\naccess = read : [ * ], write : [ admin, power ]\nexport = system\n\n",
            );
        }
        for i in 0..count {
            write(&mut text, app, i, rng);
            text.push('\n');
        }
        files.push(File {
            path: format!("{app}/{path}"),
            text,
        });
    }
    files
}

fn app_conf(app: &str) -> String {
    format!(
        "[install]\nis_configured = 0\nbuild = 1042\n\n[ui]\nis_visible = 1\nlabel = {app}\n\n\
         [launcher]\nauthor = Example Corp\ndescription = Add-on for {app}\nversion = 4.2.1\n\n\
         [package]\nid = {app}\ncheck_for_updates = false\n"
    )
}

const ACTIONS: [&str; 8] = [
    "allow", "permit", "accept", "deny", "drop", "block", "reset", "alert",
];

/// A long `case(...)` expression: 8–40 branches, up to ~2 KB on one line.
fn long_eval(out: &mut String, rng: &mut Rng) {
    out.push_str("case(");
    for b in 0..8 + rng.below(33) {
        let _ = write!(
            out,
            "action==\"{}_{b}\" OR match(msg, \"^{}\\s+\\d+\"),\"{}\", ",
            rng.pick(&ACTIONS),
            rng.pick(&ACTIONS),
            rng.pick(&["allowed", "blocked", "unknown"])
        );
    }
    out.push_str("true(),\"unknown\")");
}

fn props(out: &mut String, app: &str, i: usize, rng: &mut Rng) {
    let _ = writeln!(out, "[{app}:log:{i}]");
    out.push_str("SHOULD_LINEMERGE = false\nLINE_BREAKER = ([\\r\\n]+)\\d{4}-\\d{2}-\\d{2}\n");
    out.push_str("TIME_PREFIX = ^\nTIME_FORMAT = %Y-%m-%dT%H:%M:%S.%3N%z\n");
    let _ = writeln!(out, "MAX_TIMESTAMP_LOOKAHEAD = {}", 20 + rng.below(20));
    let _ = writeln!(out, "TRUNCATE = {}", 10_000 * (1 + rng.below(5)));
    out.push_str("KV_MODE = none\n");
    let _ = writeln!(
        out,
        "EXTRACT-{i}_fields = ^(?<src_ip>\\d+\\.\\d+\\.\\d+\\.\\d+)\\s+(?<action>\\w+)\\s+user=(?<user>\\S+) port=(?<port>\\d+)"
    );
    let _ = writeln!(
        out,
        "REPORT-kv = {app}_extract_{}, {app}_extract_{}",
        rng.below(60),
        rng.below(60)
    );
    if rng.chance(60) {
        let _ = writeln!(out, "TRANSFORMS-route = {app}_extract_{}", rng.below(60));
    }
    out.push_str("FIELDALIAS-src = src_ip AS src dest_ip AS dest\n");
    out.push_str("EVAL-action = ");
    long_eval(out, rng);
    out.push('\n');
    let _ = writeln!(out, "EVAL-vendor_product = \"Example {app} {i}\"");
    if rng.chance(50) {
        let _ = writeln!(
            out,
            "LOOKUP-geo = {app}_lookup_{} ip AS src_ip OUTPUT country city",
            rng.below(60)
        );
    }
    if rng.chance(30) {
        out.push_str("SEDCMD-mask = s/password=\\S+/password=########/g\n");
    }
}

fn transforms(out: &mut String, app: &str, i: usize, rng: &mut Rng) {
    if i.is_multiple_of(2) {
        let _ = writeln!(out, "[{app}_extract_{i}]");
        let _ = writeln!(
            out,
            "REGEX = (?:^|\\s)(\\w+)=(\"[^\"]*\"|\\S+){}",
            ".".repeat(rng.below(40) as usize)
        );
        out.push_str("FORMAT = $1::$2\nMV_ADD = true\nCLEAN_KEYS = false\n");
    } else {
        let _ = writeln!(out, "[{app}_lookup_{i}]");
        let _ = writeln!(out, "filename = {app}_geo_{i}.csv");
        out.push_str("case_sensitive_match = false\nmax_matches = 1\nmin_matches = 0\n");
    }
}

fn savedsearch(out: &mut String, app: &str, i: usize, rng: &mut Rng) {
    let _ = writeln!(out, "[{app} - Search {i}]");
    let _ = writeln!(
        out,
        "search = index={app} sourcetype=\"{app}:log:{}\" action IN (blocked, denied) \\",
        rng.below(80)
    );
    for _ in 0..1 + rng.below(4) {
        let _ = writeln!(
            out,
            "| stats count min(_time) as first max(_time) as last by src, dest, user \\"
        );
    }
    let _ = writeln!(out, "| where count > {}", rng.below(100));
    out.push_str("dispatch.earliest_time = -24h@h\ndispatch.latest_time = now\n");
    let _ = writeln!(out, "cron_schedule = */{} * * * *", 5 + rng.below(55));
    out.push_str("enableSched = 1\nalert.track = 1\nalert_comparator = greater than\n");
    out.push_str("alert_threshold = 0\ncounttype = number of events\n");
    if rng.chance(40) {
        out.push_str("action.email = 1\naction.email.to = soc@example.com\n");
    }
    let _ = writeln!(
        out,
        "description = Detects repeated blocked connections from one source ({i})."
    );
    out.push_str("disabled = 0\n");
}

fn macros(out: &mut String, app: &str, i: usize, rng: &mut Rng) {
    let _ = writeln!(out, "[{app}_macro_{i}(2)]\nargs = field, value");
    let _ = writeln!(
        out,
        "definition = eval $field$=if(isnull($field$) OR $field$==\"\", \"$value$\", $field$) | fillnull value={}",
        rng.below(1000)
    );
    out.push_str("iseval = 0\nvalidation = isstr(field)\nerrormsg = field must be a field name\n");
}

fn eventtype(out: &mut String, app: &str, i: usize, rng: &mut Rng) {
    let _ = writeln!(out, "[{app}_et_{i}]");
    let _ = writeln!(
        out,
        "search = sourcetype={app}:log:{} (action={} OR action={})",
        rng.below(80),
        rng.pick(&ACTIONS),
        rng.pick(&ACTIONS)
    );
    let _ = writeln!(out, "priority = {}", 1 + rng.below(10));
    out.push_str("color = et_red\n");
}

fn inputs(out: &mut String, app: &str, i: usize, rng: &mut Rng) {
    let _ = writeln!(out, "[monitor:///var/log/{app}/{i}/*.log]");
    let _ = writeln!(
        out,
        "index = {app}\nsourcetype = {app}:log:{}",
        rng.below(80)
    );
    out.push_str("disabled = 0\nwhitelist = \\.log$\ncrcSalt = <SOURCE>\nignoreOlderThan = 7d\n");
}

fn local_props(out: &mut String, app: &str, i: usize, rng: &mut Rng) {
    let _ = writeln!(out, "[{app}:log:{}]", i * 5);
    out.push_str("TRUNCATE = 50000\nEVAL-severity = ");
    long_eval(out, rng);
    out.push('\n');
}

fn local_savedsearch(out: &mut String, app: &str, i: usize, rng: &mut Rng) {
    let _ = writeln!(out, "[{app} - Search {}]", i * 5);
    let _ = writeln!(out, "cron_schedule = {} * * * *", rng.below(60));
    out.push_str("disabled = 1\n");
}

fn default_meta(out: &mut String, app: &str, i: usize, _rng: &mut Rng) {
    let _ = writeln!(
        out,
        "[savedsearches/{app}%20-%20Search%20{i}]\nowner = admin\nexport = none"
    );
}

fn local_meta(out: &mut String, app: &str, i: usize, rng: &mut Rng) {
    let _ = writeln!(out, "[props/{app}%3Alog%3A{i}/EVAL-action]");
    out.push_str("access = read : [ * ], write : [ admin ]\nexport = system\nowner = nobody\n");
    let _ = writeln!(
        out,
        "version = 9.2.1\nmodtime = 17000{:05}.{:06}",
        rng.below(100_000),
        rng.below(1_000_000)
    );
}
