//! Where requests come from: the open arrival process (a Poisson process
//! whose rate follows the profile), the class mix, and the client's retry
//! backoff.
//!
//! A time-varying rate is simulated exactly by thinning (Lewis–Shedler)
//! with a bound per piece of the piecewise-linear profile: candidates come
//! at the bound rate and are kept with probability rate/bound. On a piece
//! where the rate is constant every candidate is kept and no extra draw is
//! made, so a constant-rate run draws exactly one exponential per arrival.

use std::f64::consts::TAU;

use rand::RngExt;
use rand_distr::{Distribution, Exp1};

use crate::engine::{SimDuration, SimTime, Stream};
use crate::scenario::{Diurnal, Jitter, RateChange, Retry};

/// The open arrival rate over time, in requests per nanosecond.
#[derive(Clone, Debug)]
pub struct RateProfile {
    /// Breakpoints `(time_ns, rate)` of the piecewise-linear level; a step
    /// is two points at the same time.
    points: Vec<(f64, f64)>,
    diurnal: Option<(f64, f64, f64)>,
}

const NANOS_PER_SECOND: f64 = 1e9;

impl RateProfile {
    pub fn new(base_per_second: f64, changes: &[RateChange], diurnal: Option<&Diurnal>) -> Self {
        let mut points = vec![(0.0, base_per_second / NANOS_PER_SECOND)];
        let mut level = base_per_second / NANOS_PER_SECOND;
        for change in changes {
            let at = change.at.as_nanos() as f64;
            let reached = at + change.over.as_nanos() as f64;
            let rate = change.rate / NANOS_PER_SECOND;
            points.push((at, level));
            points.push((reached, rate));
            match change.hold {
                Some(hold) => {
                    let back = reached + hold.as_nanos() as f64;
                    points.push((back, rate));
                    points.push((back, level));
                }
                None => level = rate,
            }
        }
        RateProfile {
            points,
            diurnal: diurnal.map(|d| (d.trough, d.period.as_nanos() as f64, d.peak_at.as_nanos() as f64)),
        }
    }

    /// The index of the piece containing `t`: the last point at or before it.
    fn piece(&self, t: f64) -> usize {
        self.points
            .partition_point(|&(time, _)| time <= t)
            .saturating_sub(1)
    }

    /// The level on piece `index` at time `t` (linear between its ends).
    fn level_on(&self, index: usize, t: f64) -> f64 {
        let (start, start_rate) = self.points[index];
        match self.points.get(index + 1) {
            Some(&(end, end_rate)) if end > start => {
                start_rate + (end_rate - start_rate) * ((t - start) / (end - start)).clamp(0.0, 1.0)
            }
            _ => start_rate,
        }
    }

    fn diurnal_factor(&self, t: f64) -> f64 {
        match self.diurnal {
            Some((trough, period, peak)) => {
                trough + (1.0 - trough) * (1.0 + (TAU * (t - peak) / period).cos()) / 2.0
            }
            None => 1.0,
        }
    }

    /// The rate at `time`, in requests per second.
    pub fn rate_per_second(&self, time: SimTime) -> f64 {
        let t = time.as_nanos() as f64;
        self.level_on(self.piece(t), t) * self.diurnal_factor(t) * NANOS_PER_SECOND
    }

    /// The highest rate the profile reaches, in requests per second.
    pub fn peak_per_second(&self) -> f64 {
        self.points.iter().map(|&(_, rate)| rate).fold(0.0, f64::max) * NANOS_PER_SECOND
    }

    /// The first arrival strictly after `t` (nanoseconds, fractional), or
    /// `None` if the rate stays zero forever.
    #[inline]
    pub fn next_arrival(&self, t: f64, rng: &mut Stream) -> Option<f64> {
        if let [(_, rate)] = self.points[..]
            && self.diurnal.is_none()
            && rate > 0.0
        {
            // One constant piece: what `next_arrival_thinned` computes,
            // without searching for the piece.
            let gap: f64 = Exp1.sample(rng);
            return Some(t + gap / rate);
        }
        self.next_arrival_thinned(t, rng)
    }

    /// `next_arrival` for a profile that varies: thinning against the
    /// piecewise-linear rate (and the diurnal cycle).
    #[inline(never)]
    fn next_arrival_thinned(&self, mut t: f64, rng: &mut Stream) -> Option<f64> {
        loop {
            let index = self.piece(t);
            // Skip zero-length pieces (steps) to the piece that contains t.
            let end = self.points[index + 1..]
                .iter()
                .map(|&(time, _)| time)
                .find(|&time| time > t)
                .unwrap_or(f64::INFINITY);
            let here = self.level_on(index, t);
            let there = if end.is_finite() {
                self.level_on(index, end)
            } else {
                here
            };
            let bound = here.max(there);
            if bound <= 0.0 {
                if end.is_infinite() {
                    return None;
                }
                t = end;
                continue;
            }
            let gap: f64 = Exp1.sample(rng);
            let candidate = t + gap / bound;
            if candidate >= end {
                // The exponential is memoryless: restart from the piece's end.
                t = end;
                continue;
            }
            if here == there && self.diurnal.is_none() {
                return Some(candidate);
            }
            let rate = self.level_on(index, candidate) * self.diurnal_factor(candidate);
            if rng.random::<f64>() * bound <= rate {
                return Some(candidate);
            }
            t = candidate;
        }
    }
}

/// Picks a class by weight.
#[derive(Clone, Debug)]
pub struct Mix {
    cumulative: Vec<f64>,
}

impl Mix {
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut total = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|weight| {
                total += weight;
                total
            })
            .collect();
        Mix { cumulative }
    }

    pub fn pick(&self, rng: &mut Stream) -> usize {
        if self.cumulative.len() == 1 {
            return 0;
        }
        let total = *self.cumulative.last().expect("a mix has classes");
        let point = rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|&edge| edge <= point)
            .min(self.cumulative.len() - 1)
    }
}

/// The wait before retry number `retry` (1 for the first retry).
pub fn backoff(policy: &Retry, retry: u32, rng: &mut Stream) -> SimDuration {
    let base = policy.backoff.as_nanos() as f64 * policy.multiplier.powi(retry.saturating_sub(1) as i32);
    let capped = base.min(policy.max_backoff.as_nanos() as f64);
    let wait = match policy.jitter {
        Jitter::None => capped,
        Jitter::Full => capped * rng.random::<f64>(),
        Jitter::Equal => capped / 2.0 + capped / 2.0 * rng.random::<f64>(),
    };
    SimDuration::from_nanos_f64(wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::random::stream;

    fn count_arrivals(profile: &RateProfile, from_s: f64, to_s: f64) -> usize {
        let mut rng = stream(5, "arrivals");
        let mut t = 0.0;
        let mut count = 0;
        while let Some(next) = profile.next_arrival(t, &mut rng) {
            if next > to_s * 1e9 {
                break;
            }
            if next >= from_s * 1e9 {
                count += 1;
            }
            t = next;
        }
        count
    }

    #[test]
    fn constant_rate_gives_poisson_counts() {
        let profile = RateProfile::new(1000.0, &[], None);
        // Poisson(100 000): sd ≈ 316; 5 sd = 1 581.
        let count = count_arrivals(&profile, 0.0, 100.0);
        assert!((count as i64 - 100_000).abs() < 1581, "{count}");
    }

    #[test]
    fn a_step_and_a_ramp_change_the_rate_where_they_say() {
        let changes = [
            RateChange {
                at: SimDuration::from_secs(100),
                rate: 3000.0,
                over: SimDuration::ZERO,
                hold: None,
            },
            RateChange {
                at: SimDuration::from_secs(200),
                rate: 1000.0,
                over: SimDuration::from_secs(100),
                hold: None,
            },
        ];
        let profile = RateProfile::new(1000.0, &changes, None);
        assert_eq!(profile.rate_per_second(SimTime(50_000_000_000)), 1000.0);
        assert_eq!(profile.rate_per_second(SimTime(150_000_000_000)), 3000.0);
        assert!((profile.rate_per_second(SimTime(250_000_000_000)) - 2000.0).abs() < 1e-6);
        // Expected counts: 100 000 before, 300 000 in the step, 200 000 in
        // the ramp; each within 5 Poisson standard deviations.
        for (from, to, expected) in [
            (0.0, 100.0, 100_000.0),
            (100.0, 200.0, 300_000.0),
            (200.0, 300.0, 200_000.0),
        ] {
            let count = count_arrivals(&profile, from, to) as f64;
            assert!(
                (count - expected).abs() < 5.0 * f64::sqrt(expected),
                "{from}-{to}: {count}"
            );
        }
    }

    #[test]
    fn a_spike_returns_to_the_previous_rate() {
        let changes = [RateChange {
            at: SimDuration::from_secs(10),
            rate: 5000.0,
            over: SimDuration::ZERO,
            hold: Some(SimDuration::from_secs(5)),
        }];
        let profile = RateProfile::new(100.0, &changes, None);
        assert_eq!(profile.rate_per_second(SimTime(12_000_000_000)), 5000.0);
        assert_eq!(profile.rate_per_second(SimTime(16_000_000_000)), 100.0);
        assert_eq!(profile.peak_per_second(), 5000.0);
    }

    #[test]
    fn diurnal_cycle_peaks_and_troughs() {
        let diurnal = Diurnal {
            trough: 0.2,
            period: SimDuration::from_secs(100),
            peak_at: SimDuration::from_secs(25),
        };
        let profile = RateProfile::new(1000.0, &[], Some(&diurnal));
        assert!((profile.rate_per_second(SimTime(25_000_000_000)) - 1000.0).abs() < 1e-6);
        assert!((profile.rate_per_second(SimTime(75_000_000_000)) - 200.0).abs() < 1e-6);
        // Over whole periods the mean rate is (1 + trough) / 2 of the peak.
        let count = count_arrivals(&profile, 0.0, 1000.0) as f64;
        let expected = 600.0 * 1000.0;
        assert!((count - expected).abs() < 5.0 * expected.sqrt(), "{count}");
    }

    /// The loader's estimate of a run's arrivals (which refuses a run that
    /// would exceed `max_events`) integrates the profile this one draws.
    #[test]
    fn the_loaders_arrival_estimate_matches_the_profile() {
        let text = "[scenario]\nduration = \"400s\"\n[workload]\narrivals = { kind = \"open\", rate = \"500/s\" }\n\
                    profile = [{ at = \"50s\", rate = \"2000/s\", over = \"100s\" }, \
                    { at = \"200s\", rate = \"4000/s\", for = \"40s\" }, { at = \"300s\", rate = \"10/s\", over = \"50s\" }]\n\
                    mix = [{ class = \"a\", call = \"web/a\" }]\n[pool.web]\nworkers = 1\n\
                    [pool.web.endpoint.a]\nservice = \"1ms\"\n";
        let scenario = crate::scenario::load_str(text).expect("loads").scenario;
        let workload = &scenario.workload;
        let crate::scenario::Arrivals::Open { rate, .. } = &workload.arrivals else {
            unreachable!("an open workload")
        };
        let profile = RateProfile::new(rate.per_second(), &workload.profile, workload.diurnal.as_ref());
        let expected = workload
            .expected_arrivals(scenario.duration)
            .expect("an open workload");
        let count = count_arrivals(&profile, 0.0, 400.0) as f64;
        assert!(
            (count - expected).abs() < 5.0 * expected.sqrt(),
            "{count} drawn, {expected} estimated"
        );
    }

    #[test]
    fn mix_picks_by_weight() {
        let mix = Mix::new([90.0, 10.0]);
        let mut rng = stream(1, "mix");
        let firsts = (0..100_000).filter(|_| mix.pick(&mut rng) == 0).count();
        // Binomial(100 000, 0.9): sd ≈ 95.
        assert!((firsts as i64 - 90_000).abs() < 475, "{firsts}");
    }

    #[test]
    fn backoff_grows_and_caps() {
        let policy = Retry {
            retries: 5,
            backoff: SimDuration::from_millis(100),
            multiplier: 2.0,
            max_backoff: SimDuration::from_millis(300),
            jitter: Jitter::None,
            budget: None,
        };
        let mut rng = stream(1, "retry");
        let waits: Vec<u64> = (1..=4)
            .map(|k| backoff(&policy, k, &mut rng).as_nanos() / 1_000_000)
            .collect();
        assert_eq!(waits, vec![100, 200, 300, 300]);
        let full = Retry {
            jitter: Jitter::Full,
            ..policy
        };
        for _ in 0..100 {
            assert!(backoff(&full, 1, &mut rng) <= SimDuration::from_millis(100));
        }
    }
}
