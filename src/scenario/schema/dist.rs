//! The shape of a distribution of durations, as `parse::dist` reads it: a
//! duration string (a constant) or a table tagged by `dist`, one shape per
//! way of giving its parameters.

use schemars::JsonSchema;

use super::units::{CoefficientOfVariation, Duration};

/// A distribution of durations: a plain duration string is a constant;
/// otherwise a table whose `dist` names the kind.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum DurationDist {
    /// Always this long.
    Constant(Duration),
    /// A distribution named by `dist`.
    Table(DistTable),
}

/// A distribution table, tagged by `dist`.
#[derive(JsonSchema)]
#[schemars(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum DistTable {
    /// Always `value`.
    Const {
        /// The constant.
        value: Duration,
    },
    /// Exponential with this mean.
    Exp {
        /// The mean, longer than zero.
        mean: Duration,
    },
    /// Uniform from `min` to `max`.
    Uniform {
        /// The smallest value.
        min: Duration,
        /// The largest value (not less than `min`).
        max: Duration,
    },
    /// Normal, truncated at zero (negative draws are redrawn).
    Normal {
        /// The mean, longer than zero.
        mean: Duration,
        /// The standard deviation.
        sd: Duration,
    },
    /// Lognormal by mean and coefficient of variation.
    #[schemars(rename = "lognormal")]
    LognormalCv {
        /// The mean, longer than zero.
        mean: Duration,
        /// Standard deviation / mean.
        cv: CoefficientOfVariation,
    },
    /// Lognormal by mean and 99th percentile (p99/mean above 1 and at most 14.97).
    #[schemars(rename = "lognormal")]
    LognormalP99 {
        /// The mean, longer than zero.
        mean: Duration,
        /// The 99th percentile.
        p99: Duration,
    },
    /// Gamma by mean and coefficient of variation.
    Gamma {
        /// The mean, longer than zero.
        mean: Duration,
        /// Standard deviation / mean.
        cv: CoefficientOfVariation,
    },
    /// Pareto (a heavy tail) by its smallest value.
    #[schemars(rename = "pareto")]
    ParetoMin {
        /// The shape: smaller is heavier.
        #[schemars(extend("exclusiveMinimum" = 0))]
        alpha: f64,
        /// The smallest value, longer than zero.
        min: Duration,
    },
    /// Pareto by its mean (only when `alpha` > 1, so the mean exists).
    #[schemars(rename = "pareto")]
    ParetoMean {
        /// The shape, above 1.
        #[schemars(extend("exclusiveMinimum" = 1))]
        alpha: f64,
        /// The mean, longer than zero.
        mean: Duration,
    },
    /// Samples given inline; draws interpolate between sorted samples.
    #[schemars(rename = "empirical")]
    EmpiricalSamples {
        /// Duration strings, or numbers in `unit`.
        #[schemars(length(min = 1))]
        samples: Vec<Sample>,
        /// The unit of bare-number samples.
        unit: Option<SampleUnit>,
        /// Ignored with inline samples (the loader accepts it).
        column: Option<String>,
    },
    /// Samples read from a CSV file (a path relative to the scenario).
    #[schemars(rename = "empirical")]
    EmpiricalFile {
        /// The CSV file; a non-numeric first line is skipped as a header.
        file: String,
        /// The column by its header name (the first column otherwise).
        column: Option<String>,
        /// The unit of the numbers in the file.
        unit: SampleUnit,
    },
}

/// One sample: a duration string, or a non-negative number in `unit`.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum Sample {
    /// A duration.
    Duration(Duration),
    /// A number in the distribution's `unit`.
    Number(#[schemars(range(min = 0))] f64),
}

/// The unit of numeric samples.
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum SampleUnit {
    /// Nanoseconds.
    Ns,
    /// Microseconds.
    Us,
    /// Milliseconds.
    Ms,
    /// Seconds.
    S,
}
