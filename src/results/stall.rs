//! Runs in which no request completed. Such a run has no latency (its
//! latency cells are blank) and meets no objective on it; this says why
//! nothing completed, from the summary alone, so `capsim run`, report.html
//! and the SLO verdicts say the same: the system is **saturated** when
//! requests piled up — more in flight at the end than when measuring began,
//! waiting in some station's queue — or every request that ended failed, or
//! none arrived at all, or they were all still in progress (slow, not
//! queued).

use crate::metrics::catalog as metric;

/// Why no request completed in a run, read from its summary.
#[derive(Clone, Debug, PartialEq)]
pub struct Stall {
    /// Requests that arrived after warm-up.
    pub requests: f64,
    /// Of those, and of those in flight at warm-up, the ones that failed.
    pub errors: f64,
    pub in_flight_at_warmup: f64,
    pub in_flight_at_end: f64,
    /// The station with the longest mean queue, and that queue, when any
    /// station had requests waiting.
    pub longest_queue: Option<(String, f64)>,
}

impl Stall {
    /// Requests piled up waiting: the throughput was 0 while the backlog
    /// grew in a queue.
    pub fn saturated(&self) -> bool {
        self.in_flight_at_end > self.in_flight_at_warmup && self.longest_queue.is_some()
    }

    /// One sentence: what happened, starting with "no request completed".
    pub fn describe(&self) -> String {
        let count = |value: f64| format!("{value:.0}");
        if self.saturated() {
            let (station, queue) = self
                .longest_queue
                .as_ref()
                .map_or(("", 0.0), |(s, q)| (s.as_str(), *q));
            return format!(
                "no request completed: saturated — {} of {} requests still in flight at the end \
                 ({} at the start of measuring), queueing at `{station}` (mean queue {queue:.2})",
                count(self.in_flight_at_end),
                count(self.requests + self.in_flight_at_warmup),
                count(self.in_flight_at_warmup),
            );
        }
        if self.requests + self.in_flight_at_warmup == 0.0 {
            return "no request completed: none arrived while measuring".to_owned();
        }
        if self.in_flight_at_end == 0.0 {
            return format!(
                "no request completed: all {} that ended failed",
                count(self.errors)
            );
        }
        format!(
            "no request completed: {} failed and {} were still in progress at the end",
            count(self.errors),
            count(self.in_flight_at_end)
        )
    }
}

/// Why no request completed in the run whose summary has `rows` (scope,
/// metric), read through `value(scope, metric)`; `None` when some completed
/// (or the summary has no `overall,completed`).
pub fn stall<'a>(
    rows: impl IntoIterator<Item = (&'a str, &'a str)>,
    value: &dyn Fn(&str, &str) -> Option<f64>,
) -> Option<Stall> {
    let overall = |metric: &str| value("overall", metric).filter(|v| v.is_finite()).unwrap_or(0.0);
    if value("overall", metric::COMPLETED.name)? != 0.0 {
        return None;
    }
    let mut longest_queue: Option<(String, f64)> = None;
    for (scope, name) in rows {
        if name != metric::QUEUE_LEN_MEAN.name {
            continue;
        }
        let Some(queue) = value(scope, name).filter(|q| q.is_finite() && *q > 0.0) else {
            continue;
        };
        if longest_queue.as_ref().is_none_or(|(_, longest)| queue > *longest) {
            longest_queue = Some((scope.to_owned(), queue));
        }
    }
    Some(Stall {
        requests: overall(metric::REQUESTS.name),
        errors: overall(metric::ERRORS.name),
        in_flight_at_warmup: overall(metric::IN_FLIGHT_AT_WARMUP.name),
        in_flight_at_end: overall(metric::IN_FLIGHT_AT_END.name),
        longest_queue,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Summary;

    fn of(summary: &Summary) -> Option<Stall> {
        stall(
            summary.rows.iter().map(|row| (row.scope.as_str(), row.metric)),
            &|scope, metric| summary.get(scope, metric),
        )
    }

    fn summary(completed: f64, errors: f64, at_end: f64, queues: &[(&str, f64)]) -> Summary {
        let mut summary = Summary::default();
        summary.push("overall", metric::REQUESTS, 6020.0);
        summary.push("overall", metric::COMPLETED, completed);
        summary.push("overall", metric::ERRORS, errors);
        summary.push("overall", metric::IN_FLIGHT_AT_WARMUP, 0.0);
        summary.push("overall", metric::IN_FLIGHT_AT_END, at_end);
        for (station, queue) in queues {
            summary.push(station, metric::QUEUE_LEN_MEAN, *queue);
        }
        summary
    }

    #[test]
    fn a_growing_queue_and_no_completion_is_saturation() {
        let stalled = of(&summary(0.0, 0.0, 6020.0, &[("db", 0.5), ("web", 3010.22)])).unwrap();
        assert!(stalled.saturated());
        assert_eq!(
            stalled.describe(),
            "no request completed: saturated — 6020 of 6020 requests still in flight at the end \
             (0 at the start of measuring), queueing at `web` (mean queue 3010.22)"
        );
    }

    #[test]
    fn other_reasons_are_not_saturation() {
        assert_eq!(of(&summary(1.0, 0.0, 6019.0, &[("web", 3000.0)])), None);
        let failed = of(&summary(0.0, 6020.0, 0.0, &[("web", 0.0)])).unwrap();
        assert!(!failed.saturated());
        assert_eq!(
            failed.describe(),
            "no request completed: all 6020 that ended failed"
        );
        let slow = of(&summary(0.0, 0.0, 6020.0, &[("web", 0.0)])).unwrap();
        assert!(!slow.saturated());
        assert_eq!(
            slow.describe(),
            "no request completed: 0 failed and 6020 were still in progress at the end"
        );
        let mut none = Summary::default();
        none.push("overall", metric::REQUESTS, 0.0);
        none.push("overall", metric::COMPLETED, 0.0);
        assert_eq!(
            of(&none).unwrap().describe(),
            "no request completed: none arrived while measuring"
        );
    }
}
