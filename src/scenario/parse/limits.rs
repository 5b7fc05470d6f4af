//! The `[limits]` rules that involve other sections. An open workload
//! whose arrivals alone (one event each) would exceed `max_events` is
//! refused at load time, with the estimate: such a run could only end at the
//! budget hours later — at absurd rates with a clock that barely moves,
//! since arrivals closer than a nanosecond share an instant.

use super::Cx;
use crate::engine::SimDuration;
use crate::scenario::reader::Node;
use crate::scenario::types::{Arrivals, Scenario, Workload};

/// Events a second a run handles, roughly (BENCHMARKS.md: 4–11 million),
/// for the message's "about how long".
const EVENTS_PER_SECOND: f64 = 10e6;

impl Workload {
    /// How many requests an open workload sends in the first `duration` of
    /// a run: the integral of its rate profile, exact without a `diurnal`
    /// cycle and a lower bound with one (the profile times the cycle's
    /// trough). `None` for a closed workload, whose rate depends on how
    /// fast the system answers.
    pub fn expected_arrivals(&self, duration: SimDuration) -> Option<f64> {
        let Arrivals::Open { rate, .. } = &self.arrivals else {
            return None;
        };
        // The breakpoints of the piecewise-linear rate, as the model builds
        // them (`model::RateProfile`): seconds and requests per second.
        let mut level = rate.per_second();
        let mut points = vec![(0.0, level)];
        for change in &self.profile {
            let at = change.at.as_secs_f64();
            let reached = at + change.over.as_secs_f64();
            points.push((at, level));
            points.push((reached, change.rate));
            match change.hold {
                Some(hold) => {
                    let back = reached + hold.as_secs_f64();
                    points.push((back, change.rate));
                    points.push((back, level));
                }
                None => level = change.rate,
            }
        }
        let end = duration.as_secs_f64();
        let mut total = 0.0;
        for pair in points.windows(2) {
            let ((t0, r0), (t1, r1)) = (pair[0], pair[1]);
            let (from, to) = (t0.max(0.0), t1.min(end));
            if t1 > t0 && to > from {
                let at = |t: f64| r0 + (r1 - r0) * (t - t0) / (t1 - t0);
                total += (to - from) * (at(from) + at(to)) / 2.0;
            }
        }
        let (last_time, last_rate) = *points.last().expect("the base rate is a point");
        if end > last_time {
            total += (end - last_time) * last_rate;
        }
        let trough = self.diurnal.as_ref().map_or(1.0, |diurnal| diurnal.trough);
        Some(total * trough)
    }
}

/// Refuses an open workload whose arrivals alone would exceed
/// `limits.max_events`; `workload` is the `[workload]` node, where the
/// error points (at its `arrivals`).
pub(super) fn check_event_budget(cx: &mut Cx, scenario: &Scenario, workload: &Node) {
    let Some(arrivals) = scenario.workload.expected_arrivals(scenario.duration) else {
        return;
    };
    let budget = scenario.limits.max_events;
    if arrivals.is_nan() || arrivals <= budget as f64 {
        return;
    }
    // At the rate itself when the workload states one (it may come from a
    // `--set`), else at `arrivals`.
    let Some(arrivals_node) = cx
        .reader
        .table(workload)
        .and_then(|mut table| table.get("arrivals"))
    else {
        return;
    };
    let rate_node = match arrivals_node.value {
        toml::de::DeValue::Table(_) => cx.reader.table(&arrivals_node).and_then(|mut table| {
            let rate = table.get("rate");
            rate.or_else(|| table.get("daily_users"))
        }),
        _ => None,
    };
    let whole = arrivals / EVENTS_PER_SECOND;
    let until_limit = budget as f64 / EVENTS_PER_SECOND;
    cx.reader.invalid(
        rate_node.as_ref().unwrap_or(&arrivals_node),
        format!(
            "this workload sends about {arrivals:.3e} requests in {} — at least one event each, more than \
             `limits.max_events` ({budget}) allows",
            scenario.duration
        ),
        Some(format!(
            "at about 10 million events a second the whole run would take {}, and it would stop at the limit \
             after {}; lower the rate or shorten `duration`, or raise `max_events` under `[limits]` if you \
             mean it",
            describe_seconds(whole),
            describe_seconds(until_limit)
        )),
    );
}

/// Seconds of wall time in words: "17 minutes", "3.5 hours", "950 years".
fn describe_seconds(seconds: f64) -> String {
    const YEAR: f64 = 365.25 * 86_400.0;
    if seconds >= 1e6 * YEAR {
        format!("{:.1e} years", seconds / YEAR)
    } else if seconds >= 2.0 * YEAR {
        format!("{:.0} years", seconds / YEAR)
    } else if seconds >= 2.0 * 86_400.0 {
        format!("{:.0} days", seconds / 86_400.0)
    } else if seconds >= 3600.0 {
        format!("{:.1} hours", seconds / 3600.0)
    } else if seconds > 60.0 {
        format!("{:.0} minutes", (seconds / 60.0).ceil())
    } else {
        "a minute or less".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::SimDuration;
    use crate::scenario::load_str;

    fn arrivals(workload: &str, duration: &str) -> f64 {
        let text = format!(
            "[scenario]\nduration = \"{duration}\"\n[workload]\n{workload}\nmix = [{{ class = \"a\", call = \"web/a\" }}]\n\
             [pool.web]\nworkers = 1\n[pool.web.endpoint.a]\nservice = \"1ms\"\n"
        );
        let scenario = load_str(&text).expect("loads").scenario;
        scenario
            .workload
            .expected_arrivals(scenario.duration)
            .expect("open")
    }

    #[test]
    fn a_constant_rate_sends_rate_times_duration() {
        let n = arrivals("arrivals = { kind = \"open\", rate = \"100/s\" }", "10m");
        assert!((n - 60_000.0).abs() < 1e-6, "{n}");
    }

    #[test]
    fn steps_ramps_and_spikes_are_integrated() {
        // 100/s for 60 s, a ramp to 300/s over 60 s (12 000), 300/s for
        // 60 s, a 30 s spike at 1000/s, then 300/s to the end (90 s).
        let n = arrivals(
            "arrivals = { kind = \"open\", rate = \"100/s\" }\nprofile = [{ at = \"1m\", rate = \"300/s\", over = \"1m\" }, \
             { at = \"3m\", rate = \"1000/s\", for = \"30s\" }]",
            "5m",
        );
        let expected = 100.0 * 60.0 + 12_000.0 + 300.0 * 60.0 + 1000.0 * 30.0 + 300.0 * 90.0;
        assert!((n - expected).abs() < 1e-6, "{n} vs {expected}");
        // A run that ends inside the ramp counts only its part.
        let half = arrivals(
            "arrivals = { kind = \"open\", rate = \"100/s\" }\nprofile = [{ at = \"1m\", rate = \"300/s\", over = \"1m\" }]",
            "90s",
        );
        assert!((half - (6_000.0 + 30.0 * 150.0)).abs() < 1e-6, "{half}");
    }

    #[test]
    fn a_diurnal_cycle_counts_its_trough() {
        let n = arrivals(
            "arrivals = { kind = \"open\", rate = \"100/s\" }\ndiurnal = { trough = 0.25 }",
            "1000s",
        );
        assert!((n - 25_000.0).abs() < 1e-6, "{n}");
    }

    #[test]
    fn a_closed_workload_has_no_estimate() {
        let text = "[scenario]\nduration = \"1m\"\n[workload]\narrivals = { kind = \"closed\", users = 5, think = \"1s\" }\n\
                    mix = [{ class = \"a\", call = \"web/a\" }]\n[pool.web]\nworkers = 1\n[pool.web.endpoint.a]\nservice = \"1ms\"\n";
        let scenario = load_str(text).expect("loads").scenario;
        assert_eq!(
            scenario.workload.expected_arrivals(SimDuration::from_secs(60)),
            None
        );
    }

    #[test]
    fn too_many_arrivals_for_the_event_budget_are_an_error_with_the_estimate() {
        let text = "[scenario]\nduration = \"5m\"\n[workload]\narrivals = { kind = \"open\", rate = \"1e15/s\" }\n\
                    mix = [{ class = \"a\", call = \"web/a\" }]\n[pool.web]\nworkers = 1\n[pool.web.endpoint.a]\nservice = \"1ms\"\n";
        let error = load_str(text).expect_err("too many events");
        let diagnostic = error.errors().next().expect("an error");
        assert_eq!(diagnostic.path.as_deref(), Some("workload.arrivals.rate"));
        assert!(
            diagnostic.message.contains("3.000e17 requests"),
            "{}",
            diagnostic.message
        );
        assert!(
            diagnostic.message.contains("limits.max_events"),
            "{}",
            diagnostic.message
        );
        let help = diagnostic.help.as_deref().unwrap_or("");
        assert!(
            help.contains("951 years") && help.contains("after 17 minutes") && help.contains("max_events"),
            "{help}"
        );
        // Raising the budget is the way to say "I mean it".
        let raised = format!("{text}[limits]\nmax_events = 1e18\n");
        assert!(load_str(&raised).is_ok());
        // Just under the budget loads.
        let under = text.replace("1e15/s", "3e7/s");
        assert!(load_str(&under).is_ok(), "9e9 arrivals fit in 1e10 events");
    }
}
