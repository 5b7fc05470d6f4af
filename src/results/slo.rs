//! Service-level objectives checked against a run's summary: each one's
//! verdict, with its margin and, after replications, its 95 % interval.
//! The grammar (`p99<200ms`, `web/cpu_utilization<=0.8`, …) is the
//! scenario's (`scenario::slo`), shared by `--slo` and `[slo]`.
//!
//! With replications an objective is met only when its whole 95 % interval
//! is within the threshold: `p99 < 300ms` needs the interval's upper end
//! below 300 ms, not only the mean. `drill:<target>` stands for every drill
//! on that target: each must meet the objective, and the verdict is the
//! worst one's.

use crate::metrics::Summary;
use crate::metrics::catalog::{self as metric, Unit};
pub use crate::scenario::slo::{Op, Slo, SloError, parse, parse_all};

/// A summary value and its 95 % interval, when it has one.
pub type Row = (f64, Option<(f64, f64)>);

/// The outcome of checking one objective.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub slo: Slo,
    /// The measured value (a mean over replications); `None` when the
    /// summary lacks the metric, NaN when the run measured nothing (no
    /// request completed: no latency).
    pub measured: Option<f64>,
    /// The 95 % interval over replications, when there is one.
    pub interval: Option<(f64, f64)>,
    /// Met only when measured, a number, and within the threshold — with
    /// an interval, the whole interval.
    pub met: bool,
    /// Why it is missed without a number to compare: `no request
    /// completed`, `the run has no web/utilization`, …
    pub reason: Option<String>,
    /// The scope measured, when the objective's stands for several
    /// (`drill:<target>`): the worst drill's.
    pub scope: String,
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

impl Slo {
    /// Checks the objective against `measured` (`None`: the metric is missing).
    pub fn evaluate_value(&self, measured: Option<f64>) -> Verdict {
        self.evaluate_interval(measured, None)
    }

    /// Checks the objective against a mean and its 95 % interval: the end
    /// of the interval on the wrong side of the threshold must hold too.
    pub fn evaluate_interval(&self, measured: Option<f64>, interval: Option<(f64, f64)>) -> Verdict {
        let interval = interval.filter(|(low, high)| low.is_finite() && high.is_finite());
        // NaN holds no comparison, so nothing measured is never met.
        let met = measured.is_some_and(|value| self.op.holds(value, self.threshold))
            && interval.is_none_or(|_| self.op.holds(self.bound(measured, interval), self.threshold));
        let reason = match measured {
            None => Some(format!("the run has no {}/{}", self.scope, self.metric)),
            Some(value) if value.is_nan() => Some(why_no_value(&self.metric).to_owned()),
            Some(_) => None,
        };
        Verdict {
            slo: self.clone(),
            measured,
            interval,
            met,
            reason,
            scope: self.scope.clone(),
        }
    }

    /// The value compared: the interval's end nearer to failing, or the
    /// value itself.
    fn bound(&self, measured: Option<f64>, interval: Option<(f64, f64)>) -> f64 {
        match (interval, self.op) {
            (Some((_, high)), Op::Less | Op::LessOrEqual) => high,
            (Some((low, _)), Op::Greater | Op::GreaterOrEqual) => low,
            (None, _) => measured.unwrap_or(f64::NAN),
        }
    }

    /// Checks the objective against a run's summary.
    pub fn evaluate(&self, summary: &Summary) -> Verdict {
        self.evaluate_value(summary.get(&self.scope, &self.metric))
    }

    /// Checks the objective against rows read by `value` (a mean and its
    /// interval), `scopes` being every scope the rows have: a
    /// `drill:<target>` objective is checked against each drill on the
    /// target and the worst verdict kept (none struck: missed, with why).
    pub fn evaluate_in(&self, scopes: &[&str], value: &dyn Fn(&str, &str) -> Option<Row>) -> Verdict {
        let check = |scope: &str| {
            let row = value(scope, &self.metric);
            let mut verdict = self.evaluate_interval(row.map(|(mean, _)| mean), row.and_then(|(_, ci)| ci));
            verdict.scope = scope.to_owned();
            if row.is_none() {
                verdict.reason = Some(format!("the run has no {scope}/{}", self.metric));
            }
            verdict
        };
        match self
            .scope
            .strip_prefix("drill:")
            .filter(|target| !target.contains('@'))
        {
            Some(target) => {
                let prefix = format!("drill:{target}@");
                let verdicts: Vec<Verdict> = scopes
                    .iter()
                    .filter(|scope| scope.starts_with(&prefix))
                    .map(|scope| check(scope))
                    .collect();
                let worst = verdicts
                    .iter()
                    .min_by(|a, b| a.met.cmp(&b.met).then(a.margin().total_cmp(&b.margin())))
                    .cloned();
                worst.unwrap_or_else(|| {
                    let mut verdict = self.evaluate_value(None);
                    verdict.reason = Some(format!("no drill struck {target}"));
                    verdict
                })
            }
            None => check(&self.scope),
        }
    }
}

impl Verdict {
    /// How far the compared value (the interval's end, with replications)
    /// is inside the threshold, in the metric's unit; negative outside,
    /// NaN when nothing was measured.
    pub fn margin(&self) -> f64 {
        let value = self.slo.bound(self.measured, self.interval);
        match self.slo.op {
            Op::Less | Op::LessOrEqual => self.slo.threshold - value,
            Op::Greater | Op::GreaterOrEqual => value - self.slo.threshold,
        }
    }

    /// The verdict in a sentence: `met: overall/latency_p99_ms 122.4 ms,
    /// 177.6 ms inside < 300 ms`; with replications `MISSED:
    /// overall/latency_p99_ms 285 ms (95 % interval 270–301 ms), not inside
    /// < 300 ms (1 ms over)`; nothing measured says why.
    pub fn describe(&self) -> String {
        let outcome = if self.met { "met" } else { "MISSED" };
        let metric = &self.slo.metric;
        let name = format!("{}/{metric}", self.scope);
        let limit = format!(
            "{} {}",
            self.slo.op.symbol(),
            value_text(metric, self.slo.threshold)
        );
        let measured = match self.measured {
            None => return format!("{outcome}: {}", self.reason.as_deref().unwrap_or("not measured")),
            Some(value) if value.is_nan() => {
                return format!(
                    "{outcome}: {name} has no value ({})",
                    self.reason.as_deref().unwrap_or("nothing measured")
                );
            }
            Some(value) => value,
        };
        // A share's margin is in percentage points.
        let margin = match value_text(metric, self.margin().abs()) {
            text if text.ends_with(" %") => format!("{} pp", text.trim_end_matches(" %")),
            text => text,
        };
        match self.interval {
            Some((low, high)) => {
                let (low, high) = (value_text(metric, low), value_text(metric, high));
                // `270–301 ms`: the unit once, after the upper end.
                let unit = high.rsplit_once(' ').map_or("", |(_, unit)| unit);
                let low = low.strip_suffix(&format!(" {unit}")).unwrap_or(&low);
                let interval = format!(
                    "{name} {} (95 % interval {low}–{high})",
                    value_text(metric, measured)
                );
                if self.met {
                    format!("{outcome}: {interval}, inside {limit} (margin {margin})")
                } else {
                    format!("{outcome}: {interval}, not inside {limit} ({margin} beyond)")
                }
            }
            None if self.met => format!(
                "{outcome}: {name} {}, {margin} inside {limit}",
                value_text(metric, measured)
            ),
            None => format!(
                "{outcome}: {name} {}, {margin} beyond {limit}",
                value_text(metric, measured)
            ),
        }
    }
}

/// A value in its metric's unit, for a verdict: `285.2 ms`, `0.120 %`,
/// `$1,840.00`-like dollars, `12.5 s`.
pub fn value_text(metric: &str, value: f64) -> String {
    let trim = |text: String| {
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            text
        }
    };
    match metric::lookup(metric).map(|m| m.unit) {
        Some(Unit::Milliseconds) => format!("{} ms", trim(format!("{value:.2}"))),
        Some(Unit::Seconds) => format!("{} s", trim(format!("{value:.3}"))),
        Some(Unit::Usd) => format!("${value:.2}"),
        Some(Unit::Fraction) => format!("{} %", trim(format!("{:.3}", 100.0 * value))),
        Some(Unit::PerSecond) => format!("{}/s", trim(format!("{value:.2}"))),
        _ => trim(format!("{value:.3}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// With replications the whole 95 % interval must be within the
    /// threshold: a mean inside with the interval's end outside is missed,
    /// and the sentence says so with both numbers.
    #[test]
    fn the_interval_must_be_inside() {
        let slo = parse("p99 < 300ms").unwrap();
        let missed = slo.evaluate_interval(Some(285.0), Some((270.0, 301.0)));
        assert!(!missed.met);
        assert_eq!(
            missed.describe(),
            "MISSED: overall/latency_p99_ms 285 ms (95 % interval 270–301 ms), not inside < 300 ms (1 ms beyond)"
        );
        let met = slo.evaluate_interval(Some(285.0), Some((270.0, 291.0)));
        assert!(met.met);
        assert!(
            met.describe().ends_with("inside < 300 ms (margin 9 ms)"),
            "{}",
            met.describe()
        );
        let single = slo.evaluate_value(Some(285.0));
        assert_eq!(
            single.describe(),
            "met: overall/latency_p99_ms 285 ms, 15 ms inside < 300 ms"
        );
        let above = parse("throughput >= 100").unwrap();
        assert!(!above.evaluate_interval(Some(105.0), Some((95.0, 115.0))).met);
    }

    /// `drill:<target>` is every drill on the target, the worst kept.
    #[test]
    fn a_target_stands_for_its_drills() {
        let slo = parse("drill:pool.web/rto_s < 30s").unwrap();
        let rows = |scope: &str, _: &str| match scope {
            "drill:pool.web@100s" => Some((12.0, None)),
            "drill:pool.web@400s" => Some((41.0, None)),
            _ => None,
        };
        let scopes = ["overall", "drill:pool.web@100s", "drill:pool.web@400s"];
        let verdict = slo.evaluate_in(&scopes, &rows);
        assert!(!verdict.met);
        assert_eq!(verdict.scope, "drill:pool.web@400s");
        let none = slo.evaluate_in(&["overall"], &rows);
        assert_eq!(none.reason.as_deref(), Some("no drill struck pool.web"));
    }
}
