//! Service-time distributions fitted to a log: each family's maximum-
//! likelihood parameters, a Kolmogorov–Smirnov test of the fit, and the
//! choice among const, exp, lognormal, gamma and empirical.
//!
//! The parameters are estimated from the same data the test sees, so the
//! plain KS table would accept too much; the critical values account for
//! it, at the 1 % level:
//! - exp: Stephens' (1974) modified statistic `(D − 0.2/n)(√n + 0.26 +
//!   0.5/√n)` against 1.308 (Lilliefors' exponential case);
//! - lognormal: the logs tested as normal with estimated mean and
//!   deviation, Stephens' `D(√n − 0.01 + 0.85/√n)` against 1.035
//!   (Lilliefors' normal case);
//! - gamma, whose null distribution depends on the shape: a parametric
//!   bootstrap — 400 samples of min(n, 1000) draws from the fitted gamma,
//!   each refitted and tested, from a PCG-64 generator with a fixed seed so
//!   the verdict is the same on every run — whose 99th percentile of `√m·D`
//!   is the critical value for `√n·D` (KS's scaling with the sample size).
//!
//! Logs that write times at a coarse resolution (nginx and ALB to the
//! millisecond) hold a discretised sample: thousands of ties at 2, 3, 4 ms.
//! Against a continuous CDF every smooth family then fails KS on the
//! staircase alone. When every sample is a multiple of a resolution δ and
//! ties are common (at most n/4 distinct values), each family is tested
//! against its own distribution *as the log would write it*: a time t
//! logged as the difference of two clock readings truncated to δ reads
//! ⌊t/δ⌋δ or ⌊t/δ⌋δ + δ, the latter with probability frac(t/δ) (nginx's
//! `$upstream_response_time` is such a difference), so
//! P(logged ≤ kδ) = (1/δ)∫ₖδ^(kδ+δ) F(t) dt. The distance is taken at the
//! grid points, and every family's critical value then comes from the
//! parametric bootstrap (draws discretised the same way), since the tables
//! above are for continuous samples. The fitted parameters are those of the
//! continuous distribution (zeros, for lognormal and gamma, fitted as δ/2).
//!
//! The choice: `const` when every sample is within 0.1 % of the mean (no
//! test: there is no spread to test); otherwise `exp` if accepted (one
//! parameter); otherwise whichever of lognormal and gamma is accepted with
//! the smaller ratio of statistic to critical value; otherwise `empirical`
//! (the 0th to 100th percentiles by steps of 0.5 %, so the tail up to p99.5
//! is the log's).

use rand_distr::Distribution;
use rand_pcg::Pcg64Mcg;

use super::special::{digamma, gamma_p, trigamma};
use crate::scenario::dist::{standard_normal_cdf as normal_cdf, standard_normal_quantile as normal_quantile};

/// A fitted distribution (times in milliseconds).
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Const {
        value: f64,
    },
    Exp {
        mean: f64,
    },
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    Gamma {
        shape: f64,
        scale: f64,
    },
    /// Sorted percentiles, interpolated linearly (as capsim draws them).
    Empirical {
        points: Vec<f64>,
    },
}

/// One family's test.
#[derive(Clone, Debug, PartialEq)]
pub struct Test {
    pub family: &'static str,
    /// The statistic as compared (modified or scaled, see the module notes).
    pub statistic: f64,
    pub critical: f64,
}

impl Test {
    pub fn accepted(&self) -> bool {
        self.statistic <= self.critical
    }
}

/// The chosen distribution and every test that led to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    pub dist: Dist,
    pub tests: Vec<Test>,
    pub samples: usize,
    /// The log's time resolution (ms) when the sample was found discretised
    /// and the tests were against the discretised families.
    pub resolution: Option<f64>,
}

impl Dist {
    pub fn family(&self) -> &'static str {
        match self {
            Dist::Const { .. } => "const",
            Dist::Exp { .. } => "exp",
            Dist::LogNormal { .. } => "lognormal",
            Dist::Gamma { .. } => "gamma",
            Dist::Empirical { .. } => "empirical",
        }
    }

    pub fn mean(&self) -> f64 {
        match self {
            Dist::Const { value } => *value,
            Dist::Exp { mean } => *mean,
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Gamma { shape, scale } => shape * scale,
            // The mean of the piecewise-linear distribution between points.
            Dist::Empirical { points } => {
                points
                    .windows(2)
                    .map(|pair| (pair[0] + pair[1]) / 2.0)
                    .sum::<f64>()
                    / (points.len() - 1) as f64
            }
        }
    }

    /// Coefficient of variation (lognormal and gamma).
    pub fn cv(&self) -> f64 {
        match self {
            Dist::LogNormal { sigma, .. } => ((sigma * sigma).exp() - 1.0).sqrt(),
            Dist::Gamma { shape, .. } => 1.0 / shape.sqrt(),
            Dist::Exp { .. } => 1.0,
            _ => f64::NAN,
        }
    }

    pub fn cdf(&self, x: f64) -> f64 {
        match self {
            Dist::Const { value } => f64::from(u8::from(x >= *value)),
            Dist::Exp { mean } => 1.0 - (-x.max(0.0) / mean).exp(),
            Dist::LogNormal { mu, sigma } if x > 0.0 => normal_cdf((x.ln() - mu) / sigma),
            Dist::Gamma { shape, scale } => gamma_p(*shape, x / scale),
            Dist::LogNormal { .. } => 0.0,
            Dist::Empirical { points } => {
                let steps = (points.len() - 1) as f64;
                match points.iter().position(|&point| point > x) {
                    None => 1.0,
                    Some(0) => 0.0,
                    Some(at) => {
                        let (low, high) = (points[at - 1], points[at]);
                        ((at - 1) as f64 + (x - low) / (high - low)) / steps
                    }
                }
            }
        }
    }

    /// The `p` quantile, 0 < p < 1.
    pub fn quantile(&self, p: f64) -> f64 {
        match self {
            Dist::Const { value } => *value,
            Dist::Exp { mean } => -mean * (1.0 - p).ln(),
            Dist::LogNormal { mu, sigma } => (mu + sigma * normal_quantile(p)).exp(),
            Dist::Gamma { shape, scale } => {
                let (mut low, mut high) = (0.0, shape * scale);
                while gamma_p(*shape, high / scale) < p {
                    high *= 2.0;
                }
                for _ in 0..200 {
                    let middle = (low + high) / 2.0;
                    if gamma_p(*shape, middle / scale) < p {
                        low = middle;
                    } else {
                        high = middle;
                    }
                }
                (low + high) / 2.0
            }
            Dist::Empirical { points } => {
                let at = p * (points.len() - 1) as f64;
                let below = at.floor() as usize;
                let above = (below + 1).min(points.len() - 1);
                points[below] + (at - below as f64) * (points[above] - points[below])
            }
        }
    }
}

/// The KS distance between sorted `samples` and `cdf`.
fn ks(samples: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let n = samples.len() as f64;
    samples.iter().enumerate().fold(0.0, |d: f64, (i, &x)| {
        let f = cdf(x);
        d.max(f - i as f64 / n).max((i + 1) as f64 / n - f)
    })
}

/// Resolutions (ms) a log may write times at, coarsest first.
const RESOLUTIONS_MS: [f64; 7] = [1000.0, 100.0, 10.0, 1.0, 0.1, 0.01, 0.001];

/// The resolution of a discretised sample: the coarsest δ every sample is a
/// multiple of, when ties are common (at most n/4 distinct values) and the
/// grid between the smallest and largest sample has at most a million points.
fn resolution(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    let distinct = 1 + sorted.windows(2).filter(|pair| pair[1] != pair[0]).count();
    if n < 8 || distinct * 4 > n {
        return None;
    }
    let delta = RESOLUTIONS_MS.into_iter().find(|&delta| {
        sorted
            .iter()
            .all(|&x| ((x / delta) - (x / delta).round()).abs() < 1e-6)
    })?;
    ((sorted[n - 1] - sorted[0]) / delta <= 1e6).then_some(delta)
}

/// P(logged ≤ x) for a time with CDF `cdf` written at resolution `delta`:
/// the mean of the CDF over [x, x + δ] (Simpson's rule on 8 panels).
fn discretised_cdf(cdf: &impl Fn(f64) -> f64, x: f64, delta: f64) -> f64 {
    const PANELS: usize = 8;
    let h = delta / PANELS as f64;
    let sum: f64 = (0..=PANELS)
        .map(|i| {
            let weight = match i {
                0 | PANELS => 1.0,
                i if i % 2 == 1 => 4.0,
                _ => 2.0,
            };
            weight * cdf(x + i as f64 * h)
        })
        .sum();
    sum * h / 3.0 / delta
}

/// The KS distance between a sample on the grid of `delta` (sorted) and
/// `cdf` discretised to it: both are step functions on the grid, so the
/// distance is the largest difference at a grid point.
fn ks_grid(samples: &[f64], delta: f64, cdf: impl Fn(f64) -> f64) -> f64 {
    let n = samples.len() as f64;
    let first = (samples[0] / delta).round() as i64;
    let last = (samples[samples.len() - 1] / delta).round() as i64;
    let mut below = 0;
    let mut d: f64 = 0.0;
    for k in first - 1..=last {
        let x = k as f64 * delta;
        while below < samples.len() && samples[below] <= x + delta * 1e-6 {
            below += 1;
        }
        d = d.max((below as f64 / n - discretised_cdf(&cdf, x, delta)).abs());
    }
    d
}

/// A time `t` as a log at resolution `delta` writes it (see the module notes).
fn discretise(t: f64, delta: f64, rng: &mut Pcg64Mcg) -> f64 {
    let steps = t / delta;
    let floor = steps.floor();
    let up = rand::RngExt::random::<f64>(rng) < steps - floor;
    (floor + f64::from(u8::from(up))) * delta
}

/// The samples a family is fitted to: zeros (a time below a discretised
/// log's resolution) as half the resolution, so the logarithms exist.
fn positive(sorted: &[f64], resolution: Option<f64>) -> Option<Vec<f64>> {
    match resolution {
        Some(delta) => Some(
            sorted
                .iter()
                .map(|&x| if x <= 0.0 { delta / 2.0 } else { x })
                .collect(),
        ),
        None => (sorted[0] > 0.0).then(|| sorted.to_vec()),
    }
}

fn exp_mle(samples: &[f64]) -> Option<Dist> {
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    (mean > 0.0).then_some(Dist::Exp { mean })
}

fn lognormal_mle(samples: &[f64]) -> Option<Dist> {
    if samples.iter().any(|&x| x <= 0.0) {
        return None;
    }
    let n = samples.len() as f64;
    let mu = samples.iter().map(|x| x.ln()).sum::<f64>() / n;
    let variance = samples.iter().map(|x| (x.ln() - mu).powi(2)).sum::<f64>() / n;
    let sigma = variance.sqrt();
    (sigma.is_finite() && sigma > 0.0).then_some(Dist::LogNormal { mu, sigma })
}

fn exp_test(sorted: &[f64], resolution: Option<f64>) -> Option<(Dist, Test)> {
    let dist = exp_mle(sorted)?;
    if let Some(delta) = resolution {
        return bootstrap("exp", dist, sorted, Some(delta), exp_mle);
    }
    let n = sorted.len() as f64;
    let d = ks(sorted, |x| dist.cdf(x));
    let statistic = (d - 0.2 / n) * (n.sqrt() + 0.26 + 0.5 / n.sqrt());
    Some((
        dist,
        Test {
            family: "exp",
            statistic,
            critical: 1.308,
        },
    ))
}

fn lognormal_test(sorted: &[f64], resolution: Option<f64>) -> Option<(Dist, Test)> {
    let fitted = positive(sorted, resolution)?;
    let dist = lognormal_mle(&fitted)?;
    if let Some(delta) = resolution {
        return bootstrap("lognormal", dist, sorted, Some(delta), |draws| {
            lognormal_mle(&positive(draws, Some(delta))?)
        });
    }
    let n = sorted.len() as f64;
    let d = ks(sorted, |x| dist.cdf(x));
    let statistic = d * (n.sqrt() - 0.01 + 0.85 / n.sqrt());
    Some((
        dist,
        Test {
            family: "lognormal",
            statistic,
            critical: 1.035,
        },
    ))
}

/// Gamma by maximum likelihood: Minka's starting point, then Newton on the
/// shape.
fn gamma_mle(samples: &[f64]) -> Option<Dist> {
    let n = samples.len() as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let mean_log = samples.iter().map(|x| x.ln()).sum::<f64>() / n;
    let s = mean.ln() - mean_log;
    if s.is_nan() || s <= 0.0 || !s.is_finite() {
        return None;
    }
    let mut shape = (3.0 - s + ((s - 3.0).powi(2) + 24.0 * s).sqrt()) / (12.0 * s);
    for _ in 0..20 {
        let step = (shape.ln() - digamma(shape) - s) / (1.0 / shape - trigamma(shape));
        shape = (shape - step).max(shape / 10.0);
        if step.abs() < 1e-12 * shape {
            break;
        }
    }
    Some(Dist::Gamma {
        shape,
        scale: mean / shape,
    })
}

/// Bootstrap draws for the gamma test, and the seed that makes it repeatable.
const BOOTSTRAP_SAMPLES: usize = 400;
const BOOTSTRAP_SIZE: usize = 1000;
const BOOTSTRAP_SEED: u128 = 0x0063_616c_6962_7261_7465_5f67_616d_6d61;

/// One draw from a fitted distribution.
type Draw = Box<dyn Fn(&mut Pcg64Mcg) -> f64>;

/// Draws from a fitted exp, lognormal or gamma (the families the bootstrap
/// tests), floored at the smallest positive time.
fn sampler(dist: &Dist) -> Option<Draw> {
    fn floored(value: f64) -> f64 {
        value.max(f64::MIN_POSITIVE)
    }
    match *dist {
        Dist::Exp { mean } => {
            let exp = rand_distr::Exp::new(1.0 / mean).ok()?;
            Some(Box::new(move |rng| floored(exp.sample(rng))))
        }
        Dist::LogNormal { mu, sigma } => {
            let lognormal = rand_distr::LogNormal::new(mu, sigma).ok()?;
            Some(Box::new(move |rng| floored(lognormal.sample(rng))))
        }
        Dist::Gamma { shape, scale } => {
            let gamma = rand_distr::Gamma::new(shape, scale).ok()?;
            Some(Box::new(move |rng| floored(gamma.sample(rng))))
        }
        Dist::Const { .. } | Dist::Empirical { .. } => None,
    }
}

/// A KS test whose critical value is the 99th percentile of `√m·D` over
/// parametric-bootstrap samples of the fitted `dist` (each refitted with
/// `refit`), compared with `√n·D` of the data; with a `resolution` the draws
/// are discretised as the log writes times and the distances are taken on
/// the grid. Repeatable: a fixed seed.
fn bootstrap(
    family: &'static str,
    dist: Dist,
    sorted: &[f64],
    resolution: Option<f64>,
    refit: impl Fn(&[f64]) -> Option<Dist>,
) -> Option<(Dist, Test)> {
    let draw = sampler(&dist)?;
    let distance = |samples: &[f64], fitted: &Dist| match resolution {
        Some(delta) => ks_grid(samples, delta, |x| fitted.cdf(x)),
        None => ks(samples, |x| fitted.cdf(x)),
    };
    let statistic = distance(sorted, &dist) * (sorted.len() as f64).sqrt();
    let mut rng = Pcg64Mcg::new(BOOTSTRAP_SEED);
    let size = sorted.len().min(BOOTSTRAP_SIZE);
    let mut scaled: Vec<f64> = (0..BOOTSTRAP_SAMPLES)
        .map(|_| {
            let mut draws: Vec<f64> = (0..size)
                .map(|_| {
                    let t = draw(&mut rng);
                    resolution.map_or(t, |delta| discretise(t, delta, &mut rng))
                })
                .collect();
            draws.sort_by(f64::total_cmp);
            let refitted = refit(&draws).unwrap_or(dist.clone());
            distance(&draws, &refitted) * (size as f64).sqrt()
        })
        .collect();
    scaled.sort_by(f64::total_cmp);
    let critical = scaled[(BOOTSTRAP_SAMPLES * 99) / 100 - 1];
    Some((
        dist,
        Test {
            family,
            statistic,
            critical,
        },
    ))
}

fn gamma_test(sorted: &[f64], resolution: Option<f64>) -> Option<(Dist, Test)> {
    let fitted = positive(sorted, resolution)?;
    let dist = gamma_mle(&fitted)?;
    bootstrap("gamma", dist, sorted, resolution, |draws| {
        gamma_mle(&positive(draws, resolution)?)
    })
}

/// Fits `samples` (milliseconds, at least one, each finite and ≥ 0).
pub fn fit(samples: &[f64]) -> Fit {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let mean = sorted.iter().sum::<f64>() / n as f64;
    if sorted[n - 1] - sorted[0] <= 1e-3 * mean || n < 2 {
        return Fit {
            dist: Dist::Const { value: mean },
            tests: Vec::new(),
            samples: n,
            resolution: None,
        };
    }
    let resolution = resolution(&sorted);
    let mut tests = Vec::new();
    let exp = exp_test(&sorted, resolution);
    let exp_accepted = exp.as_ref().is_some_and(|(_, test)| test.accepted());
    if let Some((_, test)) = &exp {
        tests.push(test.clone());
    }
    let mut candidates = Vec::new();
    for fitted in [
        lognormal_test(&sorted, resolution),
        gamma_test(&sorted, resolution),
    ]
    .into_iter()
    .flatten()
    {
        tests.push(fitted.1.clone());
        if fitted.1.accepted() {
            candidates.push(fitted);
        }
    }
    let dist = if let (true, Some((exp, _))) = (exp_accepted, exp) {
        exp
    } else if let Some((dist, _)) = candidates
        .into_iter()
        .min_by(|a, b| (a.1.statistic / a.1.critical).total_cmp(&(b.1.statistic / b.1.critical)))
    {
        dist
    } else {
        let points = (0..=200)
            .map(|i| {
                let at = i as f64 / 200.0 * (n - 1) as f64;
                let below = at.floor() as usize;
                let above = (below + 1).min(n - 1);
                sorted[below] + (at - below as f64) * (sorted[above] - sorted[below])
            })
            .collect();
        Dist::Empirical { points }
    };
    Fit {
        dist,
        tests,
        samples: n,
        resolution,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(dist: impl Distribution<f64>, n: usize, seed: u128) -> Vec<f64> {
        let mut rng = Pcg64Mcg::new(seed);
        (0..n).map(|_| dist.sample(&mut rng)).collect()
    }

    #[test]
    fn recovers_each_family() {
        let n = 5000;
        let exp = fit(&draws(rand_distr::Exp::new(0.25).unwrap(), n, 1));
        assert_eq!(exp.dist.family(), "exp", "{exp:?}");
        assert!((exp.dist.mean() - 4.0).abs() < 0.2);
        let lognormal = fit(&draws(rand_distr::LogNormal::new(1.0, 0.8).unwrap(), n, 2));
        assert_eq!(lognormal.dist.family(), "lognormal", "{lognormal:?}");
        let gamma = fit(&draws(rand_distr::Gamma::new(4.0, 1.0).unwrap(), n, 3));
        assert_eq!(gamma.dist.family(), "gamma", "{gamma:?}");
        assert_eq!(fit(&[5.0; 10]).dist, Dist::Const { value: 5.0 });
        // Two spikes: nothing smooth fits.
        let bimodal: Vec<f64> = (0..n)
            .map(|i| if i % 2 == 0 { 1.0 } else { 50.0 } + (i % 7) as f64 * 0.01)
            .collect();
        let empirical = fit(&bimodal);
        assert_eq!(empirical.dist.family(), "empirical");
        assert!(empirical.tests.iter().all(|test| !test.accepted()));
    }

    /// Times as a log at `delta` ms writes them (see `discretise`).
    fn logged(samples: Vec<f64>, delta: f64, seed: u128) -> Vec<f64> {
        let mut rng = Pcg64Mcg::new(seed);
        samples
            .into_iter()
            .map(|t| discretise(t, delta, &mut rng))
            .collect()
    }

    #[test]
    fn a_log_at_millisecond_resolution_keeps_its_family() {
        let n = 4000;
        // Means of 4–6 ms logged to 1 ms: a few dozen distinct values, which
        // every continuous test rejects on the staircase alone.
        let cases = [
            (
                "exp",
                logged(draws(rand_distr::Exp::new(0.2).unwrap(), n, 11), 1.0, 21),
            ),
            (
                "lognormal",
                logged(
                    draws(rand_distr::LogNormal::new(1.5, 0.5).unwrap(), n, 12),
                    1.0,
                    22,
                ),
            ),
            (
                "gamma",
                logged(draws(rand_distr::Gamma::new(5.0, 1.0).unwrap(), n, 13), 1.0, 23),
            ),
        ];
        for (family, samples) in cases {
            let mut sorted = samples.clone();
            sorted.sort_by(f64::total_cmp);
            let continuous = match family {
                "exp" => exp_test(&sorted, None).map(|(_, test)| test),
                "lognormal" => lognormal_test(&sorted, None).map(|(_, test)| test),
                _ => gamma_test(&sorted, None).map(|(_, test)| test),
            };
            if let Some(test) = continuous {
                assert!(
                    !test.accepted(),
                    "{family}: the continuous test accepts a staircase: {test:?}"
                );
            }
            let fitted = fit(&samples);
            assert_eq!(fitted.resolution, Some(1.0), "{family}");
            assert_eq!(fitted.dist.family(), family, "{family}: {:?}", fitted.tests);
            // Logging to the ms adds no bias to the mean (the rounding is
            // up with probability frac(t)): the fitted mean is the sample's.
            let mean = samples.iter().sum::<f64>() / n as f64;
            assert!(
                (fitted.dist.mean() - mean).abs() < 0.02 * mean,
                "{family}: {fitted:?}"
            );
        }
        // A smooth sample is not taken for a discretised one, and a
        // discretised staircase of two spikes is still empirical.
        assert_eq!(
            fit(&draws(rand_distr::Exp::new(0.2).unwrap(), n, 14)).resolution,
            None
        );
        let spikes: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { 2.0 } else { 40.0 }).collect();
        assert_eq!(fit(&spikes).dist.family(), "empirical");
    }

    #[test]
    fn the_discretised_cdf_averages_the_cdf_over_one_step() {
        let exp = Dist::Exp { mean: 4.0 };
        // ∫₂³ (1 − e^(−t/4)) dt = 1 − 4 (e^(−1/2) − e^(−3/4)).
        let exact = 1.0 - 4.0 * ((-0.5f64).exp() - (-0.75f64).exp());
        assert!((discretised_cdf(&|x| exp.cdf(x), 2.0, 1.0) - exact).abs() < 1e-7);
    }

    #[test]
    fn the_verdict_is_the_same_every_time() {
        let samples = draws(rand_distr::Gamma::new(2.0, 3.0).unwrap(), 800, 9);
        assert_eq!(fit(&samples), fit(&samples));
    }

    #[test]
    fn quantiles_invert_the_cdf() {
        for dist in [
            Dist::Exp { mean: 4.0 },
            Dist::LogNormal { mu: 1.0, sigma: 0.5 },
            Dist::Gamma {
                shape: 4.0,
                scale: 1.0,
            },
            Dist::Empirical {
                points: vec![1.0, 2.0, 4.0, 8.0],
            },
        ] {
            for p in [0.1, 0.5, 0.99] {
                assert!((dist.cdf(dist.quantile(p)) - p).abs() < 1e-6, "{dist:?} {p}");
            }
        }
        // χ²(8) at 0.99 is 20.090235: gamma(4, 1) at 0.99 is half that.
        assert!(
            (Dist::Gamma {
                shape: 4.0,
                scale: 1.0
            }
            .quantile(0.99)
                - 10.045_117_5)
                .abs()
                < 1e-5
        );
    }
}
