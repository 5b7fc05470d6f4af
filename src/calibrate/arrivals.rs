//! The arrival process of a log: mean and peak rate, the peak factor, a
//! diurnal profile when the log spans a day or more, and the index of
//! dispersion of counts (variance / mean of requests per second: 1 for
//! Poisson arrivals, above for bursts, below for arrivals more regular than
//! Poisson).
//!
//! The peak is the busiest whole window: one minute when the log spans an
//! hour or more, else one second. Arrivals far from Poisson — an index of
//! dispersion above 1.5 or below 0.67 — get a warning: the scenario's
//! Poisson arrivals will under- (or over-) state queueing.

/// What the arrivals look like.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrivals {
    pub requests: usize,
    /// From the first arrival to the last.
    pub span_s: f64,
    pub mean_rps: f64,
    pub peak_rps: f64,
    pub peak_window_s: f64,
    pub dispersion: f64,
    /// Mean rate per hour of the day (UTC) relative to the mean, when the
    /// log spans at least 24 hours.
    pub diurnal: Option<[f64; 24]>,
}

impl Arrivals {
    pub fn peak_factor(&self) -> f64 {
        self.peak_rps / self.mean_rps
    }

    /// Whether the index of dispersion is far from Poisson's 1.
    pub fn far_from_poisson(&self) -> bool {
        !(0.67..=1.5).contains(&self.dispersion)
    }
}

/// Analyses arrival times (Unix seconds, any order; at least two distinct).
pub fn analyse(times: &[f64]) -> Option<Arrivals> {
    let first = times.iter().copied().fold(f64::INFINITY, f64::min);
    let last = times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span_s = last - first;
    if span_s.is_nan() || span_s <= 0.0 {
        return None;
    }
    let mean_rps = times.len() as f64 / span_s;
    let peak_window_s = if span_s >= 3600.0 { 60.0 } else { 1.0 };
    let counts = |width: f64| {
        let bins = ((span_s / width).floor() as usize).max(1);
        let mut counts = vec![0u64; bins];
        for &time in times {
            let bin = ((time - first) / width) as usize;
            // The last partial window is left out, not counted short.
            if let Some(count) = counts.get_mut(bin) {
                *count += 1;
            }
        }
        counts
    };
    let peak = counts(peak_window_s);
    let peak_rps = peak.iter().copied().max().unwrap_or(0) as f64 / peak_window_s;
    // The first second is left out of the dispersion too: with timestamps
    // to the second (nginx's `$time_local`, Apache's `%t`) it holds only
    // the arrivals after the log began, and one short count among a hundred
    // doubles the variance of Poisson arrivals at 160/s.
    let all_seconds = counts(1.0);
    let seconds = if all_seconds.len() >= 3 {
        &all_seconds[1..]
    } else {
        &all_seconds[..]
    };
    let mean = seconds.iter().sum::<u64>() as f64 / seconds.len() as f64;
    let variance = seconds.iter().map(|&c| (c as f64 - mean).powi(2)).sum::<f64>() / seconds.len() as f64;
    let dispersion = if mean > 0.0 { variance / mean } else { f64::NAN };
    let diurnal = (span_s >= 86_400.0).then(|| {
        let mut by_hour = [0u64; 24];
        let mut hours_seen = [0f64; 24];
        for &time in times {
            by_hour[(time.rem_euclid(86_400.0) / 3600.0) as usize % 24] += 1;
        }
        // Seconds of the log that fall in each hour of the day.
        let mut at = first;
        while at < last {
            let hour = (at.rem_euclid(86_400.0) / 3600.0) as usize % 24;
            let next = ((at / 3600.0).floor() + 1.0) * 3600.0;
            hours_seen[hour] += next.min(last) - at;
            at = next;
        }
        let mut profile = [0.0; 24];
        for hour in 0..24 {
            profile[hour] = if hours_seen[hour] > 0.0 {
                by_hour[hour] as f64 / hours_seen[hour] / mean_rps
            } else {
                0.0
            };
        }
        profile
    });
    Some(Arrivals {
        requests: times.len(),
        span_s,
        mean_rps,
        peak_rps,
        peak_window_s,
        dispersion,
        diurnal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_arrivals_have_no_dispersion() {
        let times: Vec<f64> = (0..1000).map(|i| i as f64 * 0.1).collect();
        let arrivals = analyse(&times).unwrap();
        assert!((arrivals.mean_rps - 1000.0 / 99.9).abs() < 1e-9);
        assert_eq!(arrivals.peak_rps, 10.0);
        assert!(arrivals.dispersion < 0.01 && arrivals.far_from_poisson());
        assert!(arrivals.diurnal.is_none());
    }

    #[test]
    fn poisson_arrivals_logged_to_the_second_are_not_overdispersed() {
        // Poisson arrivals at 160/s for 100 s, starting 0.85 s into a
        // second, their times truncated to whole seconds as nginx logs them.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut t, mut times): (f64, Vec<f64>) = (1_000.85, Vec::new());
        while t < 1_100.85 {
            times.push(t.floor());
            t += -(1.0 - uniform()).ln() / 160.0;
        }
        let arrivals = analyse(&times).unwrap();
        // Var/mean of 99 Poisson counts: 1 ± about 2 × sqrt(2/98).
        assert!(
            (arrivals.dispersion - 1.0).abs() < 0.3 && !arrivals.far_from_poisson(),
            "{arrivals:?}"
        );
    }

    #[test]
    fn bursts_are_overdispersed() {
        // 100 requests at once every 10 s.
        let times: Vec<f64> = (0..3000).map(|i| (i / 100) as f64 * 10.0).collect();
        let arrivals = analyse(&times).unwrap();
        assert!(arrivals.dispersion > 50.0, "{arrivals:?}");
        assert_eq!(arrivals.peak_rps, 100.0);
    }

    #[test]
    fn two_days_give_a_daily_profile() {
        // Twice the rate from 12:00 to 24:00.
        let mut times = Vec::new();
        let mut t: f64 = 0.0;
        while t < 2.0 * 86_400.0 {
            times.push(t);
            t += if t.rem_euclid(86_400.0) >= 43_200.0 {
                5.0
            } else {
                10.0
            };
        }
        let profile = analyse(&times).unwrap().diurnal.unwrap();
        assert!((profile[18] / profile[6] - 2.0).abs() < 0.01, "{profile:?}");
    }

    #[test]
    fn one_instant_is_not_a_process() {
        assert_eq!(analyse(&[5.0, 5.0]), None);
        assert_eq!(analyse(&[]), None);
    }
}
