//! Bench sizes: the full size by default, a small one under `CONFQ_BENCH_QUICK=1` (CI runs every
//! bench once that way, so a bench that no longer builds or runs fails CI); an explicit `BENCH_*`
//! variable wins over both.

/// Whether the benches run in quick mode (`CONFQ_BENCH_QUICK` set to anything but empty or `0`).
pub fn quick() -> bool {
    std::env::var("CONFQ_BENCH_QUICK").is_ok_and(|value| !matches!(value.trim(), "" | "0"))
}

/// The variable `name` when set and parsable, else `quick` in quick mode, else `full`.
pub fn size<T: std::str::FromStr>(name: &str, full: T, quick: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(if self::quick() { quick } else { full })
}

/// The variable `name` when set, else `quick` in quick mode, else `full`.
pub fn text(name: &str, full: &str, quick: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| if self::quick() { quick } else { full }.to_owned())
}

/// `median M (runs: a, b, c)` of rates, each rounded to a whole number.
pub fn median_and_runs(mut rates: Vec<f64>) -> String {
    rates.sort_by(f64::total_cmp);
    let runs: Vec<String> = rates.iter().map(|rate| format!("{rate:.0}")).collect();
    match rates.get(rates.len() / 2) {
        Some(median) => format!("median {median:.0} (runs: {})", runs.join(", ")),
        None => "no runs".to_owned(),
    }
}
