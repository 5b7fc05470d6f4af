//! Compiled samplers: a `Dist` turned once, at compile time, into the form
//! that is cheapest to draw from. Draws come only from engine streams.

use rand::RngExt;
use rand_distr::{Distribution, Exp1, StandardNormal};

use crate::engine::{SimDuration, Stream, StreamId};
use crate::scenario::Dist;

#[derive(Clone, Debug)]
pub enum Sampler {
    Const(f64),
    Exp {
        mean: f64,
    },
    Uniform {
        min: f64,
        span: f64,
    },
    /// Redraws negative values.
    Normal {
        mean: f64,
        sd: f64,
    },
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    Gamma(rand_distr::Gamma<f64>),
    Pareto(rand_distr::Pareto<f64>),
    /// Sorted samples; a draw interpolates between neighbours.
    Empirical(Box<[f64]>),
}

impl Sampler {
    pub fn new(dist: &Dist) -> Sampler {
        match dist {
            Dist::Const { value } => Sampler::Const(*value),
            Dist::Exp { mean } => Sampler::Exp { mean: *mean },
            Dist::Uniform { min, max } => Sampler::Uniform {
                min: *min,
                span: max - min,
            },
            Dist::Normal { mean, sd } => Sampler::Normal { mean: *mean, sd: *sd },
            Dist::LogNormal { mean, spread } => {
                let (mu, sigma) = Dist::lognormal_parameters(*mean, spread);
                Sampler::LogNormal { mu, sigma }
            }
            Dist::Gamma { mean, cv } => {
                let shape = 1.0 / (cv * cv);
                let scale = mean * cv * cv;
                Sampler::Gamma(
                    rand_distr::Gamma::new(shape, scale).expect("checked at load: shape and scale > 0"),
                )
            }
            Dist::Pareto { min, alpha } => Sampler::Pareto(
                rand_distr::Pareto::new(*min, *alpha).expect("checked at load: min and alpha > 0"),
            ),
            Dist::Empirical { samples } => Sampler::Empirical(samples.clone().into_boxed_slice()),
        }
    }

    /// True for a constant zero: no draw needed, no event needed.
    pub fn is_zero(&self) -> bool {
        matches!(self, Sampler::Const(value) if *value == 0.0)
    }

    /// One draw, in base units (nanoseconds for durations).
    #[inline]
    pub fn sample(&self, rng: &mut Stream) -> f64 {
        match self {
            Sampler::Const(value) => *value,
            Sampler::Exp { mean } => {
                let unit: f64 = Exp1.sample(rng);
                unit * mean
            }
            Sampler::Uniform { min, span } => min + span * rng.random::<f64>(),
            Sampler::Normal { mean, sd } => loop {
                let z: f64 = StandardNormal.sample(rng);
                let value = mean + sd * z;
                if value >= 0.0 {
                    break value;
                }
            },
            Sampler::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Sampler::Gamma(gamma) => gamma.sample(rng),
            Sampler::Pareto(pareto) => pareto.sample(rng),
            Sampler::Empirical(samples) => {
                let position = rng.random::<f64>() * (samples.len() - 1) as f64;
                let index = position as usize;
                let fraction = position - index as f64;
                match samples.get(index + 1) {
                    Some(next) => samples[index] + (next - samples[index]) * fraction,
                    None => samples[index],
                }
            }
        }
    }
}

/// A place in the model that draws: a sampler and the stream it draws from.
#[derive(Clone, Debug)]
pub struct Site {
    pub sampler: Sampler,
    pub stream: StreamId,
    /// The duration every draw gives, when the sampler is a constant: no
    /// draw and no conversion from float on the hot path.
    pub fixed: Option<SimDuration>,
}

impl Site {
    pub fn new(sampler: Sampler, stream: StreamId) -> Self {
        let fixed = match sampler {
            Sampler::Const(value) => Some(SimDuration::from_nanos_f64(value)),
            _ => None,
        };
        Site {
            sampler,
            stream,
            fixed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::random::stream;
    use crate::scenario::dist::LogNormalSpread;

    fn mean_of(dist: &Dist, draws: usize) -> f64 {
        let sampler = Sampler::new(dist);
        let mut rng = stream(3, "test");
        (0..draws).map(|_| sampler.sample(&mut rng)).sum::<f64>() / draws as f64
    }

    #[test]
    fn sample_means_match_distribution_means() {
        // 200k draws: the standard error is at most cv/sqrt(200k) ≈ 0.4 % for
        // cv 2; 2 % is over five standard errors.
        let dists = [
            Dist::Exp { mean: 4e6 },
            Dist::Uniform { min: 1e6, max: 3e6 },
            Dist::Normal { mean: 1e6, sd: 1e6 },
            Dist::LogNormal {
                mean: 4e6,
                spread: LogNormalSpread::Cv(1.0),
            },
            Dist::LogNormal {
                mean: 4e6,
                spread: LogNormalSpread::P99(20e6),
            },
            Dist::Gamma { mean: 4e6, cv: 2.0 },
            Dist::Pareto { min: 1e6, alpha: 3.0 },
            Dist::Empirical {
                samples: vec![1e6, 2e6, 4e6],
            },
        ];
        for dist in &dists {
            let expected = dist.mean();
            let measured = mean_of(dist, 200_000);
            assert!(
                (measured / expected - 1.0).abs() < 0.02,
                "{dist:?}: measured {measured}, expected {expected}"
            );
        }
    }

    #[test]
    fn empirical_draws_stay_within_the_samples() {
        let sampler = Sampler::new(&Dist::Empirical {
            samples: vec![5.0, 9.0],
        });
        let mut rng = stream(1, "e");
        for _ in 0..1000 {
            let value = sampler.sample(&mut rng);
            assert!((5.0..=9.0).contains(&value));
        }
        let single = Sampler::new(&Dist::Empirical { samples: vec![7.0] });
        assert_eq!(single.sample(&mut rng), 7.0);
    }

    #[test]
    fn normal_is_truncated_at_zero() {
        let sampler = Sampler::new(&Dist::Normal { mean: 0.0, sd: 1.0 });
        let mut rng = stream(2, "n");
        assert!((0..10_000).all(|_| sampler.sample(&mut rng) >= 0.0));
    }
}
