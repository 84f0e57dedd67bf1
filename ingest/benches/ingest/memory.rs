//! Peak and current resident memory of this process, from `/proc/self/status`.

/// `VmHWM` (peak RSS) in MiB, or 0 where `/proc` is missing.
pub fn peak_mib() -> f64 {
    field_kib("VmHWM:") / 1024.0
}

/// `VmRSS` (current RSS) in MiB.
pub fn rss_mib() -> f64 {
    field_kib("VmRSS:") / 1024.0
}

/// Resets the peak to the current RSS (`echo 5 > /proc/self/clear_refs`, Linux ≥ 4.0), so the
/// next [`peak_mib`] covers only what follows. Returns false when the kernel refused.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn field_kib(name: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0)
}
