//! Per-queue rates over a sliding window (10 s): enqueued, processed and failed tasks per second,
//! from the broker's lifetime counters sampled once a tick.
//!
//! Redis counts `processed` and `failed` attempts; there is no `enqueued` counter (producers in
//! other languages push onto the list directly), so arrivals are derived: whatever is now in
//! pending, processing or delayed, plus what left by being acked or dead-lettered, minus what was
//! there at the start of the window.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use broker::QueueStats;
use serde::Serialize;
use tokio::time::Instant;

/// The window the rates are averaged over.
pub(crate) const WINDOW: Duration = Duration::from_secs(10);

/// One queue's rates, per second over the last [`WINDOW`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub(crate) struct QueueRates {
    /// Tasks that arrived (enqueued, requeued or retried into pending).
    pub(crate) enqueued_per_sec: f64,
    /// Tasks acked.
    pub(crate) processed_per_sec: f64,
    /// Attempts that failed.
    pub(crate) failed_per_sec: f64,
}

/// The counters of one queue at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Sample {
    arrived: u64,
    processed: u64,
    failed: u64,
}

impl From<&QueueStats> for Sample {
    fn from(s: &QueueStats) -> Self {
        Self {
            arrived: s.pending + s.processing + s.delayed + s.processed + s.dead_lettered,
            processed: s.processed,
            failed: s.failed,
        }
    }
}

/// The samples of the last [`WINDOW`] (and one older, as the baseline).
#[derive(Debug, Default)]
pub(crate) struct RateWindow {
    samples: VecDeque<(Instant, BTreeMap<String, Sample>)>,
}

impl RateWindow {
    /// Records the counters of every queue at `at` and returns each queue's rates.
    pub(crate) fn record(
        &mut self,
        at: Instant,
        stats: &BTreeMap<String, QueueStats>,
    ) -> BTreeMap<String, QueueRates> {
        let now: BTreeMap<String, Sample> =
            stats.iter().map(|(q, s)| (q.clone(), s.into())).collect();
        // Keep the newest sample that is at least WINDOW old as the baseline.
        while self
            .samples
            .get(1)
            .is_some_and(|(t, _)| at.duration_since(*t) >= WINDOW)
        {
            self.samples.pop_front();
        }
        let rates = match self.samples.front() {
            Some((t, base)) if at > *t => {
                let secs = at.duration_since(*t).as_secs_f64();
                now.iter()
                    .map(|(q, n)| {
                        let b = base.get(q).copied().unwrap_or_default();
                        (q.clone(), rates(b, *n, secs))
                    })
                    .collect()
            }
            _ => now
                .keys()
                .map(|q| (q.clone(), QueueRates::default()))
                .collect(),
        };
        self.samples.push_back((at, now));
        rates
    }
}

fn rates(before: Sample, after: Sample, secs: f64) -> QueueRates {
    // A counter that went down (a purge, a reset) shows as zero, not negative.
    let per_sec = |b: u64, a: u64| a.saturating_sub(b) as f64 / secs;
    QueueRates {
        enqueued_per_sec: per_sec(before.arrived, after.arrived),
        processed_per_sec: per_sec(before.processed, after.processed),
        failed_per_sec: per_sec(before.failed, after.failed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(pending: u64, processed: u64, failed: u64) -> BTreeMap<String, QueueStats> {
        let s = QueueStats {
            pending,
            processed,
            failed,
            ..QueueStats::default()
        };
        BTreeMap::from([("ingest".to_owned(), s)])
    }

    #[test]
    fn rates_are_counter_deltas_over_the_window() {
        let t0 = Instant::now();
        let mut w = RateWindow::default();
        assert_eq!(
            w.record(t0, &stats(0, 0, 0))["ingest"],
            QueueRates::default()
        );
        // 50 enqueued, 20 of them processed, 5 attempts failed, in 5 s.
        let r = w.record(t0 + Duration::from_secs(5), &stats(30, 20, 5))["ingest"];
        assert!((r.enqueued_per_sec - 10.0).abs() < 1e-9, "{r:?}");
        assert!((r.processed_per_sec - 4.0).abs() < 1e-9, "{r:?}");
        assert!((r.failed_per_sec - 1.0).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn old_samples_leave_the_window() {
        let t0 = Instant::now();
        let mut w = RateWindow::default();
        w.record(t0, &stats(0, 0, 0));
        w.record(t0 + Duration::from_secs(1), &stats(0, 100, 0));
        for s in 2..=30 {
            w.record(t0 + Duration::from_secs(s), &stats(0, 100, 0));
        }
        let r = w.record(t0 + Duration::from_secs(31), &stats(0, 100, 0))["ingest"];
        assert_eq!(r.processed_per_sec, 0.0, "the burst was 30 s ago: {r:?}");
        assert!(w.samples.len() <= 12, "bounded: {}", w.samples.len());
    }

    #[test]
    fn a_purge_is_not_a_negative_rate() {
        let t0 = Instant::now();
        let mut w = RateWindow::default();
        w.record(t0, &stats(100, 0, 0));
        let r = w.record(t0 + Duration::from_secs(1), &stats(0, 0, 0))["ingest"];
        assert_eq!(r.enqueued_per_sec, 0.0);
    }
}
