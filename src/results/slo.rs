//! Service-level objectives: `p99<200ms`, `error_rate<0.001`, `errors<0.1%`,
//! `web/utilization<=0.8`, parsed from the command line and checked against
//! a run's summary.
//!
//! The grammar is `[SCOPE/]METRIC OP THRESHOLD` with `OP` one of `<`, `<=`,
//! `>`, `>=`. `SCOPE` defaults to `overall`. `METRIC` is any metric of the
//! catalogue (`metrics::catalog`; a misspelt one gets a suggestion), or a
//! short name: `p50`, `p95`, `p99`, `p999`, `mean`, `max` (latency),
//! `errors` (`error_rate`), `throughput` (`throughput_rps`). The threshold is
//! read in the metric's unit, given by the end of its name: a duration for
//! `_ms` metrics (`200ms`, `1.5s`; a bare number is taken as milliseconds
//! only when the full metric name says `_ms`), a rate or number for `_rps`,
//! and a number or a percentage (`0.1%`) for everything else.

use std::fmt;

use crate::metrics::Summary;
use crate::metrics::catalog::{self as metric, suggest};
use crate::scenario::units::{parse_duration, parse_percent, parse_rate};

/// How a measured value must compare to the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Less => "<",
            Op::LessOrEqual => "<=",
            Op::Greater => ">",
            Op::GreaterOrEqual => ">=",
        }
    }

    fn holds(self, measured: f64, threshold: f64) -> bool {
        match self {
            Op::Less => measured < threshold,
            Op::LessOrEqual => measured <= threshold,
            Op::Greater => measured > threshold,
            Op::GreaterOrEqual => measured >= threshold,
        }
    }
}

/// One objective on one summary metric, the threshold in the metric's unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    pub scope: String,
    pub metric: String,
    pub op: Op,
    pub threshold: f64,
    /// The objective as the user wrote it.
    pub text: String,
}

/// The outcome of checking one objective.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub slo: Slo,
    /// The measured value; `None` when the summary lacks the metric, NaN
    /// when the run measured nothing (no request completed: no latency).
    pub measured: Option<f64>,
    /// Met only when measured, a number, and within the threshold.
    pub met: bool,
    /// Why it is missed without a number to compare: `no request
    /// completed`, `the run has no web/utilization`, …
    pub reason: Option<String>,
}

/// Why `metric` can have no value (NaN) in a summary: what did not happen.
fn why_no_value(metric: &str) -> &'static str {
    let member = |family: &metric::Family| family.names().iter().any(|name| name == metric);
    if member(&metric::LATENCY) || metric == metric::COST_PER_MILLION_REQUESTS_USD.name {
        "no request completed"
    } else if metric == metric::ERROR_RATE.name {
        "no request ended (none completed or failed)"
    } else if member(&metric::JOB_LATENCY) {
        "no job completed"
    } else if member(&metric::REPLICATION_LAG) {
        "no write reached a replica"
    } else if metric == metric::WAIT_MEAN_MS.name || metric == metric::WAIT_PROBABILITY.name {
        "no request got a worker there"
    } else if metric == metric::RESIDENCE_MEAN_MS.name {
        "no call completed there"
    } else {
        "the run measured no value for it"
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SloError {
    #[error("invalid SLO `{text}`: expected METRIC<THRESHOLD, like `p99<200ms` or `error_rate<0.001`")]
    NoOperator { text: String },
    #[error("invalid SLO `{text}`: the metric is missing before `{op}`")]
    NoMetric { text: String, op: &'static str },
    #[error("invalid SLO `{text}`: `{metric}` is not a metric name (use letters, digits and `_`)")]
    BadMetric { text: String, metric: String },
    #[error("invalid SLO `{text}`: `{metric}` is not a metric{}", suggestion.map_or(String::new(), |known| format!(" (did you mean `{known}`?)")))]
    UnknownMetric {
        text: String,
        metric: String,
        suggestion: Option<&'static str>,
    },
    #[error("invalid SLO `{text}`: {reason}")]
    BadThreshold { text: String, reason: String },
}

/// Short names for the metrics objectives are most often about.
const ALIASES: [(&str, &str); 8] = [
    ("p50", metric::LATENCY_P50_MS.name),
    ("p95", metric::LATENCY_P95_MS.name),
    ("p99", metric::LATENCY_P99_MS.name),
    ("p999", metric::LATENCY_P999_MS.name),
    ("mean", metric::LATENCY_MEAN_MS.name),
    ("max", metric::LATENCY_MAX_MS.name),
    ("errors", metric::ERROR_RATE.name),
    ("throughput", metric::THROUGHPUT_RPS.name),
];

/// Parses one objective.
pub fn parse(text: &str) -> Result<Slo, SloError> {
    let trimmed = text.trim();
    let (left, op, right) = split_operator(trimmed).ok_or_else(|| SloError::NoOperator {
        text: text.to_owned(),
    })?;
    let left = left.trim();
    if left.is_empty() {
        return Err(SloError::NoMetric {
            text: text.to_owned(),
            op: op.symbol(),
        });
    }
    let (scope, written_metric) = match left.rsplit_once('/') {
        Some((scope, metric)) if !scope.trim().is_empty() => (scope.trim(), metric.trim()),
        _ => ("overall", left),
    };
    if written_metric.is_empty()
        || !written_metric
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(SloError::BadMetric {
            text: text.to_owned(),
            metric: written_metric.to_owned(),
        });
    }
    let alias = ALIASES.iter().find(|(short, _)| *short == written_metric);
    let metric = alias.map_or(written_metric, |(_, full)| full);
    if metric::lookup(metric).is_none() {
        return Err(SloError::UnknownMetric {
            text: text.to_owned(),
            metric: metric.to_owned(),
            suggestion: suggest(metric),
        });
    }
    let threshold =
        parse_threshold(metric, right.trim(), alias.is_some()).map_err(|reason| SloError::BadThreshold {
            text: text.to_owned(),
            reason,
        })?;
    Ok(Slo {
        scope: scope.to_owned(),
        metric: metric.to_owned(),
        op,
        threshold,
        text: trimmed.to_owned(),
    })
}

/// Parses every objective, stopping at the first bad one.
pub fn parse_all(texts: &[String]) -> Result<Vec<Slo>, SloError> {
    texts.iter().map(|text| parse(text)).collect()
}

fn split_operator(text: &str) -> Option<(&str, Op, &str)> {
    let index = text.find(['<', '>'])?;
    let (left, rest) = text.split_at(index);
    let (op, length) = match (rest.as_bytes()[0], rest.as_bytes().get(1)) {
        (b'<', Some(b'=')) => (Op::LessOrEqual, 2),
        (b'<', _) => (Op::Less, 1),
        (b'>', Some(b'=')) => (Op::GreaterOrEqual, 2),
        _ => (Op::Greater, 1),
    };
    Some((left, op, &rest[length..]))
}

/// Reads `text` in the unit of `metric`.
fn parse_threshold(metric: &str, text: &str, short_name: bool) -> Result<f64, String> {
    if text.is_empty() {
        return Err("the threshold is missing".to_owned());
    }
    let bare: Option<f64> = text.parse().ok().filter(|value: &f64| value.is_finite());
    let value = if metric.ends_with("_ms") {
        match bare {
            Some(_) if short_name => {
                return Err(format!("`{text}` has no unit: write `{text}ms` or `{text}s`"));
            }
            Some(milliseconds) => milliseconds,
            None => parse_duration(text)?.as_secs_f64() * 1e3,
        }
    } else if metric.ends_with("_rps") && text.contains('/') {
        parse_rate(text)?
    } else if text.ends_with('%') {
        parse_percent(text)?
    } else {
        bare.ok_or_else(|| format!("`{text}` is not a number"))?
    };
    if value < 0.0 {
        return Err(format!("`{text}` is negative"));
    }
    Ok(value)
}

impl Slo {
    /// Checks the objective against `measured` (`None`: the metric is missing).
    pub fn evaluate_value(&self, measured: Option<f64>) -> Verdict {
        // NaN holds no comparison, so nothing measured is never met.
        let met = measured.is_some_and(|value| self.op.holds(value, self.threshold));
        let reason = match measured {
            None => Some(format!("the run has no {}/{}", self.scope, self.metric)),
            Some(value) if value.is_nan() => Some(why_no_value(&self.metric).to_owned()),
            Some(_) => None,
        };
        Verdict {
            slo: self.clone(),
            measured,
            met,
            reason,
        }
    }

    /// Checks the objective against a run's summary.
    pub fn evaluate(&self, summary: &Summary) -> Verdict {
        self.evaluate_value(summary.get(&self.scope, &self.metric))
    }
}

/// `scope/metric op threshold`, the scope left out when it is `overall`.
impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scope != "overall" {
            write!(f, "{}/", self.scope)?;
        }
        write!(f, "{} {} {}", self.metric, self.op.symbol(), self.threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_and_units() {
        let slo = parse("p99<200ms").unwrap();
        assert_eq!(
            (slo.scope.as_str(), slo.metric.as_str(), slo.op, slo.threshold),
            ("overall", "latency_p99_ms", Op::Less, 200.0)
        );
        assert_eq!(parse("p99 <= 1.5s").unwrap().threshold, 1500.0);
        assert_eq!(parse("errors<0.1%").unwrap().metric, "error_rate");
        assert!((parse("errors<0.1%").unwrap().threshold - 0.001).abs() < 1e-15);
        assert_eq!(parse("error_rate<0.001").unwrap().threshold, 0.001);
        assert_eq!(parse("throughput>=1.2k/s").unwrap().threshold, 1200.0);
        assert_eq!(parse("throughput>=500").unwrap().op, Op::GreaterOrEqual);
    }

    #[test]
    fn scoped_objectives() {
        let slo = parse("web/cpu_utilization<=80%").unwrap();
        assert_eq!(
            (slo.scope.as_str(), slo.metric.as_str()),
            ("web", "cpu_utilization")
        );
        assert!((slo.threshold - 0.8).abs() < 1e-15);
        let class = parse("class:view_page/p99<150ms").unwrap();
        assert_eq!(class.scope, "class:view_page");
        assert_eq!(class.to_string(), "class:view_page/latency_p99_ms < 150");
    }

    #[test]
    fn full_ms_names_take_bare_milliseconds() {
        assert_eq!(parse("latency_p99_ms<250").unwrap().threshold, 250.0);
    }

    #[test]
    fn unknown_metrics_are_named_with_a_suggestion() {
        let message = |text: &str| parse(text).unwrap_err().to_string();
        assert_eq!(
            message("web/cpu_utilisation<0.8"),
            "invalid SLO `web/cpu_utilisation<0.8`: `cpu_utilisation` is not a metric \
             (did you mean `cpu_utilization`?)"
        );
        assert_eq!(
            message("bananas<3"),
            "invalid SLO `bananas<3`: `bananas` is not a metric"
        );
    }

    #[test]
    fn bad_objectives_say_why() {
        let message = |text: &str| parse(text).unwrap_err().to_string();
        assert!(message("p99").contains("expected METRIC<THRESHOLD"));
        assert!(message("<200ms").contains("metric is missing"));
        assert!(message("p 99<200ms").contains("not a metric name"));
        assert!(message("p99<200").contains("has no unit: write `200ms`"));
        assert!(message("p99<").contains("threshold is missing"));
        assert!(message("error_rate<abc").contains("`abc` is not a number"));
        assert!(message("p99<200parsecs").contains("unknown duration unit"));
        assert!(message("error_rate<-1").contains("negative"));
    }

    #[test]
    fn verdicts() {
        let mut summary = Summary::default();
        summary.push("overall", "latency_p99_ms", 120.0);
        summary.push("overall", "error_rate", 0.002);
        assert!(parse("p99<200ms").unwrap().evaluate(&summary).met);
        assert!(!parse("p99<100ms").unwrap().evaluate(&summary).met);
        assert!(!parse("p99<120ms").unwrap().evaluate(&summary).met);
        assert!(parse("p99<=120ms").unwrap().evaluate(&summary).met);
        assert!(!parse("errors<0.1%").unwrap().evaluate(&summary).met);
        let missing = parse("web/utilization<0.8").unwrap().evaluate(&summary);
        assert_eq!((missing.measured, missing.met), (None, false));
        assert!(!parse("p99<200ms").unwrap().evaluate_value(Some(f64::NAN)).met);
        assert_eq!(missing.reason.as_deref(), Some("the run has no web/utilization"));
        assert_eq!(parse("p99<200ms").unwrap().evaluate(&summary).reason, None);
    }

    /// Nothing measured (a blank cell, NaN) is never met, whatever the
    /// comparison, and the verdict says what did not happen.
    #[test]
    fn nothing_measured_is_missed_with_a_reason() {
        let mut summary = Summary::default();
        for name in metric::LATENCY.names() {
            summary.push("overall", metric::lookup(&name).unwrap().name, f64::NAN);
        }
        summary.push("overall", "error_rate", f64::NAN);
        summary.push("q", "job_latency_p99_ms", f64::NAN);
        for (text, reason) in [
            ("p99<200ms", "no request completed"),
            ("p50>=0ms", "no request completed"),
            ("max<=1h", "no request completed"),
            ("errors<0.1%", "no request ended (none completed or failed)"),
            ("q/job_latency_p99_ms<1000", "no job completed"),
        ] {
            let verdict = parse(text).unwrap().evaluate(&summary);
            assert!(!verdict.met, "{text}");
            assert_eq!(verdict.reason.as_deref(), Some(reason), "{text}");
        }
    }
}
