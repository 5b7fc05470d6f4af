//! Statistics over independent replications: the mean of a metric and its
//! two-sided Student t confidence interval, and the t quantiles behind it.
//!
//! The quantile is computed, not tabulated, from the regularized incomplete
//! beta function (continued fraction) and bisection, so any number of
//! replications gets the exact interval. Sums run over the samples in their
//! given order, so a result depends only on the samples, never on how or
//! where they were computed.

use crate::scenario::dist::ln_gamma;

/// A mean and its confidence interval. `low` and `high` are NaN when the
/// interval is undefined (fewer than two samples).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// Half the interval's width (NaN when undefined).
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }
}

/// The confidence level of every interval capsim reports.
pub const CONFIDENCE: f64 = 0.95;

/// The mean of the finite `samples` and its two-sided t interval at
/// `confidence` (mean ± t_{(1+confidence)/2, n−1} · s/√n). Non-finite
/// samples (a metric a run could not measure) are left out; with no finite
/// sample every field is NaN.
pub fn mean_interval(samples: &[f64], confidence: f64) -> Interval {
    let finite: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    let n = finite.len();
    if n == 0 {
        return Interval {
            mean: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
        };
    }
    // Equal samples (a price, a configured size) have that value as their
    // mean, exactly: summing and dividing would leave rounding noise
    // (five runs of $491.655 averaging $491.6549999999999).
    let first = finite[0];
    let mean = if finite.iter().all(|&x| x == first) {
        first
    } else {
        finite.iter().sum::<f64>() / n as f64
    };
    if n < 2 {
        return Interval {
            mean,
            low: f64::NAN,
            high: f64::NAN,
        };
    }
    let variance = finite.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half_width =
        student_t_quantile((1.0 + confidence) / 2.0, (n - 1) as f64) * (variance / n as f64).sqrt();
    Interval {
        mean,
        low: mean - half_width,
        high: mean + half_width,
    }
}

/// The continued fraction of the incomplete beta function (modified Lentz).
fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut fraction = d;
    for m in 1..=10_000 {
        let m = m as f64;
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        for coefficient in [
            even,
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ] {
            d = 1.0 + coefficient * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + coefficient / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            fraction *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-16 {
            break;
        }
    }
    fraction
}

/// The regularized incomplete beta function I_x(a, b).
fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    // The fraction converges fast below the mean a/(a+b); use symmetry above.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_continued_fraction(1.0 - x, b, a) / b
    }
}

/// P(T ≤ t) for Student's t with `df` degrees of freedom.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * incomplete_beta(df / (df + t * t), df / 2.0, 0.5);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The `p` quantile of Student's t with `df` degrees of freedom
/// (0.5 < p < 1), by bisection on the CDF to machine precision.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    assert!(
        p > 0.5 && p < 1.0 && df > 0.0,
        "quantile of t needs 0.5 < p < 1 and df > 0"
    );
    let mut high = 1.0;
    while student_t_cdf(high, df) < p {
        high *= 2.0;
    }
    let mut low = 0.0;
    for _ in 0..200 {
        let middle = (low + high) / 2.0;
        if middle <= low || middle >= high {
            break;
        }
        if student_t_cdf(middle, df) < p {
            low = middle;
        } else {
            high = middle;
        }
    }
    (low + high) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_published_tables() {
        // Two-sided 95 % (p = 0.975) values from standard t tables.
        for (df, expected) in [
            (1.0, 12.706_204_7),
            (2.0, 4.302_652_7),
            (4.0, 2.776_445_1),
            (9.0, 2.262_157_2),
            (19.0, 2.093_024_1),
            (29.0, 2.045_229_6),
            (99.0, 1.984_216_9),
        ] {
            let quantile = student_t_quantile(0.975, df);
            assert!((quantile - expected).abs() < 1e-6, "df {df}: {quantile}");
        }
        // The 99.99 % value the queueing validation uses (R = 20).
        assert!((student_t_quantile(0.99995, 19.0) - 4.8975).abs() < 1e-4);
        // Many degrees of freedom approach the normal quantile 1.959964.
        assert!((student_t_quantile(0.975, 1e7) - 1.959_964).abs() < 1e-5);
    }

    #[test]
    fn the_cdf_is_symmetric_and_exact_for_one_degree() {
        // df = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t)/π.
        for t in [-3.0, -0.5, 0.0, 0.7, 4.0] {
            let cauchy = 0.5 + f64::atan(t) / std::f64::consts::PI;
            assert!((student_t_cdf(t, 1.0) - cauchy).abs() < 1e-12);
        }
    }

    #[test]
    fn interval_of_known_samples() {
        // mean 3, s² = 2.5, n = 5: half width t_{0.975,4} · √(2.5/5).
        let interval = mean_interval(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95);
        assert_eq!(interval.mean, 3.0);
        let half = 2.776_445_1 * 0.5f64.sqrt();
        assert!((interval.high - 3.0 - half).abs() < 1e-6);
        assert!((3.0 - interval.low - half).abs() < 1e-6);
    }

    #[test]
    fn constant_samples_have_a_zero_width_interval() {
        let interval = mean_interval(&[4.0, 4.0, 4.0], 0.95);
        assert_eq!((interval.mean, interval.low, interval.high), (4.0, 4.0, 4.0));
        // Exactly the samples' value, with no rounding noise from the sum.
        assert_ne!([491.655; 5].iter().sum::<f64>() / 5.0, 491.655);
        let price = mean_interval(&[491.655, 491.655, f64::NAN, 491.655, 491.655, 491.655], 0.95);
        assert_eq!((price.mean, price.low, price.high), (491.655, 491.655, 491.655));
    }

    #[test]
    fn too_few_or_missing_samples() {
        let one = mean_interval(&[7.0], 0.95);
        assert_eq!(one.mean, 7.0);
        assert!(one.low.is_nan() && one.high.is_nan());
        let none = mean_interval(&[f64::NAN], 0.95);
        assert!(none.mean.is_nan());
        // A missing value is skipped, not propagated.
        assert_eq!(mean_interval(&[1.0, f64::NAN, 3.0], 0.95).mean, 2.0);
    }
}
