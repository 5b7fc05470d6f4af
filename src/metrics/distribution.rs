//! A run's latency distribution: the kept windows' latency histograms of
//! a scope, coarsened to buckets a chart and a CSV file can hold, for
//! `latency.csv` and the latency distribution chart.
//!
//! The HDR histograms count latencies in buckets 1/1,024 of their value
//! wide (`latency`): thousands of rows per scope. Here a bucket keeps the
//! first five significant bits of a value, so each power of two splits
//! into 16 buckets (3–6 % of their value wide) and a run from 1 ms to 2 s
//! has at most 176 per scope. The edges are powers of two times integers,
//! so every HDR bucket lies inside exactly one of these: the counts add up
//! exactly, and the bucket that holds a percentile of the histogram is the
//! bucket in which the distribution's cumulative count crosses it.

use super::LatencyRecorder;

/// Significant bits a bucket's edges keep.
const BUCKET_BITS: u32 = 5;

/// Latencies of one scope in `[lower_ns, upper_ns)`: `count` successes and
/// `all_count` ended requests (successes and failures, `latency_all`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DistributionRow {
    pub lower_ns: u64,
    pub upper_ns: u64,
    pub count: u64,
    pub all_count: u64,
}

/// The buckets of one scope, ascending, each with a non-zero count.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeDistribution {
    pub scope: String,
    pub rows: Vec<DistributionRow>,
}

/// The latency distributions of a run's request scopes (`overall`, then
/// each `class:<name>`), or of a set of replications pooled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencyDistribution {
    pub scopes: Vec<ScopeDistribution>,
}

/// The bucket `[lower, upper)` that holds `value_ns`.
pub fn bucket_of(value_ns: u64) -> (u64, u64) {
    let bits = u64::BITS - value_ns.leading_zeros();
    if bits <= BUCKET_BITS {
        return (value_ns, value_ns + 1);
    }
    let shift = bits - BUCKET_BITS;
    let lower = value_ns >> shift << shift;
    (lower, lower.saturating_add(1 << shift))
}

impl LatencyDistribution {
    /// Adds a scope from its recorders of successes and of every ended
    /// request (their kept windows).
    pub fn push_scope(&mut self, scope: &str, successes: &LatencyRecorder, all: &LatencyRecorder) {
        // Walk this module's buckets from the lowest latency either recorder
        // holds to the highest, and ask each recorder for its count in each:
        // a few hundred sums over the HDR counts. Every HDR bucket lies inside
        // one of ours (see the module doc), so the counts are exact. Folding
        // hdrhistogram's recorded-value iterator instead (thousands of buckets,
        // each through a map) cost more than the rest of a short run's close.
        let ranges = [successes.total_range(), all.total_range()];
        let mut rows = Vec::new();
        if let Some((low_ns, high_ns)) = ranges
            .into_iter()
            .flatten()
            .reduce(|(low, high), (other_low, other_high)| (low.min(other_low), high.max(other_high)))
        {
            let mut lower_ns = bucket_of(low_ns).0;
            loop {
                let (_, upper_ns) = bucket_of(lower_ns);
                let count = successes.total_count_in(lower_ns, upper_ns);
                let all_count = all.total_count_in(lower_ns, upper_ns);
                if count > 0 || all_count > 0 {
                    rows.push(DistributionRow {
                        lower_ns,
                        upper_ns,
                        count,
                        all_count,
                    });
                }
                // `upper_ns` saturates at the top of `u64`: no bucket after it.
                if upper_ns > high_ns || upper_ns == u64::MAX {
                    break;
                }
                lower_ns = upper_ns;
            }
        }
        self.scopes.push(ScopeDistribution {
            scope: scope.to_owned(),
            rows,
        });
    }

    /// Replications pooled: each scope's counts summed bucket by bucket,
    /// scopes in the first distribution's order (then any others, in the
    /// order they come).
    pub fn pooled<'a>(parts: impl IntoIterator<Item = &'a LatencyDistribution>) -> LatencyDistribution {
        let mut pooled = LatencyDistribution::default();
        for part in parts {
            for scope in &part.scopes {
                let index = match pooled.scopes.iter().position(|own| own.scope == scope.scope) {
                    Some(index) => index,
                    None => {
                        pooled.scopes.push(ScopeDistribution {
                            scope: scope.scope.clone(),
                            rows: Vec::new(),
                        });
                        pooled.scopes.len() - 1
                    }
                };
                let own = &mut pooled.scopes[index];
                for row in &scope.rows {
                    own.add((row.lower_ns, row.upper_ns), row.count, row.all_count);
                }
                own.rows.sort_by_key(|row| row.lower_ns);
            }
        }
        pooled
    }
}

impl ScopeDistribution {
    fn add(&mut self, (lower_ns, upper_ns): (u64, u64), count: u64, all_count: u64) {
        // Buckets arrive in ascending order from one histogram: the last
        // row is the usual match.
        match self.rows.iter_mut().rev().find(|row| row.lower_ns == lower_ns) {
            Some(row) => {
                row.count += count;
                row.all_count += all_count;
            }
            None => self.rows.push(DistributionRow {
                lower_ns,
                upper_ns,
                count,
                all_count,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_keep_five_significant_bits() {
        assert_eq!(bucket_of(0), (0, 1));
        assert_eq!(bucket_of(31), (31, 32));
        assert_eq!(bucket_of(32), (32, 34));
        assert_eq!(bucket_of(63), (62, 64));
        assert_eq!(bucket_of(1_000_000), (983_040, 1_015_808));
        for value in [1u64, 77, 4_095, 1 << 20, 3_000_000_000, u64::MAX / 4] {
            let (lower, upper) = bucket_of(value);
            assert!(lower <= value && value < upper, "{value}");
            assert!(
                (upper - lower) as f64 <= (lower as f64 / 16.0).max(1.0),
                "{value}"
            );
        }
    }

    #[test]
    fn counts_add_up_and_the_p99_bucket_is_where_the_cdf_crosses() {
        let mut successes = LatencyRecorder::default();
        let mut all = LatencyRecorder::default();
        for value in 1..=20_000u64 {
            let latency = value * value * 31 % 3_000_000_000 + 1_000;
            successes.record(latency);
            all.record(latency);
        }
        all.record(2_000_000_000);
        successes.close_window(true);
        all.close_window(true);
        let mut distribution = LatencyDistribution::default();
        distribution.push_scope("overall", &successes, &all);
        let rows = &distribution.scopes[0].rows;
        assert_eq!(rows.iter().map(|row| row.count).sum::<u64>(), 20_000);
        assert_eq!(rows.iter().map(|row| row.all_count).sum::<u64>(), 20_001);
        assert!(rows.windows(2).all(|pair| pair[0].upper_ns <= pair[1].lower_ns));
        let p99 = successes.total().p99_ns as u64;
        let mut seen = 0;
        let crossing = rows
            .iter()
            .find(|row| {
                seen += row.count;
                seen as f64 >= 0.99 * 20_000.0
            })
            .unwrap();
        assert!(
            crossing.lower_ns <= p99 && p99 < crossing.upper_ns,
            "{p99} {crossing:?}"
        );
    }

    /// The rows folded from every recorded HDR bucket, one at a time: the
    /// slow, obvious way `push_scope` must agree with.
    fn rows_bucket_by_bucket(successes: &LatencyRecorder, all: &LatencyRecorder) -> Vec<DistributionRow> {
        let mut rows = std::collections::BTreeMap::new();
        let buckets = successes.total_buckets().map(|(value, count)| (value, count, 0));
        for (value_ns, count, all_count) in
            buckets.chain(all.total_buckets().map(|(value, count)| (value, 0, count)))
        {
            let (lower_ns, upper_ns) = bucket_of(value_ns);
            let row = rows.entry(lower_ns).or_insert(DistributionRow {
                lower_ns,
                upper_ns,
                count: 0,
                all_count: 0,
            });
            row.count += count;
            row.all_count += all_count;
        }
        rows.into_values().collect()
    }

    #[test]
    fn rows_are_those_of_every_recorded_bucket_folded() {
        // Zero, the exact range, the edges of the initial 1 s bound, failures
        // only past the successes' largest bucket (whose histogram did not grow
        // that far), and values far past it after the resize.
        let mut successes = LatencyRecorder::default();
        let mut all = LatencyRecorder::default();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..50_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            // Spread over every power of two below 2^30 (the 1 s bound).
            let latency = ((state >> 34) % 1_073_741_824) >> ((state >> 20) % 30);
            successes.record(latency);
            all.record(latency);
        }
        for latency in [0, 1, 31, 32, 2_047, 2_048, 1_073_741_823] {
            successes.record(latency);
            all.record(latency);
        }
        for failure in [1_073_741_824, 3_000_000_000, 90_000_000_000, 5] {
            all.record(failure);
        }
        successes.close_window(true);
        all.close_window(true);
        let mut distribution = LatencyDistribution::default();
        distribution.push_scope("overall", &successes, &all);
        let want = rows_bucket_by_bucket(&successes, &all);
        assert!(want.len() > 300, "{}", want.len());
        assert_eq!(distribution.scopes[0].rows, want);

        // Failures alone, and nothing at all.
        let none = LatencyRecorder::default();
        let mut distribution = LatencyDistribution::default();
        distribution.push_scope("failures", &none, &all);
        distribution.push_scope("empty", &none, &none);
        assert_eq!(distribution.scopes[0].rows, rows_bucket_by_bucket(&none, &all));
        assert!(distribution.scopes[1].rows.is_empty());
    }

    #[test]
    fn pooling_sums_bucket_by_bucket() {
        let mut one = LatencyRecorder::default();
        one.record(5_000);
        one.record(70_000);
        one.close_window(true);
        let mut two = LatencyRecorder::default();
        two.record(5_001);
        two.close_window(true);
        let mut first = LatencyDistribution::default();
        first.push_scope("overall", &one, &one);
        let mut second = LatencyDistribution::default();
        second.push_scope("overall", &two, &two);
        let pooled = LatencyDistribution::pooled([&first, &second]);
        let counts: Vec<(u64, u64)> = pooled.scopes[0]
            .rows
            .iter()
            .map(|row| (row.lower_ns, row.count))
            .collect();
        assert_eq!(counts, vec![(4_864, 2), (69_632, 1)]);
    }
}
