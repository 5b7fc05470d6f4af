//! Probability distributions as a scenario states them, and their moments.
//!
//! A distribution keeps the *form* the author wrote (`lognormal` by mean and
//! cv, or by mean and p99) so the resolved scenario reads like the input, and
//! its parameters in base units (nanoseconds for durations). Checks that need
//! a span (a p99 that no lognormal can reach, a pareto without a mean) happen
//! here, at load time, so compiling a sampler later cannot fail.

use std::f64::consts::{PI, SQRT_2};

/// The standard normal quantile at 0.99.
pub const Z_99: f64 = 2.326_347_874_040_840_8;

/// How a lognormal's spread is given.
#[derive(Clone, Debug, PartialEq)]
pub enum LogNormalSpread {
    /// Coefficient of variation: standard deviation / mean.
    Cv(f64),
    /// The 99th percentile, in base units.
    P99(f64),
}

/// A distribution of a non-negative quantity, parameters in base units.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Const {
        value: f64,
    },
    Exp {
        mean: f64,
    },
    Uniform {
        min: f64,
        max: f64,
    },
    /// A normal truncated at zero: negative draws are redrawn.
    Normal {
        mean: f64,
        sd: f64,
    },
    LogNormal {
        mean: f64,
        spread: LogNormalSpread,
    },
    /// Gamma by mean and coefficient of variation.
    Gamma {
        mean: f64,
        cv: f64,
    },
    /// Pareto with minimum value `min` and tail index `alpha`.
    Pareto {
        min: f64,
        alpha: f64,
    },
    /// Sorted samples; draws interpolate the empirical quantile function.
    Empirical {
        samples: Vec<f64>,
    },
}

impl Dist {
    /// The name used in `dist = "..."`.
    pub fn kind(&self) -> &'static str {
        match self {
            Dist::Const { .. } => "const",
            Dist::Exp { .. } => "exp",
            Dist::Uniform { .. } => "uniform",
            Dist::Normal { .. } => "normal",
            Dist::LogNormal { .. } => "lognormal",
            Dist::Gamma { .. } => "gamma",
            Dist::Pareto { .. } => "pareto",
            Dist::Empirical { .. } => "empirical",
        }
    }

    /// The lognormal's `(mu, sigma)` of the underlying normal.
    pub fn lognormal_parameters(mean: f64, spread: &LogNormalSpread) -> (f64, f64) {
        let sigma = match *spread {
            LogNormalSpread::Cv(cv) => (1.0 + cv * cv).ln().sqrt(),
            LogNormalSpread::P99(p99) => {
                lognormal_sigma_from_p99(mean, p99).expect("checked at load: p99 is reachable from the mean")
            }
        };
        (mean.ln() - sigma * sigma / 2.0, sigma)
    }

    /// The mean, in base units (infinite for a pareto with `alpha <= 1`).
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Const { value } => *value,
            Dist::Exp { mean } | Dist::LogNormal { mean, .. } | Dist::Gamma { mean, .. } => *mean,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Normal { mean, sd } => truncated_normal_moments(*mean, *sd).0,
            Dist::Pareto { min, alpha } => {
                if *alpha > 1.0 {
                    alpha * min / (alpha - 1.0)
                } else {
                    f64::INFINITY
                }
            }
            Dist::Empirical { samples } => empirical_moments(samples).0,
        }
    }

    /// The variance, in base units squared (infinite where it does not exist).
    pub fn variance(&self) -> f64 {
        match self {
            Dist::Const { .. } => 0.0,
            Dist::Exp { mean } => mean * mean,
            Dist::Uniform { min, max } => (max - min).powi(2) / 12.0,
            Dist::Normal { mean, sd } => truncated_normal_moments(*mean, *sd).1,
            Dist::LogNormal { mean, spread } => {
                let (_, sigma) = Dist::lognormal_parameters(*mean, spread);
                mean * mean * ((sigma * sigma).exp() - 1.0)
            }
            Dist::Gamma { mean, cv } => (mean * cv).powi(2),
            Dist::Pareto { min, alpha } => {
                if *alpha > 2.0 {
                    min * min * alpha / ((alpha - 1.0).powi(2) * (alpha - 2.0))
                } else {
                    f64::INFINITY
                }
            }
            Dist::Empirical { samples } => empirical_moments(samples).1,
        }
    }

    /// Squared coefficient of variation: variance / mean².
    pub fn scv(&self) -> f64 {
        let mean = self.mean();
        if mean > 0.0 {
            self.variance() / (mean * mean)
        } else {
            0.0
        }
    }
}

/// The sigma of a lognormal with the given mean and 99th percentile, or
/// `None` when no lognormal has both (p99 must exceed the mean, and p99/mean
/// cannot exceed e^(z²/2) ≈ 14.97).
pub fn lognormal_sigma_from_p99(mean: f64, p99: f64) -> Option<f64> {
    // mean = e^(mu + s²/2), p99 = e^(mu + z s)  =>  s²/2 - z s + ln(p99/mean) = 0.
    let log_ratio = (p99 / mean).ln();
    let discriminant = Z_99 * Z_99 - 2.0 * log_ratio;
    if log_ratio.is_nan() || log_ratio <= 0.0 || discriminant < 0.0 {
        return None;
    }
    // The smaller root: the larger one describes a distribution whose median
    // is far below its mean and whose p99 is reached only by its tail shape.
    Some(Z_99 - discriminant.sqrt())
}

/// The largest p99/mean ratio a lognormal can have.
pub fn lognormal_max_p99_ratio() -> f64 {
    (Z_99 * Z_99 / 2.0).exp()
}

/// Moments of the distribution a sampler draws from sorted samples: the
/// piecewise-linear interpolation of the empirical quantile function, i.e. an
/// equal-weight mixture of uniforms between neighbouring samples.
fn empirical_moments(samples: &[f64]) -> (f64, f64) {
    if samples.len() == 1 {
        return (samples[0], 0.0);
    }
    let segments = (samples.len() - 1) as f64;
    let (mut first, mut second) = (0.0, 0.0);
    for pair in samples.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        first += (a + b) / 2.0;
        second += (a * a + a * b + b * b) / 3.0;
    }
    let mean = first / segments;
    (mean, second / segments - mean * mean)
}

fn standard_normal_pdf(x: f64) -> f64 {
    (-x * x / 2.0).exp() / (2.0 * PI).sqrt()
}

/// Standard normal CDF via the complementary error function.
pub fn standard_normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / SQRT_2)
}

/// Φ⁻¹(p) for 0 < p < 1 (Acklam's rational approximation, relative error
/// below 1.2e-9).
pub fn standard_normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, nine terms; relative error ~1e-15).
pub fn ln_gamma(x: f64) -> f64 {
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let series = COEFFICIENTS[1..]
        .iter()
        .enumerate()
        .fold(COEFFICIENTS[0], |sum, (i, c)| sum + c / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + series.ln()
}

/// Complementary error function, |error| < 1.2e-7 (Numerical Recipes
/// `erfcc`, a Chebyshev fit).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let polynomial = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let value = t * polynomial.exp();
    if x >= 0.0 { value } else { 2.0 - value }
}

/// Mean and variance of a normal(mean, sd) truncated to x >= 0.
fn truncated_normal_moments(mean: f64, sd: f64) -> (f64, f64) {
    if sd == 0.0 {
        return (mean.max(0.0), 0.0);
    }
    let alpha = -mean / sd;
    let tail = 1.0 - standard_normal_cdf(alpha);
    let lambda = standard_normal_pdf(alpha) / tail;
    let truncated_mean = mean + sd * lambda;
    let variance = sd * sd * (1.0 + alpha * lambda - lambda * lambda);
    (truncated_mean, variance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lognormal_by_p99_hits_both_targets() {
        let (mean, p99) = (4.0e6, 40.0e6);
        let sigma = lognormal_sigma_from_p99(mean, p99).unwrap();
        let mu = mean.ln() - sigma * sigma / 2.0;
        assert!(((mu + sigma * sigma / 2.0).exp() - mean).abs() / mean < 1e-12);
        assert!(((mu + Z_99 * sigma).exp() - p99).abs() / p99 < 1e-12);
    }

    #[test]
    fn lognormal_by_p99_rejects_unreachable_tails() {
        assert!(lognormal_sigma_from_p99(4.0, 3.0).is_none(), "p99 below the mean");
        assert!(lognormal_sigma_from_p99(1.0, lognormal_max_p99_ratio() * 1.01).is_none());
        assert!(lognormal_sigma_from_p99(1.0, lognormal_max_p99_ratio() * 0.99).is_some());
    }

    #[test]
    fn moments_of_closed_forms() {
        assert_eq!(Dist::Exp { mean: 2.0 }.scv(), 1.0);
        assert_eq!(Dist::Const { value: 3.0 }.scv(), 0.0);
        let gamma = Dist::Gamma { mean: 5.0, cv: 0.5 };
        assert!((gamma.scv() - 0.25).abs() < 1e-12);
        let lognormal = Dist::LogNormal {
            mean: 5.0,
            spread: LogNormalSpread::Cv(1.5),
        };
        assert!((lognormal.scv() - 2.25).abs() < 1e-9);
        let pareto = Dist::Pareto { min: 1.0, alpha: 3.0 };
        assert_eq!(pareto.mean(), 1.5);
        assert_eq!(pareto.variance(), 0.75);
    }

    #[test]
    fn truncated_normal_moments_match_known_values() {
        // Half-normal: mean sd·sqrt(2/pi), variance sd²(1 - 2/pi).
        let (mean, variance) = truncated_normal_moments(0.0, 1.0);
        assert!((mean - (2.0 / PI).sqrt()).abs() < 1e-6);
        assert!((variance - (1.0 - 2.0 / PI)).abs() < 1e-6);
        // Far from zero the truncation does nothing.
        let (mean, variance) = truncated_normal_moments(10.0, 1.0);
        assert!((mean - 10.0).abs() < 1e-9 && (variance - 1.0).abs() < 1e-6);
    }

    #[test]
    fn the_normal_quantile_inverts_the_distribution_function() {
        let close = |a: f64, b: f64, tolerance: f64| (a - b).abs() <= tolerance * b.abs();
        assert!(close(standard_normal_cdf(1.959_963_984_540_054), 0.975, 1e-7));
        assert!(close(standard_normal_cdf(-2.326_347_874_040_841), 0.01, 1e-6));
        assert!(close(standard_normal_quantile(0.99), 2.326_347_874_040_841, 1e-8));
        assert!(close(
            standard_normal_quantile(0.025),
            -1.959_963_984_540_054,
            1e-8
        ));
        assert!(close(
            standard_normal_quantile(0.95),
            1.644_853_626_951_472_2,
            1.2e-9
        ));
    }

    #[test]
    fn erfc_is_accurate() {
        assert!((erfc(0.0) - 1.0).abs() < 2e-7);
        assert!((erfc(1.0) - 0.157_299_207_050_285).abs() < 2e-7);
        assert!((erfc(-1.0) - 1.842_700_792_949_715).abs() < 2e-7);
    }
}
