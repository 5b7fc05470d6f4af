//! Latency distributions in HDR histograms: three significant digits at
//! every scale a duration can be written in, from 1 ns up — values below
//! 2,048 ns are counted exactly, larger ones in buckets at most 1/1,024 of
//! their value wide, so a percentile is within 0.1 % of the recorded value it
//! stands for — constant memory, mergeable across windows. Mean and max are
//! kept exactly beside the histogram.

use hdrhistogram::Histogram;

/// Summary statistics of recorded latencies, in nanoseconds. With nothing
/// recorded there is no latency: every statistic but `count` is NaN (a blank
/// cell in the CSV files), never 0 ns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencyStats {
    pub count: u64,
    pub mean_ns: f64,
    pub p50_ns: f64,
    pub p95_ns: f64,
    pub p99_ns: f64,
    pub p999_ns: f64,
    pub max_ns: f64,
}

impl LatencyStats {
    /// The statistics of no latencies at all.
    pub const NONE: LatencyStats = LatencyStats {
        count: 0,
        mean_ns: f64::NAN,
        p50_ns: f64::NAN,
        p95_ns: f64::NAN,
        p99_ns: f64::NAN,
        p999_ns: f64::NAN,
        max_ns: f64::NAN,
    };
}

#[derive(Clone, Debug)]
struct Part {
    histogram: Histogram<u64>,
    sum_ns: u128,
    max_ns: u64,
}

impl Part {
    fn new() -> Self {
        // The lowest discernible value is 1 ns, the unit of time: a coarser
        // one (1 µs) made the first bucket 512 ns wide, and percentiles of
        // sub-millisecond latencies lost up to half their value.
        let mut histogram = Histogram::new_with_bounds(1, 1_000_000_000, 3).expect("valid histogram bounds");
        histogram.auto(true);
        Part {
            histogram,
            sum_ns: 0,
            max_ns: 0,
        }
    }

    /// Adds `other`'s latencies to these, as if each had been recorded
    /// here too (bucket counts, sum and maximum add exactly).
    fn absorb(&mut self, other: &Part) {
        self.histogram
            .add(&other.histogram)
            .expect("auto-resizing histograms merge");
        self.sum_ns += other.sum_ns;
        self.max_ns = self.max_ns.max(other.max_ns);
    }

    fn stats(&self) -> LatencyStats {
        let count = self.histogram.len();
        if count == 0 {
            return LatencyStats::NONE;
        }
        // One pass over the buckets for all four (each exactly what
        // `value_at_quantile` gives); closing windows of many scopes scanned
        // them four times each.
        let mut quantiles = self
            .histogram
            .value_at_quantiles([0.5, 0.95, 0.99, 0.999])
            .map(|value| value.min(self.max_ns) as f64);
        let mut next = || quantiles.next().expect("one value per ascending quantile");
        LatencyStats {
            count,
            mean_ns: self.sum_ns as f64 / count as f64,
            p50_ns: next(),
            p95_ns: next(),
            p99_ns: next(),
            p999_ns: next(),
            max_ns: self.max_ns as f64,
        }
    }
}

/// Latencies of one scope: the open window and the run's total.
#[derive(Clone, Debug)]
pub struct LatencyRecorder {
    window: Part,
    total: Part,
}

impl Default for LatencyRecorder {
    fn default() -> Self {
        LatencyRecorder {
            window: Part::new(),
            total: Part::new(),
        }
    }
}

impl LatencyRecorder {
    #[inline]
    pub fn record(&mut self, latency_ns: u64) {
        // `record` grows the histogram past its initial 1 s bound (auto
        // resize); `saturating_record` would clamp instead — it takes
        // precedence over auto resize — and every latency above 1 s would
        // read as 1 s in the percentiles. Only values past what resizing
        // can reach (u64::MAX / 2) are clamped.
        if self.window.histogram.record(latency_ns).is_err() {
            self.window.histogram.saturating_record(latency_ns);
        }
        self.window.sum_ns += latency_ns as u128;
        self.window.max_ns = self.window.max_ns.max(latency_ns);
    }

    /// Adds `other`'s open window to this one's, as if each of its
    /// latencies had been recorded here too (the bucket counts, sum and
    /// maximum add exactly). A scope that is the union of others — every
    /// request belongs to one class — is filled this way once per window
    /// instead of recording each latency twice.
    pub fn absorb_window(&mut self, other: &LatencyRecorder) {
        self.window.absorb(&other.window);
    }

    /// Ends the window: returns its statistics, merges it into the total
    /// when `keep` (windows after warm-up), and starts a new one.
    pub fn close_window(&mut self, keep: bool) -> LatencyStats {
        let stats = self.window.stats();
        if keep {
            self.total.absorb(&self.window);
        }
        self.window.histogram.reset();
        self.window.sum_ns = 0;
        self.window.max_ns = 0;
        stats
    }

    /// `all.absorb_window(self)`, then both windows closed: this one's
    /// statistics and `all`'s, exactly. When `all`'s window holds nothing
    /// of its own (a window without failures, for `latency_all`), it would
    /// hold a copy of this one: its statistics are this one's and its total
    /// absorbs this window directly, with no copy to merge, scan and clear.
    pub fn close_window_with(
        &mut self,
        all: &mut LatencyRecorder,
        keep: bool,
    ) -> (LatencyStats, LatencyStats) {
        if all.window.histogram.is_empty() {
            if keep {
                all.total.absorb(&self.window);
            }
            let stats = self.close_window(keep);
            return (stats, stats);
        }
        all.absorb_window(self);
        (self.close_window(keep), all.close_window(keep))
    }

    /// Statistics over every kept window.
    pub fn total(&self) -> LatencyStats {
        self.total.stats()
    }

    /// The lowest and the highest latency the kept windows hold, each
    /// rounded out to the edge of its histogram bucket; `None` when they hold
    /// none.
    pub fn total_range(&self) -> Option<(u64, u64)> {
        let histogram = &self.total.histogram;
        (!histogram.is_empty()).then(|| (histogram.min(), histogram.max()))
    }

    /// How many kept latencies lie in `[lower_ns, upper_ns)`: exactly, when
    /// both edges are edges of the histogram's buckets (otherwise the range
    /// is rounded out to them). A sum over the buckets' counts, without the
    /// per-bucket bookkeeping of hdrhistogram's iterators.
    pub fn total_count_in(&self, lower_ns: u64, upper_ns: u64) -> u64 {
        debug_assert!(lower_ns < upper_ns);
        match self.total_range() {
            // `count_between` takes a value past the histogram's last bucket
            // for that bucket: only a range that meets the recorded ones may
            // be asked, or the last bucket would be counted again.
            Some((low_ns, high_ns)) if lower_ns <= high_ns && upper_ns > low_ns => {
                self.total.histogram.count_between(lower_ns, upper_ns - 1)
            }
            _ => 0,
        }
    }

    /// The kept windows' latencies as `(value_ns, count)` pairs, one per
    /// non-empty histogram bucket in ascending order; `value_ns` is the
    /// highest value the bucket holds (what the percentiles report). The
    /// slow, obvious twin of `total_count_in` that tests check it against.
    #[cfg(test)]
    pub(crate) fn total_buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.total
            .histogram
            .iter_recorded()
            .map(|bucket| (bucket.value_iterated_to(), bucket.count_at_value()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_within_a_thousandth() {
        let mut recorder = LatencyRecorder::default();
        for value in 1..=100_000u64 {
            recorder.record(value * 1_000);
        }
        let stats = recorder.close_window(true);
        assert_eq!(stats.count, 100_000);
        assert!(
            (stats.p99_ns / 99_000_000.0 - 1.0).abs() < 1e-3,
            "{}",
            stats.p99_ns
        );
        assert!((stats.mean_ns - 50_000_500.0).abs() < 1e-6);
        assert_eq!(stats.max_ns, 100_000_000.0);
    }

    /// `close_window_with` gives what merging the window into the other
    /// recorder, then closing both, gives: with the other's window empty
    /// (the shortcut) or not, kept or not, windows and totals.
    #[test]
    fn closing_with_another_equals_merging_then_closing() {
        for (own, keep) in [
            (vec![], true),
            (vec![7_000_000u64, 2], true),
            (vec![], false),
            (vec![5], false),
        ] {
            let fill = |values: &[u64]| {
                let mut recorder = LatencyRecorder::default();
                values.iter().for_each(|&value| recorder.record(value));
                recorder
            };
            let (mut ours, mut all) = (fill(&[1_500, 40, 3_000_000_000]), fill(&own));
            let (mut ours_ref, mut all_ref) = (ours.clone(), all.clone());
            for _ in 0..2 {
                let got = ours.close_window_with(&mut all, keep);
                all_ref.absorb_window(&ours_ref);
                let want = (ours_ref.close_window(keep), all_ref.close_window(keep));
                // NaN-aware: an empty window's statistics are NaN.
                assert_eq!(format!("{got:?}"), format!("{want:?}"));
                ours.record(900);
                ours_ref.record(900);
            }
            assert_eq!(format!("{:?}", all.total()), format!("{:?}", all_ref.total()));
            assert_eq!(format!("{:?}", ours.total()), format!("{:?}", ours_ref.total()));
            assert!(all.total_buckets().eq(all_ref.total_buckets()));
        }
    }

    /// Latencies spread evenly over [center/2, 3·center/2]: p50 is the
    /// center and p99 is 0.99 of the way, to 0.1 %, at every scale from
    /// hundreds of nanoseconds to seconds.
    #[test]
    fn percentiles_within_a_thousandth_at_every_scale() {
        for center in [
            200u64,
            1_000,
            10_000,
            100_000,
            1_000_000,
            50_000_000,
            2_000_000_000,
        ] {
            let mut recorder = LatencyRecorder::default();
            let (low, high) = (center / 2, center + center / 2);
            let steps = 10_000u64;
            for step in 0..=steps {
                recorder.record(low + (high - low) * step / steps);
            }
            let stats = recorder.close_window(true);
            let expect = |quantile: f64| low as f64 + (high - low) as f64 * quantile;
            for (name, measured, quantile) in [
                ("p50", stats.p50_ns, 0.5),
                ("p95", stats.p95_ns, 0.95),
                ("p99", stats.p99_ns, 0.99),
            ] {
                let error = measured / expect(quantile) - 1.0;
                assert!(
                    error.abs() <= 1e-3,
                    "{name} of latencies around {center} ns: {measured} ns, {:+.3} %",
                    100.0 * error
                );
            }
        }
    }

    #[test]
    fn the_quantiles_are_those_of_the_histogram() {
        let mut part = Part::new();
        for value in 1..=20_000u64 {
            let latency = value * value * 31 % 3_000_000_000 + 1_000;
            part.histogram.record(latency).unwrap();
            part.sum_ns += latency as u128;
            part.max_ns = part.max_ns.max(latency);
        }
        let stats = part.stats();
        let one = |q: f64| part.histogram.value_at_quantile(q).min(part.max_ns) as f64;
        assert_eq!(
            [stats.p50_ns, stats.p95_ns, stats.p99_ns, stats.p999_ns],
            [one(0.5), one(0.95), one(0.99), one(0.999)]
        );
    }

    #[test]
    fn latencies_above_one_second_are_not_clamped() {
        let mut recorder = LatencyRecorder::default();
        for value in 1..=1_000u64 {
            recorder.record(value * 10_000_000); // 10 ms to 10 s
        }
        recorder.close_window(true);
        let total = recorder.total();
        assert!((total.p50_ns / 5e9 - 1.0).abs() < 1e-3, "{}", total.p50_ns);
        assert!((total.p99_ns / 9.9e9 - 1.0).abs() < 1e-3, "{}", total.p99_ns);
    }

    #[test]
    fn an_absorbed_window_equals_recording_twice() {
        let mut direct = LatencyRecorder::default();
        let mut first = LatencyRecorder::default();
        let mut second = LatencyRecorder::default();
        let mut union = LatencyRecorder::default();
        for value in 1..=5_000u64 {
            let latency = value * value * 977; // up to 24 s: past the initial bound
            direct.record(latency);
            if value % 3 == 0 {
                first.record(latency);
            } else {
                second.record(latency);
            }
        }
        union.absorb_window(&first);
        union.absorb_window(&second);
        assert_eq!(union.close_window(true), direct.close_window(true));
        assert_eq!(union.total(), direct.total());
    }

    #[test]
    fn nothing_recorded_is_no_latency_not_zero() {
        let mut recorder = LatencyRecorder::default();
        let window = recorder.close_window(true);
        assert_eq!(window.count, 0);
        for value in [
            window.mean_ns,
            window.p50_ns,
            window.p95_ns,
            window.p99_ns,
            window.p999_ns,
            window.max_ns,
        ] {
            assert!(value.is_nan(), "{window:?}");
        }
        assert!(recorder.total().p99_ns.is_nan());
    }

    #[test]
    fn only_kept_windows_reach_the_total() {
        let mut recorder = LatencyRecorder::default();
        recorder.record(5_000);
        recorder.close_window(false);
        recorder.record(7_000);
        recorder.close_window(true);
        let total = recorder.total();
        assert_eq!(total.count, 1);
        assert_eq!(total.max_ns, 7_000.0);
    }
}
