//! The Universal Scalability Law fitted to throughput against instances:
//!
//!   X(N) = λN / (1 + σ(N − 1) + κN(N − 1))
//!
//! λ is the throughput of one instance, σ the contention (the share of
//! work that serialises), κ the coherency cost (pairwise crosstalk). With
//! κ > 0 throughput peaks at N* = √((1 − σ)/κ) and falls beyond it.
//!
//! The fit minimises the squared error in X over (λ, σ, κ), σ, κ ≥ 0. For a
//! fixed λ the model is linear in (σ, κ) after the transformation
//! λN/X − 1 = σ(N − 1) + κN(N − 1), which gives (σ, κ) by non-negative
//! least squares; λ itself is searched on a grid and refined by golden
//! section. Every step is plain arithmetic in a fixed order, so the fit is
//! deterministic.

/// A fitted law.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UslFit {
    /// Throughput of one instance, requests per second.
    pub lambda: f64,
    pub sigma: f64,
    pub kappa: f64,
    /// Instances at the peak (infinite when κ = 0: no retrograde region).
    pub peak_instances: f64,
    /// Throughput at the peak (the asymptote λ/σ when κ = 0).
    pub peak_throughput: f64,
    /// Share of the throughput's variance the law explains.
    pub r_squared: f64,
}

impl UslFit {
    pub fn throughput(&self, instances: f64) -> f64 {
        self.lambda * instances
            / (1.0 + self.sigma * (instances - 1.0) + self.kappa * instances * (instances - 1.0))
    }
}

/// Non-negative least squares for y ≈ σ·a + κ·b (two coefficients): the
/// unconstrained solution if it is non-negative, else the best solution on
/// the boundary.
fn two_coefficients(a: &[f64], b: &[f64], y: &[f64]) -> (f64, f64) {
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(x, y)| x * y).sum::<f64>();
    let (aa, bb, ab, ay, by) = (dot(a, a), dot(b, b), dot(a, b), dot(a, y), dot(b, y));
    let determinant = aa * bb - ab * ab;
    if determinant.abs() > 1e-12 * aa * bb {
        let sigma = (ay * bb - by * ab) / determinant;
        let kappa = (by * aa - ay * ab) / determinant;
        if sigma >= 0.0 && kappa >= 0.0 {
            return (sigma, kappa);
        }
    }
    let residual = |sigma: f64, kappa: f64| {
        a.iter()
            .zip(b)
            .zip(y)
            .map(|((a, b), y)| (y - sigma * a - kappa * b).powi(2))
            .sum::<f64>()
    };
    let only_sigma = if aa > 0.0 { (ay / aa).max(0.0) } else { 0.0 };
    let only_kappa = if bb > 0.0 { (by / bb).max(0.0) } else { 0.0 };
    let candidates = [(only_sigma, 0.0), (0.0, only_kappa), (0.0, 0.0)];
    candidates
        .into_iter()
        .min_by(|x, y| residual(x.0, x.1).total_cmp(&residual(y.0, y.1)))
        .expect("three candidates")
}

/// (σ, κ, squared error in X) for a given λ.
fn fit_for_lambda(points: &[(f64, f64)], lambda: f64) -> (f64, f64, f64) {
    let a: Vec<f64> = points.iter().map(|&(n, _)| n - 1.0).collect();
    let b: Vec<f64> = points.iter().map(|&(n, _)| n * (n - 1.0)).collect();
    let y: Vec<f64> = points.iter().map(|&(n, x)| lambda * n / x - 1.0).collect();
    let (sigma, kappa) = two_coefficients(&a, &b, &y);
    let error = points
        .iter()
        .map(|&(n, x)| {
            let model = lambda * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0));
            (x - model).powi(2)
        })
        .sum();
    (sigma, kappa, error)
}

/// Fits the law to (instances, throughput) points. Needs at least three
/// distinct instance counts with positive throughput.
pub fn fit(points: &[(f64, f64)]) -> Option<UslFit> {
    let points: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|&(n, x)| n >= 1.0 && x.is_finite() && x > 0.0)
        .collect();
    let mut distinct: Vec<f64> = points.iter().map(|&(n, _)| n).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    if distinct.len() < 3 {
        return None;
    }
    // λ ≥ X/N at every point (the denominator is at least 1); the best λ
    // lies within a few times that bound. A grid finds its basin, golden
    // section refines it.
    let floor = points.iter().map(|&(n, x)| x / n).fold(0.0, f64::max);
    let error_at = |lambda: f64| fit_for_lambda(&points, lambda).2;
    let grid: Vec<f64> = (0..=400)
        .map(|i| floor * (1.0 + 3.0 * i as f64 / 400.0))
        .collect();
    let best = (0..grid.len())
        .min_by(|&i, &j| error_at(grid[i]).total_cmp(&error_at(grid[j])))
        .expect("non-empty grid");
    let (mut low, mut high) = (grid[best.saturating_sub(1)], grid[(best + 1).min(grid.len() - 1)]);
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..100 {
        let left = high - ratio * (high - low);
        let right = low + ratio * (high - low);
        if error_at(left) <= error_at(right) {
            high = right;
        } else {
            low = left;
        }
    }
    let lambda = (low + high) / 2.0;
    let (sigma, kappa, error) = fit_for_lambda(&points, lambda);
    let mean = points.iter().map(|&(_, x)| x).sum::<f64>() / points.len() as f64;
    let total: f64 = points.iter().map(|&(_, x)| (x - mean).powi(2)).sum();
    let mut law = UslFit {
        lambda,
        sigma,
        kappa,
        peak_instances: f64::INFINITY,
        peak_throughput: if sigma > 0.0 {
            lambda / sigma
        } else {
            f64::INFINITY
        },
        r_squared: if total > 0.0 { 1.0 - error / total } else { 1.0 },
    };
    if kappa > 0.0 && sigma < 1.0 {
        law.peak_instances = ((1.0 - sigma) / kappa).sqrt();
        law.peak_throughput = law.throughput(law.peak_instances);
    }
    Some(law)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synthetic(lambda: f64, sigma: f64, kappa: f64) -> Vec<(f64, f64)> {
        let law = UslFit {
            lambda,
            sigma,
            kappa,
            peak_instances: 0.0,
            peak_throughput: 0.0,
            r_squared: 1.0,
        };
        (1..=16).map(|n| (n as f64, law.throughput(n as f64))).collect()
    }

    #[test]
    fn recovers_the_parameters_of_exact_data() {
        let law = fit(&synthetic(100.0, 0.05, 0.002)).unwrap();
        assert!((law.lambda - 100.0).abs() < 1e-3, "{law:?}");
        assert!((law.sigma - 0.05).abs() < 1e-5, "{law:?}");
        assert!((law.kappa - 0.002).abs() < 1e-6, "{law:?}");
        // N* = √(0.95/0.002) = 21.79.
        assert!((law.peak_instances - (0.95f64 / 0.002).sqrt()).abs() < 1e-2);
        assert!(law.r_squared > 0.999_999);
    }

    #[test]
    fn linear_scaling_has_no_peak() {
        let law = fit(&synthetic(50.0, 0.0, 0.0)).unwrap();
        assert!(law.sigma < 1e-9 && law.kappa < 1e-12, "{law:?}");
        assert!(law.peak_instances.is_infinite());
    }

    #[test]
    fn a_ceiling_gives_a_peak_near_it() {
        // Throughput grows linearly, then flattens at 400/s (a shared
        // database). A hard ceiling is not USL-shaped, but the fit should
        // still explain most of the variance and put the peak near 400/s.
        let points: Vec<(f64, f64)> = (1..=10)
            .map(|n| (n as f64, (100.0 * n as f64).min(400.0)))
            .collect();
        let law = fit(&points).unwrap();
        assert!(law.r_squared > 0.9, "{law:?}");
        assert!((law.peak_throughput / 400.0 - 1.0).abs() < 0.1, "{law:?}");
        assert!(law.sigma + law.kappa > 0.0, "{law:?}");
    }

    #[test]
    fn too_few_points() {
        assert!(fit(&[(1.0, 10.0), (2.0, 19.0)]).is_none());
        assert!(fit(&[(1.0, 10.0), (1.0, 11.0), (2.0, 19.0)]).is_none());
    }
}
