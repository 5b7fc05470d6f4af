//! Which charts a run gets, chosen by the metric names in its time series.
//!
//! Each chart family claims metrics by name (`latency_p99_ms`,
//! `utilization`, anything ending in `hit_ratio`, `replication_lag_ms`,
//! `instances`, `cost_usd`, …) and is drawn only when the run has them, so
//! metrics added by new component kinds appear without changes here.
//! Whatever no family claims lands in a final "other metrics" figure, one
//! panel per metric, so nothing the simulator measures goes unseen. A family
//! with more lines than one plot can show becomes small multiples, one panel
//! per scope. Events (`events.csv`) become markers on every chart.

use super::chart::{
    Annotations, Figure, Level, LineChart, Marker, Series, SmallMultiples, significant, tick_label,
};
use super::run_data::{EventRow, LatencyBucket, RunData, SeriesData};
use crate::metrics::catalog as metric;
use crate::scenario::slo::Slo;

/// Lines drawn on one plot before a family splits into panels.
pub const MAX_LINES: usize = 6;
/// Panels in one figure before it continues in another file.
pub const MAX_PANELS: usize = 12;
/// Files one family continues over. Past `MAX_PAGES × MAX_PANELS` scopes
/// (a run with a thousand request classes), the scopes that carry the most
/// (requests for classes, the highest value otherwise) keep their panels
/// and the rest share one panel of their per-window maximum.
pub const MAX_PAGES: usize = 2;
/// Lines of one metric in "other metrics" before the smallest are grouped
/// the same way.
pub const MAX_OTHER_LINES: usize = MAX_PAGES * MAX_PANELS;
/// Events marked on a chart.
pub const MAX_MARKERS: usize = 60;
/// The latency distribution chart's name (`charts/latency_distribution.svg`).
pub const LATENCY_DISTRIBUTION: &str = "latency_distribution";
/// Classes drawn on the latency distribution beside the whole run.
const MAX_DISTRIBUTION_CLASSES: usize = 4;

/// A chart and the file stem it is written under (`charts/NAME.svg`).
#[derive(Clone, Debug, PartialEq)]
pub struct NamedFigure {
    pub name: String,
    /// One sentence for the report: what the chart shows.
    pub caption: String,
    pub figure: Figure,
    /// The `(scope, metric)` series each plot draws: one list for a
    /// single chart, one per panel of small multiples (how `annotate`
    /// finds the plots an objective concerns).
    pub shows: Vec<Vec<(String, String)>>,
}

/// The time axis: seconds, minutes or hours, whichever keeps numbers short.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeAxis {
    pub seconds_per_unit: f64,
    pub label: &'static str,
}

impl TimeAxis {
    pub fn for_span(last_s: f64) -> TimeAxis {
        let (seconds_per_unit, label) = if last_s > 10.0 * 3600.0 {
            (3600.0, "time (h)")
        } else if last_s > 15.0 * 60.0 {
            (60.0, "time (min)")
        } else {
            (1.0, "time (s)")
        };
        TimeAxis {
            seconds_per_unit,
            label,
        }
    }

    fn of(data: &RunData) -> TimeAxis {
        let last = data
            .series
            .iter()
            .flat_map(|series| series.points.last())
            .map(|point| point.0)
            .fold(0.0, f64::max);
        TimeAxis::for_span(last)
    }

    pub fn scale(&self, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        points
            .iter()
            .map(|&(time_s, value)| (time_s / self.seconds_per_unit, value))
            .collect()
    }
}

/// The label of an event's marker: `warm-up end`, `rate change`,
/// `kill web-1` (the scope is added unless it is the whole system).
pub fn event_label(event: &EventRow) -> String {
    let kind = match event.kind.as_str() {
        "warmup_end" => "warm-up end".to_owned(),
        other => other.replace('_', " "),
    };
    match event.scope.as_str() {
        "" | "overall" | "workload" => kind,
        scope => format!("{kind} {scope}"),
    }
}

/// The events marked on charts: the first `MAX_MARKERS` (a run with
/// thousands of scaling actions would bury its lines; the report's event
/// table and events.csv list them all).
pub fn markers(events: &[EventRow], axis: TimeAxis) -> Vec<Marker> {
    events
        .iter()
        .take(MAX_MARKERS)
        .map(|event| Marker {
            x: event.time_s / axis.seconds_per_unit,
            label: event_label(event),
        })
        .collect()
}

/// The unit of a metric, read from the end of its name.
pub fn unit_of(metric: &str) -> &'static str {
    if metric.ends_with("_ms") {
        "ms"
    } else if metric.ends_with("_rps") {
        "requests/s"
    } else if metric.ends_with("_usd") {
        "US$"
    } else if metric.ends_with("_bytes") {
        "bytes"
    } else if metric.ends_with("_s") {
        "s"
    } else if ["ratio", "rate", "utilization", "probability"]
        .iter()
        .any(|suffix| metric.ends_with(suffix))
    {
        "fraction"
    } else {
        "count"
    }
}

/// `latency_p99_ms` → `latency p99 (ms)`.
pub fn axis_label(metric: &str) -> String {
    let unit = unit_of(metric);
    let words = metric
        .strip_suffix(&format!("_{}", metric.rsplit('_').next().unwrap_or("")))
        .filter(|_| matches!(unit, "ms" | "US$" | "bytes" | "s" | "requests/s"))
        .unwrap_or(metric);
    format!("{} ({unit})", words.replace('_', " "))
}

/// One line to draw: which series, and its name in the legend.
struct Line<'a> {
    series: &'a SeriesData,
    name: String,
    /// The name inside a panel that already names the scope.
    short: String,
}

/// A chart family: its file, title, axis and the lines it claims.
struct Family<'a> {
    name: &'static str,
    title: String,
    caption: String,
    y_label: String,
    y_at_least: Option<f64>,
    /// More lines than this split into panels by scope.
    max_lines: usize,
    lines: Vec<Line<'a>>,
}

/// Builds every chart for a run, in a fixed order.
pub fn run_charts(data: &RunData) -> Vec<NamedFigure> {
    let axis = TimeAxis::of(data);
    let markers = markers(&data.events, axis);
    let window = data
        .window_s()
        .map_or("window".to_owned(), |w| format!("{} window", seconds_text(w)));
    let mut families = families(data, &window);
    // One server that never changes is a flat line: its series are left to
    // "other metrics", which names constant series in its caption.
    families.retain(|family| family.name != metric::INSTANCES.name || flat_value(&family.lines).is_none());
    // Incident counts that stayed at zero say nothing a chart should show
    // (they stay in the CSV).
    let mut claimed: Vec<(&str, &str)> = data
        .series
        .iter()
        .filter(|series| is_quiet_incident(series))
        .map(|series| (series.scope.as_str(), series.metric.as_str()))
        .collect();
    // The latency of every request is drawn on the latency chart (its p99,
    // when it differs) or not at all: the other percentiles stay in the CSV.
    claimed.extend(
        data.series
            .iter()
            .filter(|series| series.scope == "overall" && series.metric.starts_with("latency_all_"))
            .map(|series| (series.scope.as_str(), series.metric.as_str())),
    );
    // A lone calling pool's fallbacks are the overall line of the fallbacks
    // chart (`fallback_lines` draws pools only when there are several).
    claimed.extend(
        data.series
            .iter()
            .filter(|series| series.metric == metric::FALLBACK_CALLS.name)
            .map(|series| (series.scope.as_str(), series.metric.as_str())),
    );
    let mut figures = Vec::new();
    for family in families {
        claimed.extend(
            family
                .lines
                .iter()
                .map(|l| (l.series.scope.as_str(), l.series.metric.as_str())),
        );
        let is_latency = family.name == "latency";
        figures.extend(draw_family(data, &family, axis, &markers));
        if is_latency {
            figures.extend(latency_distribution(data));
        }
    }
    if !figures.iter().any(|figure| figure.name == LATENCY_DISTRIBUTION) {
        figures.splice(0..0, latency_distribution(data));
    }
    let mut left_out = String::new();
    figures.extend(other_metrics(data, &claimed, axis, &markers, &mut left_out));
    // With no other metric to draw, the constant ones are named under the
    // last chart.
    if let Some(last) = figures.last_mut() {
        last.caption.push_str(&left_out);
    }
    figures
}

/// The one value every line of `lines` has in every window, if any.
fn flat_value(lines: &[Line]) -> Option<f64> {
    let mut values = lines
        .iter()
        .flat_map(|line| line.series.points.iter().map(|point| point.1))
        .filter(|y| y.is_finite());
    let first = values.next()?;
    values.all(|y| y == first).then_some(first)
}

/// The cumulative distribution of `scope`'s latencies in `latency.csv`
/// (successes, or every ended request when `all`): at each bucket's upper
/// edge, the share of requests below it; x is the decimal logarithm of the
/// latency in ms. Empty when the scope has no request.
fn cdf(rows: &[&LatencyBucket], all: bool) -> Vec<(f64, f64)> {
    let count = |row: &LatencyBucket| if all { row.all_count } else { row.count };
    let total: f64 = rows.iter().map(|row| count(row)).sum();
    if total <= 0.0 || !total.is_finite() {
        return Vec::new();
    }
    let mut points = Vec::new();
    let mut below = 0.0;
    for row in rows.iter().filter(|row| count(row) > 0.0) {
        if points.is_empty() && row.lower_ms > 0.0 {
            points.push((row.lower_ms.log10(), 0.0));
        }
        below += count(row);
        points.push((row.upper_ms.log10(), below / total));
    }
    points
}

/// The latency distribution of the run (`latency.csv`): the cumulative
/// share of successful requests at or below each latency, on a log scale,
/// beside every ended request's when some failed, and each class's when
/// there are a few; p50, p95 and p99 from `summary.csv` marked.
fn latency_distribution(data: &RunData) -> Option<NamedFigure> {
    let rows_of = |scope: &str| -> Vec<&LatencyBucket> {
        data.latency.iter().filter(|row| row.scope == scope).collect()
    };
    let overall = rows_of("overall");
    let mut series = Vec::new();
    let successes = cdf(&overall, false);
    if !successes.is_empty() {
        series.push(Series {
            name: "successful requests".to_owned(),
            points: successes,
        });
    }
    if overall.iter().any(|row| row.count != row.all_count) {
        series.push(Series {
            name: "every request (failures when they failed)".to_owned(),
            points: cdf(&overall, true),
        });
    }
    if series.is_empty() {
        return None;
    }
    let mut classes: Vec<&str> = Vec::new();
    for row in data.latency.iter().filter(|row| row.scope.starts_with("class:")) {
        if !classes.contains(&row.scope.as_str()) {
            classes.push(&row.scope);
        }
    }
    if (2..=MAX_DISTRIBUTION_CLASSES).contains(&classes.len()) {
        for class in &classes {
            let points = cdf(&rows_of(class), false);
            if !points.is_empty() {
                series.push(Series {
                    name: class.trim_start_matches("class:").to_owned(),
                    points,
                });
            }
        }
    }
    let markers = [
        (metric::LATENCY_P50_MS.name, "p50"),
        (metric::LATENCY_P95_MS.name, "p95"),
        (metric::LATENCY_P99_MS.name, "p99"),
    ]
    .iter()
    .filter_map(|(metric, name)| {
        let value = data.value("overall", metric).filter(|value| *value > 0.0)?;
        Some(Marker {
            x: value.log10(),
            label: format!("{name} {} ms", tick_label(significant(value, 3))),
        })
    })
    .collect();
    let mut caption =
        "Share of requests that took at most each latency (the cumulative distribution over the \
                       measured time; log scale), p50, p95 and p99 of successful requests marked"
            .to_owned();
    caption.push_str(if series.iter().any(|s| s.name.starts_with("every request")) {
        "; beside the successes, every request that ended, failures at the time they failed."
    } else {
        "."
    });
    if data.value("overall", metric::REPLICATIONS.name).is_some() {
        caption.push_str(" The replications' requests are pooled.");
    }
    Some(NamedFigure {
        name: LATENCY_DISTRIBUTION.to_owned(),
        caption,
        figure: Figure::Annotated(
            LineChart {
                title: "Latency distribution".to_owned(),
                x_label: "latency (ms, log scale)".to_owned(),
                y_label: "share of requests at or below".to_owned(),
                series,
                markers,
                y_from_zero: true,
                y_at_least: Some(1.0),
                x_from_zero: false,
            },
            Annotations {
                x_log10: true,
                ..Annotations::default()
            },
        ),
        shows: Vec::new(),
    })
}

/// The p99 of every request that ended (failures at the time they
/// failed), as a line beside the successes' percentiles when some window
/// differs from the successes' p99: with no failure the two are the same
/// line, and it is left out.
fn every_request_p99(data: &RunData) -> Option<Line<'_>> {
    let all = data.series("overall", metric::LATENCY_ALL_P99_MS.name)?;
    let successes = data.series("overall", metric::LATENCY_P99_MS.name);
    let same = successes.is_some_and(|successes| {
        successes.points.len() == all.points.len()
            && successes
                .points
                .iter()
                .zip(&all.points)
                .all(|(a, b)| a.0 == b.0 && (a.1 == b.1 || (a.1.is_nan() && b.1.is_nan())))
    });
    (!same).then(|| Line {
        series: all,
        name: "p99, every request".to_owned(),
        short: "p99 all".to_owned(),
    })
}

/// Counts of things that go wrong, drawn only when they happen.
const INCIDENT_METRICS: [&str; 6] = [
    metric::STALE_READS.name,
    metric::UNAVAILABLE.name,
    metric::READ_YOUR_WRITES_VIOLATIONS.name,
    metric::SESSIONS_LOST.name,
    metric::DEGRADED_WRITES.name,
    metric::SEMI_SYNC_DEGRADED_SHARDS.name,
];

/// Request rows of a class or a user region: drawn by their own families,
/// their other rows stay in the CSV and the summary.
fn is_request_scope(scope: &str) -> bool {
    scope.starts_with("class:") || scope.starts_with("region:")
}

fn is_quiet_incident(series: &SeriesData) -> bool {
    INCIDENT_METRICS.contains(&series.metric.as_str()) && series.points.iter().all(|&(_, value)| value == 0.0)
}

fn seconds_text(seconds: f64) -> String {
    if seconds >= 60.0 && seconds % 60.0 == 0.0 {
        format!("{} min", seconds / 60.0)
    } else {
        format!("{seconds} s")
    }
}

fn families<'a>(data: &'a RunData, window: &str) -> Vec<Family<'a>> {
    let overall = |metrics: &[(&str, &str)]| -> Vec<Line<'a>> {
        metrics
            .iter()
            .filter_map(|(metric, name)| {
                data.series("overall", metric).map(|series| Line {
                    series,
                    name: (*name).to_owned(),
                    short: (*name).to_owned(),
                })
            })
            .collect()
    };
    let latency = [
        (metric::LATENCY_P50_MS.name, "p50"),
        (metric::LATENCY_P95_MS.name, "p95"),
        (metric::LATENCY_P99_MS.name, "p99"),
    ];
    let mut families = vec![
        Family {
            name: "latency",
            title: "Latency percentiles".to_owned(),
            caption: format!(
                "Latency of the requests that succeeded, as users see it (p50, p95, p99 per {window}); \
                 when requests failed, also the p99 of every request that ended, failures at the time they failed."
            ),
            y_label: "latency (ms)".to_owned(),
            y_at_least: None,
            max_lines: MAX_LINES,
            lines: {
                let mut lines = overall(&latency);
                lines.extend(every_request_p99(data));
                lines
            },
        },
        Family {
            name: "latency_by_class",
            title: "Latency percentiles by request class".to_owned(),
            caption: format!("p50, p95 and p99 latency of each request class per {window}."),
            y_label: "latency (ms)".to_owned(),
            y_at_least: None,
            max_lines: latency.len(),
            lines: class_latency_lines(data, &latency),
        },
        Family {
            name: "latency_by_region",
            title: "Latency by user region".to_owned(),
            caption: format!(
                "p50 and p99 latency of the users of each region per {window}: each region is served by its nearest healthy data center."
            ),
            y_label: "latency (ms)".to_owned(),
            y_at_least: None,
            max_lines: 2 * MAX_LINES,
            lines: region_lines(
                data,
                &[
                    (metric::LATENCY_P50_MS.name, "p50"),
                    (metric::LATENCY_P99_MS.name, "p99"),
                ],
            ),
        },
        Family {
            name: "errors_by_region",
            title: "Errors by user region".to_owned(),
            caption: format!("Requests of each region's users that failed for good, per {window}."),
            y_label: format!("requests per {window}"),
            y_at_least: None,
            max_lines: MAX_LINES,
            lines: region_lines(data, &[(metric::ERRORS.name, "errors")]),
        },
        Family {
            name: "dns_answers",
            title: "DNS answers per target".to_owned(),
            caption: format!(
                "Look-ups a geoDNS name answered with each of its targets, per {window}: a data center's users move when its health check fails."
            ),
            y_label: format!("answers per {window}"),
            y_at_least: None,
            max_lines: MAX_LINES,
            lines: data
                .series
                .iter()
                .filter(|s| s.metric == metric::DNS_ANSWERS.name)
                .map(|series| Line {
                    series,
                    name: series.scope.clone(),
                    short: "answers".to_owned(),
                })
                .collect(),
        },
        Family {
            name: "throughput",
            title: "Offered load and throughput".to_owned(),
            caption: format!(
                "Requests arriving (offered) and completing successfully, per second, per {window}."
            ),
            y_label: "rate (requests/s)".to_owned(),
            y_at_least: None,
            max_lines: MAX_LINES,
            lines: overall(&[
                (metric::OFFERED_RPS.name, "offered"),
                (metric::THROUGHPUT_RPS.name, "throughput"),
            ]),
        },
        Family {
            name: "errors",
            title: "Errors by cause".to_owned(),
            caption: format!(
                "Requests failed for good, attempts timed out or retried, and requests rejected at each station, per {window}."
            ),
            y_label: format!("requests per {window}"),
            y_at_least: None,
            max_lines: MAX_LINES,
            lines: error_lines(data),
        },
        Family {
            name: "fallbacks",
            title: "Fallbacks and degraded requests".to_owned(),
            caption: format!(
                "Steps that failed (or found their breaker open or bulkhead full) and succeeded through their `fallback`, in all and, with several calling pools, in each, and the successful requests that took at least one fallback (degraded), per {window}."
            ),
            y_label: format!("count per {window}"),
            y_at_least: None,
            max_lines: MAX_LINES,
            lines: fallback_lines(data),
        },
        Family {
            name: "in_flight",
            title: "Requests in flight".to_owned(),
            caption: "Requests started and not yet finished, at each window's end.".to_owned(),
            y_label: "requests in flight (count)".to_owned(),
            y_at_least: None,
            max_lines: MAX_LINES,
            lines: overall(&[(metric::IN_FLIGHT.name, "in flight")]),
        },
    ];
    families.extend(cdn_families(data, window));
    families.extend(per_scope_families(data));
    families.retain(|family| !family.lines.is_empty());
    families
}

/// CDNs and CDN edges: the scopes that count origin requests.
fn cdn_scopes(data: &RunData) -> std::collections::BTreeSet<&str> {
    data.series
        .iter()
        .filter(|s| s.metric == metric::ORIGIN_REQUESTS.name)
        .map(|s| s.scope.as_str())
        .collect()
}

/// The CDNs' traffic (requests, misses, stale reads, evictions, requests
/// that fell back to the origin) and bytes (served, held), per CDN and edge.
fn cdn_families<'a>(data: &'a RunData, window: &str) -> Vec<Family<'a>> {
    let scopes = cdn_scopes(data);
    let lines = |metrics: &[(&str, &str)]| -> Vec<Line<'a>> {
        data.series
            .iter()
            .filter(|s| scopes.contains(s.scope.as_str()) && !is_quiet_incident(s))
            .filter_map(|series| {
                let (_, short) = metrics.iter().find(|(metric, _)| *metric == series.metric)?;
                Some(Line {
                    series,
                    name: format!("{} {short}", series.scope),
                    short: (*short).to_owned(),
                })
            })
            .collect()
    };
    vec![
        Family {
            name: "cdn_traffic",
            title: "CDN traffic".to_owned(),
            caption: format!(
                "Requests to each CDN and edge, the misses its edges fetched from the origin, content served stale (before an invalidation arrived), objects evicted to make room or whose TTL ran out, and requests sent straight to the origin while an edge was down, per {window}."
            ),
            y_label: format!("requests per {window}"),
            y_at_least: None,
            max_lines: MAX_LINES,
            lines: lines(&[
                (metric::REQUESTS.name, "requests"),
                (metric::MISSES.name, "misses"),
                (metric::ORIGIN_REQUESTS.name, "origin requests"),
                (metric::STALE_READS.name, "stale reads"),
                (metric::EVICTIONS.name, "evictions"),
                (metric::EXPIRED.name, "expired (TTL)"),
                (metric::FALLBACK_REQUESTS.name, "to the origin (fallback)"),
            ]),
        },
        Family {
            name: "cdn_bytes",
            title: "CDN egress and storage".to_owned(),
            caption: format!(
                "Bytes each CDN and edge served to users per {window} (billed as egress), and bytes of live objects (not past their TTL) its edges held at the window's end."
            ),
            y_label: "bytes".to_owned(),
            y_at_least: None,
            max_lines: MAX_LINES,
            lines: lines(&[
                (metric::EGRESS_BYTES.name, "egress"),
                (metric::STORED_BYTES.name, "stored"),
            ]),
        },
    ]
}

fn class_latency_lines<'a>(data: &'a RunData, latency: &[(&str, &str)]) -> Vec<Line<'a>> {
    let classes: Vec<&str> = data
        .series
        .iter()
        .filter(|s| s.scope.starts_with("class:") && s.metric == metric::LATENCY_P99_MS.name)
        .map(|s| s.scope.as_str())
        .collect();
    if classes.len() < 2 {
        return Vec::new();
    }
    classes
        .iter()
        .flat_map(|class| {
            latency.iter().filter_map(move |(metric, name)| {
                data.series(class, metric).map(|series| Line {
                    series,
                    name: format!("{} {name}", class.trim_start_matches("class:")),
                    short: (*name).to_owned(),
                })
            })
        })
        .collect()
}

/// Lines of `metrics` for every user region (`region:NAME` scopes).
fn region_lines<'a>(data: &'a RunData, metrics: &[(&str, &str)]) -> Vec<Line<'a>> {
    let regions: Vec<&str> = data
        .series
        .iter()
        .filter(|s| s.scope.starts_with("region:") && s.metric == metric::LATENCY_P99_MS.name)
        .map(|s| s.scope.as_str())
        .collect();
    regions
        .iter()
        .flat_map(|region| {
            metrics.iter().filter_map(move |(metric, name)| {
                data.series(region, metric).map(|series| Line {
                    series,
                    name: format!("{} {name}", region.trim_start_matches("region:")),
                    short: (*name).to_owned(),
                })
            })
        })
        .collect()
}

/// The fallbacks taken, in all and per calling pool, beside the requests
/// they degraded (none when no step has a `fallback`).
fn fallback_lines(data: &RunData) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    for (metric, name) in [
        (metric::FALLBACK_CALLS.name, "fallbacks"),
        (metric::DEGRADED_REQUESTS.name, "degraded requests"),
    ] {
        if let Some(series) = data.series("overall", metric) {
            lines.push(Line {
                series,
                name: name.to_owned(),
                short: name.to_owned(),
            });
        }
    }
    let pools: Vec<&SeriesData> = data
        .series
        .iter()
        .filter(|s| s.metric == metric::FALLBACK_CALLS.name && s.scope != "overall")
        .collect();
    // One pool's line would be the overall one again.
    if pools.len() > 1 {
        lines.extend(pools.into_iter().map(|series| Line {
            series,
            name: format!("fallbacks in {}", series.scope),
            short: "fallbacks".to_owned(),
        }));
    }
    lines
}

/// Failures overall (total, by cause, timeouts, retries) and rejections at
/// stations that rejected anything.
fn error_lines(data: &RunData) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    for series in data.series.iter().filter(|s| s.scope == "overall") {
        let name = if series.metric == metric::ERRORS.name {
            "failed requests".to_owned()
        } else if series.metric == metric::TIMEOUTS.name {
            "timed-out attempts".to_owned()
        } else if series.metric == metric::RETRIES.name {
            "retries".to_owned()
        } else {
            match series.metric.strip_prefix("errors_") {
                Some(cause) => format!("failed: {}", cause.replace('_', " ")),
                None => continue,
            }
        };
        lines.push(Line {
            series,
            short: name.clone(),
            name,
        });
    }
    for series in data.series.iter().filter(|s| s.metric == metric::REJECTED.name) {
        if series.points.iter().any(|&(_, value)| value > 0.0) {
            lines.push(Line {
                series,
                name: format!("rejected at {}", series.scope),
                short: "rejected".to_owned(),
            });
        }
    }
    for series in data
        .series
        .iter()
        .filter(|s| s.metric == metric::UNAVAILABLE.name)
    {
        if !is_quiet_incident(series) {
            lines.push(Line {
                series,
                name: format!("no instance in rotation at {}", series.scope),
                short: "unavailable".to_owned(),
            });
        }
    }
    lines
}

/// The metrics a per-component family claims, each with its legend suffix
/// (`" CPU"`).
enum Claims {
    Names(&'static [(&'static str, &'static str)]),
    /// Every metric whose name ends so (`hit_ratio`, `cache_hit_ratio`), no
    /// suffix.
    EndingIn(&'static str),
}

impl Claims {
    /// The legend suffix of `metric`, or `None` when it is not claimed.
    fn suffix(&self, metric: &str) -> Option<&'static str> {
        match self {
            Claims::Names(names) => names
                .iter()
                .find(|(name, _)| *name == metric)
                .map(|&(_, suffix)| suffix),
            Claims::EndingIn(end) => metric.ends_with(end).then_some(""),
        }
    }
}

/// A per-component family: file, title, caption, y label, y minimum extent,
/// and the metrics it claims.
type ScopeFamily = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<f64>,
    Claims,
);

/// Families of per-component metrics, each claiming metrics by name in
/// every scope but request classes.
const SCOPE_FAMILIES: [ScopeFamily; 15] = [
    (
        "utilization",
        "Utilization per station",
        "Share of workers (or connections) busy, and of CPU cores computing, per station.",
        "utilization (fraction busy)",
        Some(1.0),
        Claims::Names(&[
            (metric::UTILIZATION.name, " workers"),
            (metric::CPU_UTILIZATION.name, " CPU"),
        ]),
    ),
    (
        "queue",
        "Queue length per station",
        "Mean number of requests waiting for a worker (or connection), per station.",
        "mean queue length (requests)",
        None,
        // `queue_depth` is no catalogued metric (no run writes it).
        Claims::Names(&[(metric::QUEUE_LEN_MEAN.name, ""), ("queue_depth", "")]),
    ),
    (
        "wait",
        "Waiting time per station",
        "Mean time a request waits for a worker (or connection), per station.",
        "mean wait (ms)",
        None,
        Claims::Names(&[(metric::WAIT_MEAN_MS.name, "")]),
    ),
    (
        "hit_ratio",
        "Hit ratios",
        "Share of look-ups answered from a cache (DNS answers cached by users, caches, CDN edges).",
        "hit ratio (fraction)",
        Some(1.0),
        Claims::EndingIn(metric::HIT_RATIO.name),
    ),
    (
        "imbalance",
        "Load balance",
        "Most-loaded instance's requests over the mean, per balancer (1 is perfectly even).",
        "imbalance (max / mean)",
        None,
        Claims::Names(&[(metric::IMBALANCE.name, "")]),
    ),
    (
        "replication_lag",
        "Replication lag",
        "How far replicas are behind their primary: the age of the oldest write a replica has not applied, per replica, sampled through the window.",
        "replication lag (ms)",
        None,
        Claims::Names(&[
            // No catalogued metric (no run writes it).
            ("replication_lag_ms", ""),
            (metric::REPLICATION_LAG_MEAN_MS.name, " mean"),
            (metric::REPLICATION_LAG_P99_MS.name, " p99"),
            (metric::REPLICATION_LAG_MAX_MS.name, " max"),
            (metric::REPLICATION_BEHIND_MS.name, " behind"),
        ]),
    ),
    (
        "database_operations",
        "Database operations",
        "Reads and writes served per window, and reads that returned an older version than the primary held (stale, from a replica or a cache) or than the user had written (read-your-writes violations).",
        "operations per window (count)",
        None,
        Claims::Names(&[
            (metric::READS.name, " reads"),
            (metric::WRITES.name, " writes"),
            (metric::STALE_READS.name, " stale reads"),
            (
                metric::READ_YOUR_WRITES_VIOLATIONS.name,
                " read-your-writes violations",
            ),
            (
                metric::DEGRADED_WRITES.name,
                " writes acknowledged unreplicated (semi-sync degraded)",
            ),
        ]),
    ),
    (
        "semi_sync",
        "Semi-sync fallback",
        "Shards whose semi-synchronous replication fell back to asynchronous (an ack timed out, or too few replicas are alive): their writes are acknowledged before any replica has them.",
        "shards degraded (count)",
        None,
        Claims::Names(&[(metric::SEMI_SYNC_DEGRADED_SHARDS.name, " degraded shards")]),
    ),
    (
        "sessions_lost",
        "Sessions lost",
        "Sticky sessions held in the memory of servers that died, per window (users logged out, carts emptied).",
        "sessions lost per window (count)",
        None,
        Claims::Names(&[(metric::SESSIONS_LOST.name, "")]),
    ),
    (
        "cache_contents",
        "Cache contents",
        "Live entries at each window's end (entries past their TTL are not counted), and entries evicted to make room and entries whose TTL ran out during the window, per cache.",
        "entries (count)",
        None,
        Claims::Names(&[
            (metric::ENTRIES.name, " entries"),
            (metric::EVICTIONS.name, " evictions"),
            (metric::EXPIRED.name, " expired"),
        ]),
    ),
    (
        "instances",
        "Instances",
        "Instances running per pool, and instances a balancer sends requests to (autoscaling, failures, health checks and restarts show here).",
        "instances (count)",
        None,
        Claims::Names(&[
            (metric::INSTANCES.name, ""),
            (metric::SERVING_INSTANCES.name, " serving"),
            (metric::IN_ROTATION.name, " in rotation"),
        ]),
    ),
    (
        "cost",
        "Cost",
        "Cost of the instances running, per component and in total.",
        "cost (US$)",
        None,
        Claims::Names(&[(metric::COST_USD.name, "")]),
    ),
    (
        "message_queue_depth",
        "Message queue depth",
        "Messages waiting in each broker for a consumer: time-weighted mean and maximum per window.",
        "messages waiting (count)",
        None,
        Claims::Names(&[
            (metric::DEPTH_MEAN.name, " mean"),
            (metric::DEPTH_MAX.name, " max"),
        ]),
    ),
    (
        "message_age",
        "Message age and job latency",
        "Age of the oldest waiting message at each window's end, mean wait for a consumer, and the jobs' end-to-end latency (enqueue to consumer done).",
        "time (ms)",
        None,
        Claims::Names(&[
            (metric::OLDEST_AGE_MS.name, " oldest message"),
            (metric::QUEUE_WAIT_MEAN_MS.name, " mean wait"),
            (metric::JOB_LATENCY_P50_MS.name, " job p50"),
            (metric::JOB_LATENCY_P95_MS.name, " job p95"),
            (metric::JOB_LATENCY_P99_MS.name, " job p99"),
        ]),
    ),
    (
        "message_flow",
        "Message flow",
        "Messages per window: accepted by each broker, consumed, lost with an in-memory broker, and jobs that failed at the consumer.",
        "messages per window (count)",
        None,
        Claims::Names(&[
            (metric::ENQUEUED.name, " enqueued"),
            (metric::CONSUMED.name, " consumed"),
            (metric::LOST_MESSAGES.name, " lost"),
            (metric::FAILED_JOBS.name, " failed jobs"),
        ]),
    ),
];

/// The per-component families, each with the lines of the metrics it claims.
fn per_scope_families(data: &RunData) -> Vec<Family<'_>> {
    let cdn = cdn_scopes(data);
    SCOPE_FAMILIES
        .iter()
        .map(
            |&(name, title, caption, y_label, y_at_least, ref claims)| Family {
                name,
                title: title.to_owned(),
                caption: caption.to_owned(),
                y_label: y_label.to_owned(),
                y_at_least,
                max_lines: MAX_LINES,
                lines: data
                    .series
                    .iter()
                    .filter(|s| !is_request_scope(&s.scope) && !is_quiet_incident(s))
                    // A CDN's counts have their own charts; its hit ratio and
                    // cost join the others'.
                    .filter(|s| {
                        !cdn.contains(s.scope.as_str())
                            || s.metric == metric::HIT_RATIO.name
                            || s.metric == metric::COST_USD.name
                    })
                    .filter_map(|series| {
                        claims.suffix(&series.metric).map(|suffix| Line {
                            series,
                            name: format!("{}{suffix}", series.scope),
                            short: if suffix.is_empty() {
                                series.metric.replace('_', " ")
                            } else {
                                suffix.trim().to_owned()
                            },
                        })
                    })
                    .collect(),
            },
        )
        .collect()
}

/// One chart when the lines fit, otherwise panels by scope, continued in
/// further files (`NAME_2`, …) past `MAX_PANELS`, and past `MAX_PAGES`
/// files the largest scopes with the others grouped (`grouped`).
fn draw_family(data: &RunData, family: &Family, axis: TimeAxis, markers: &[Marker]) -> Vec<NamedFigure> {
    let chart = |title: String, lines: &[&Line], in_panel: bool, y_at_least: Option<f64>| {
        let series = lines
            .iter()
            .map(|line| Series {
                // In a panel the title names the scope: one line needs no
                // other name, several are told apart by their short names.
                name: match (in_panel, lines.len()) {
                    (false, _) => line.name.clone(),
                    (true, 1) => title.clone(),
                    (true, _) => line.short.clone(),
                },
                points: axis.scale(&line.series.points),
            })
            .collect();
        LineChart {
            title,
            x_label: axis.label.to_owned(),
            y_label: family.y_label.clone(),
            series,
            markers: markers.to_vec(),
            y_from_zero: true,
            y_at_least,
            x_from_zero: true,
        }
    };
    if family.lines.len() <= family.max_lines {
        let lines: Vec<&Line> = family.lines.iter().collect();
        return vec![NamedFigure {
            name: family.name.to_owned(),
            caption: family.caption.clone(),
            figure: Figure::Line(chart(family.title.clone(), &lines, false, family.y_at_least)),
            shows: vec![sources(&lines)],
        }];
    }
    // Panels share the y scale, so their heights compare at a glance.
    let y_max = family
        .lines
        .iter()
        .flat_map(|line| line.series.points.iter().map(|point| point.1))
        .filter(|y| y.is_finite())
        .fold(family.y_at_least.unwrap_or(f64::MIN), f64::max);
    let shared = (y_max > f64::MIN).then_some(y_max);
    let mut scopes: Vec<&str> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for line in &family.lines {
        let scope = panel_scope(line);
        if seen.insert(scope) {
            scopes.push(scope);
        }
    }
    let lines_of =
        |scope: &str| -> Vec<&Line> { family.lines.iter().filter(|l| panel_scope(l) == scope).collect() };
    let limit = MAX_PAGES * MAX_PANELS;
    if scopes.len() <= limit {
        let panels: Vec<(LineChart, Vec<(String, String)>)> = scopes
            .iter()
            .map(|scope| {
                let lines = lines_of(scope);
                (chart(scope.to_string(), &lines, true, shared), sources(&lines))
            })
            .collect();
        return paginate(family.name, &family.title, &family.caption, panels);
    }
    // Too many scopes to draw each: the largest keep a panel, the others
    // are drawn together as their maximum per window.
    let mut by_scope: std::collections::HashMap<&str, Vec<&Line>> = std::collections::HashMap::new();
    for line in &family.lines {
        by_scope.entry(panel_scope(line)).or_default().push(line);
    }
    let (kept, others) = grouped(data, &scopes, limit - 1, &|scope| {
        by_scope[scope].iter().map(|line| line.series).collect()
    });
    let mut panels: Vec<(LineChart, Vec<(String, String)>)> = kept
        .iter()
        .map(|scope| {
            (
                chart(scope.to_string(), &by_scope[scope], true, shared),
                sources(&by_scope[scope]),
            )
        })
        .collect();
    let mut shorts: Vec<&str> = Vec::new();
    for scope in &others {
        for line in &by_scope[scope] {
            if !shorts.contains(&line.short.as_str()) {
                shorts.push(&line.short);
            }
        }
    }
    let what = if kept.iter().all(|scope| scope_is_class(family, scope)) {
        "classes"
    } else {
        "scopes"
    };
    let title = format!("the other {} {what} (max)", others.len());
    let series = shorts
        .iter()
        .map(|short| Series {
            name: format!("{short} (max)"),
            points: axis.scale(&maximum(
                others
                    .iter()
                    .flat_map(|scope| by_scope[scope].iter())
                    .filter(|line| line.short == *short)
                    .map(|line| line.series),
            )),
        })
        .collect();
    // The maximum of several scopes is no one scope's series: no
    // objective's line belongs on it.
    panels.push((
        LineChart {
            title,
            x_label: axis.label.to_owned(),
            y_label: family.y_label.clone(),
            series,
            markers: markers.to_vec(),
            y_from_zero: true,
            y_at_least: shared,
            x_from_zero: true,
        },
        Vec::new(),
    ));
    let caption = format!(
        "{} The {} {what} {} have a panel each; the other {} share the last, their highest value in each window.",
        family.caption,
        kept.len(),
        if what == "classes" {
            "with the most requests"
        } else {
            "with the highest values"
        },
        others.len()
    );
    paginate(family.name, &family.title, &caption, panels)
}

/// The `(scope, metric)` of each line.
fn sources(lines: &[&Line]) -> Vec<(String, String)> {
    lines
        .iter()
        .map(|line| (line.series.scope.clone(), line.series.metric.clone()))
        .collect()
}

/// Whether a family's panel scope is a request class.
fn scope_is_class(family: &Family, scope: &str) -> bool {
    family
        .lines
        .iter()
        .any(|line| panel_scope(line) == scope && line.series.scope.starts_with("class:"))
}

/// Splits `scopes` into the `keep` largest, largest first, and the others
/// in their order: a request class by its requests (summary.csv), any other
/// scope by the highest value of its series. Ties keep the scopes' order.
fn grouped<'a, 's>(
    data: &RunData,
    scopes: &[&'a str],
    keep: usize,
    series_of: &dyn Fn(&str) -> Vec<&'s SeriesData>,
) -> (Vec<&'a str>, Vec<&'a str>) {
    let size = |scope: &str| -> f64 {
        let series = series_of(scope);
        let requests = series
            .first()
            .filter(|one| one.scope.starts_with("class:"))
            .and_then(|one| data.value(&one.scope, metric::REQUESTS.name));
        requests.unwrap_or_else(|| {
            series
                .iter()
                .flat_map(|one| one.points.iter().map(|point| point.1))
                .filter(|value| value.is_finite())
                .fold(f64::NEG_INFINITY, f64::max)
        })
    };
    let mut ranked: Vec<(usize, f64)> = scopes
        .iter()
        .enumerate()
        .map(|(index, scope)| (index, size(scope)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut chosen: Vec<usize> = ranked.iter().take(keep).map(|&(index, _)| index).collect();
    let kept: Vec<&str> = chosen.iter().map(|&index| scopes[index]).collect();
    chosen.sort_unstable();
    let others = scopes
        .iter()
        .enumerate()
        .filter(|(index, _)| chosen.binary_search(index).is_err())
        .map(|(_, scope)| *scope)
        .collect();
    (kept, others)
}

/// The highest finite value of `series` at each time any of them has one.
fn maximum<'s>(series: impl Iterator<Item = &'s SeriesData>) -> Vec<(f64, f64)> {
    let mut highest: std::collections::BTreeMap<u64, (f64, f64)> = std::collections::BTreeMap::new();
    for one in series {
        for &(time, value) in &one.points {
            if !value.is_finite() {
                continue;
            }
            // Times are window ends (non-negative): their bits sort as they do.
            let entry = highest.entry(time.to_bits()).or_insert((time, value));
            entry.1 = entry.1.max(value);
        }
    }
    highest.into_values().collect()
}

/// The panel a line belongs in: its scope, classes without `class:`.
fn panel_scope<'a>(line: &Line<'a>) -> &'a str {
    line.series.scope.trim_start_matches("class:")
}

fn paginate(
    name: &str,
    title: &str,
    caption: &str,
    panels: Vec<(LineChart, Vec<(String, String)>)>,
) -> Vec<NamedFigure> {
    let pages = panels.len().div_ceil(MAX_PANELS);
    panels
        .chunks(MAX_PANELS)
        .enumerate()
        .map(|(index, chunk)| {
            let (name, title) = if index == 0 {
                (name.to_owned(), title.to_owned())
            } else {
                (
                    format!("{name}_{}", index + 1),
                    format!("{title} ({} of {pages})", index + 1),
                )
            };
            NamedFigure {
                name,
                caption: caption.to_owned(),
                figure: Figure::Panels(SmallMultiples {
                    title,
                    panels: chunk.iter().map(|(panel, _)| panel.clone()).collect(),
                    notes: Vec::new(),
                }),
                shows: chunk.iter().map(|(_, shows)| shows.clone()).collect(),
            }
        })
        .collect()
}

/// Every series no family claimed, outside request classes: one panel per
/// metric with a line per scope.
fn other_metrics(
    data: &RunData,
    claimed: &[(&str, &str)],
    axis: TimeAxis,
    markers: &[Marker],
    left_out: &mut String,
) -> Vec<NamedFigure> {
    let unclaimed: Vec<&SeriesData> = data
        .series
        .iter()
        .filter(|s| !is_request_scope(&s.scope))
        .filter(|s| !claimed.contains(&(s.scope.as_str(), s.metric.as_str())))
        .collect();
    let mut metrics: Vec<&str> = Vec::new();
    for series in &unclaimed {
        if !metrics.contains(&series.metric.as_str()) {
            metrics.push(&series.metric);
        }
    }
    // A metric whose every value is the same number (all zero: nothing of
    // the kind happened; or constant) gets no panel, only a word in the
    // caption.
    let mut constant: Vec<String> = Vec::new();
    metrics.retain(|metric| {
        let mut values = unclaimed
            .iter()
            .filter(|s| s.metric == *metric)
            .flat_map(|s| s.points.iter().map(|point| point.1))
            .filter(|y| y.is_finite());
        let Some(first) = values.next() else {
            return true;
        };
        if values.all(|y| y == first) {
            constant.push(format!("{metric} ({})", tick_label(first)));
            false
        } else {
            true
        }
    });
    let panels: Vec<(LineChart, Vec<(String, String)>)> = metrics
        .iter()
        .flat_map(|metric| {
            let all: Vec<&SeriesData> = unclaimed
                .iter()
                .copied()
                .filter(|s| s.metric == *metric)
                .collect();
            // Past `MAX_OTHER_LINES` scopes, the largest keep a line and the
            // others become one line of their maximum.
            // Each line with the scope it draws (none for a maximum of several).
            let mut lines: Vec<(Series, Option<&str>)> = Vec::new();
            if all.len() > MAX_OTHER_LINES {
                let scopes: Vec<&str> = all.iter().map(|s| s.scope.as_str()).collect();
                let of = |scope: &str| -> Vec<&SeriesData> {
                    all.iter().copied().filter(|s| s.scope == scope).collect()
                };
                let (kept, others) = grouped(data, &scopes, MAX_OTHER_LINES - 1, &of);
                lines.extend(kept.iter().flat_map(|scope| of(scope)).map(|series| {
                    (
                        Series {
                            name: series.scope.clone(),
                            points: axis.scale(&series.points),
                        },
                        Some(series.scope.as_str()),
                    )
                }));
                lines.push((
                    Series {
                        name: format!("the other {} (max)", others.len()),
                        points: axis.scale(&maximum(others.iter().flat_map(|scope| of(scope)))),
                    },
                    None,
                ));
            } else {
                lines.extend(all.iter().map(|series| {
                    (
                        Series {
                            name: series.scope.clone(),
                            points: axis.scale(&series.points),
                        },
                        Some(series.scope.as_str()),
                    )
                }));
            }
            lines
                .chunks(MAX_LINES)
                .map(|chunk| {
                    (
                        LineChart {
                            title: metric.to_string(),
                            x_label: axis.label.to_owned(),
                            y_label: axis_label(metric),
                            series: chunk.iter().map(|(series, _)| series.clone()).collect(),
                            markers: markers.to_vec(),
                            y_from_zero: true,
                            y_at_least: None,
                            x_from_zero: true,
                        },
                        chunk
                            .iter()
                            .filter_map(|(_, scope)| Some(((*scope)?.to_owned(), metric.to_string())))
                            .collect(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut caption =
        "Every other measured series, one panel per metric and a line per component.".to_owned();
    if !constant.is_empty() {
        let sentence = format!(
            " Left out because every value is the same (shown in brackets): {}.",
            constant.join(", ")
        );
        if panels.is_empty() {
            *left_out = sentence;
        } else {
            caption.push_str(&sentence);
        }
    }
    paginate("other_metrics", "Other metrics", &caption, panels)
}

/// Whether `slo` concerns a plot that draws `shows`: it names a scope the
/// plot draws, and a metric the plot draws or, for a latency, any latency
/// of that scope (the axis is the same: `p999<…` belongs on a p50–p99
/// chart).
fn concerns(slo: &Slo, shows: &[(String, String)]) -> bool {
    let is_latency = |metric: &str| metric.starts_with("latency_") && metric.ends_with("_ms");
    shows.iter().any(|(scope, metric)| {
        *scope == slo.scope && (*metric == slo.metric || (is_latency(metric) && is_latency(&slo.metric)))
    })
}

/// The dashed lines of the objectives that concern a plot drawing `shows`.
fn slo_levels(slos: &[Slo], shows: &[(String, String)]) -> Vec<Level> {
    slos.iter()
        .filter(|slo| concerns(slo, shows))
        .map(|slo| Level {
            y: slo.threshold,
            label: format!("SLO {}", slo.text),
        })
        .collect()
}

/// Adds the objectives' thresholds to the charts they concern: a dashed
/// line at each `[slo]`/`--slo` threshold on every plot that draws the
/// objective's metric in its scope (latency panels of a class, a station's
/// utilization, the error rate), and a vertical one on the latency
/// distribution. The latency chart also gets a line at the client timeout
/// when latencies reach it (a plateau there is requests timing out), and
/// grey bands over windows in which no request completed (no latency to
/// draw).
pub fn annotate(figures: Vec<NamedFigure>, slos: &[Slo], timeout_s: Option<f64>) -> Vec<NamedFigure> {
    figures
        .into_iter()
        .map(|named| match named.name.as_str() {
            "latency" => annotate_latency(named, slos, timeout_s),
            LATENCY_DISTRIBUTION => annotate_distribution(named, slos),
            _ => annotate_thresholds(named, slos),
        })
        .collect()
}

const SLO_CAPTION: &str = " Dashed red lines: the objectives (SLO thresholds) of the metrics drawn.";

fn annotate_thresholds(mut named: NamedFigure, slos: &[Slo]) -> NamedFigure {
    let none = Vec::new();
    let shows = |index: usize| named.shows.get(index).unwrap_or(&none);
    let figure = match &named.figure {
        Figure::Line(chart) => {
            let levels = slo_levels(slos, shows(0));
            (!levels.is_empty()).then(|| {
                Figure::Annotated(
                    chart.clone(),
                    Annotations {
                        levels,
                        ..Annotations::default()
                    },
                )
            })
        }
        Figure::Panels(panels) => {
            let notes: Vec<Annotations> = (0..panels.panels.len())
                .map(|index| Annotations {
                    levels: slo_levels(slos, shows(index)),
                    ..Annotations::default()
                })
                .collect();
            notes.iter().any(|notes| !notes.levels.is_empty()).then(|| {
                Figure::Panels(SmallMultiples {
                    notes,
                    ..panels.clone()
                })
            })
        }
        Figure::Annotated(..) => None,
    };
    if let Some(figure) = figure {
        named.figure = figure;
        named.caption.push_str(SLO_CAPTION);
    }
    named
}

fn annotate_distribution(mut named: NamedFigure, slos: &[Slo]) -> NamedFigure {
    let Figure::Annotated(_, notes) = &mut named.figure else {
        return named;
    };
    for slo in slos {
        if slo.scope == "overall" && slo.metric.starts_with("latency_") && slo.metric.ends_with("_ms") {
            notes.thresholds.push(Marker {
                x: slo.threshold.log10(),
                label: format!("SLO {}", slo.text),
            });
        }
    }
    if !notes.thresholds.is_empty() {
        named
            .caption
            .push_str(" Dashed red lines: the latency objectives' thresholds.");
    }
    named
}

fn annotate_latency(mut named: NamedFigure, slos: &[Slo], timeout_s: Option<f64>) -> NamedFigure {
    let Figure::Line(chart) = &named.figure else {
        return named;
    };
    let mut notes = Annotations {
        gap_label: Some("no request completed".to_owned()),
        levels: slo_levels(slos, named.shows.first().map_or(&[][..], Vec::as_slice)),
        ..Annotations::default()
    };
    let highest = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|y| y.is_finite())
        .fold(f64::MIN, f64::max);
    if let Some(timeout_ms) = timeout_s.map(|s| s * 1000.0)
        && highest >= 0.9 * timeout_ms
    {
        notes.levels.push(Level {
            y: timeout_ms,
            label: format!("client timeout {}", seconds_text(timeout_ms / 1000.0)),
        });
    }
    let gaps = chart.gaps_exist();
    if !notes.levels.is_empty() {
        named.caption.push_str(
            " Dashed red lines: the latency objectives and, when latencies reach it, the client timeout \
             (a plateau there is requests giving up).",
        );
    }
    if gaps {
        named
            .caption
            .push_str(" Grey bands: windows in which no request completed, so there is no latency.");
    }
    if notes.levels.is_empty() && !gaps {
        return named;
    }
    named.figure = Figure::Annotated(chart.clone(), notes);
    named
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(scope: &str, metric: &str) -> SeriesData {
        SeriesData {
            scope: scope.into(),
            metric: metric.into(),
            points: vec![(10.0, 1.0), (20.0, 2.0)],
        }
    }

    fn data(names: &[(&str, &str)]) -> RunData {
        RunData {
            series: names
                .iter()
                .map(|(scope, metric)| series(scope, metric))
                .collect(),
            ..RunData::default()
        }
    }

    fn names(figures: &[NamedFigure]) -> Vec<&str> {
        figures.iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn only_metrics_that_exist_get_charts() {
        let run = data(&[
            ("overall", "latency_p50_ms"),
            ("overall", "latency_p99_ms"),
            ("overall", "throughput_rps"),
            ("web", "utilization"),
        ]);
        assert_eq!(names(&run_charts(&run)), ["latency", "throughput", "utilization"]);
    }

    #[test]
    fn future_metrics_are_picked_up_by_name() {
        let run = data(&[
            ("cache", "hit_ratio"),
            ("www", "cache_hit_ratio"),
            ("db", "replication_lag_ms"),
            ("web", "instances"),
            ("overall", "cost_usd"),
            ("overall", "errors_partition"),
            ("queue", "oldest_message_age_ms"),
        ]);
        let figures = run_charts(&run);
        assert_eq!(
            names(&figures),
            [
                "errors",
                "hit_ratio",
                "replication_lag",
                "instances",
                "cost",
                "other_metrics"
            ]
        );
        let Figure::Line(errors) = &figures[0].figure else {
            panic!()
        };
        assert_eq!(errors.series[0].name, "failed: partition");
        let Figure::Panels(other) = &figures[5].figure else {
            panic!()
        };
        assert_eq!(other.panels[0].title, "oldest_message_age_ms");
        assert_eq!(other.panels[0].y_label, "oldest message age (ms)");
    }

    #[test]
    fn regions_get_latency_error_and_dns_answer_charts() {
        let run = data(&[
            ("region:us", "latency_p50_ms"),
            ("region:us", "latency_p99_ms"),
            ("region:eu", "latency_p50_ms"),
            ("region:eu", "latency_p99_ms"),
            ("region:eu", "errors"),
            ("region:eu", "throughput_rps"),
            ("www/lb-us", "dns_answers"),
            ("www/lb-eu", "dns_answers"),
            ("db.replica[0]", "replication_behind_ms"),
        ]);
        let figures = run_charts(&run);
        assert_eq!(
            names(&figures),
            [
                "latency_by_region",
                "errors_by_region",
                "dns_answers",
                "replication_lag"
            ]
        );
        let Figure::Line(latency) = &figures[0].figure else {
            panic!()
        };
        let lines: Vec<&str> = latency.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(lines, ["us p50", "us p99", "eu p50", "eu p99"]);
    }

    #[test]
    fn degraded_requests_are_drawn_beside_the_fallbacks() {
        let run = data(&[
            ("overall", "fallback_calls"),
            ("overall", "degraded_requests"),
            ("class:get", "degraded_requests"),
            ("front", "fallback_calls"),
            ("mid", "fallback_calls"),
        ]);
        let figures = run_charts(&run);
        assert_eq!(names(&figures), ["fallbacks"]);
        let Figure::Line(fallbacks) = &figures[0].figure else {
            panic!()
        };
        let lines: Vec<&str> = fallbacks.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            lines,
            [
                "fallbacks",
                "degraded requests",
                "fallbacks in front",
                "fallbacks in mid"
            ]
        );
        // One pool: its line is the overall one, drawn once.
        let run = data(&[
            ("overall", "fallback_calls"),
            ("overall", "degraded_requests"),
            ("front", "fallback_calls"),
        ]);
        let figures = run_charts(&run);
        // …and not again among the other metrics.
        assert_eq!(names(&figures), ["fallbacks"]);
        let Figure::Line(fallbacks) = &figures[0].figure else {
            panic!()
        };
        assert_eq!(fallbacks.series.len(), 2);
    }

    #[test]
    fn incidents_that_never_happen_are_not_drawn() {
        let mut run = data(&[
            ("db", "reads"),
            ("db", "stale_reads"),
            ("lb", "unavailable"),
            ("lb2", "unavailable"),
        ]);
        run.series[1].points = vec![(10.0, 0.0), (20.0, 0.0)];
        run.series[2].points = vec![(10.0, 0.0), (20.0, 0.0)];
        let figures = run_charts(&run);
        assert_eq!(names(&figures), ["errors", "database_operations"]);
        let Figure::Line(errors) = &figures[0].figure else {
            panic!()
        };
        let lines: Vec<&str> = errors.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(lines, ["no instance in rotation at lb2"]);
        let Figure::Line(operations) = &figures[1].figure else {
            panic!()
        };
        assert_eq!(operations.series.len(), 1);
    }

    #[test]
    fn many_stations_become_small_multiples_across_files() {
        let stations: Vec<String> = (0..14).map(|i| format!("s{i}")).collect();
        let names_: Vec<(&str, &str)> = stations
            .iter()
            .flat_map(|s| [(s.as_str(), "utilization"), (s.as_str(), "cpu_utilization")])
            .collect();
        let figures = run_charts(&data(&names_));
        assert_eq!(names(&figures), ["utilization", "utilization_2"]);
        let Figure::Panels(first) = &figures[0].figure else {
            panic!()
        };
        assert_eq!(first.panels.len(), MAX_PANELS);
        let legend: Vec<&str> = first.panels[0].series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(legend, ["workers", "CPU"]);
        // Panels share one y scale: at least 1, and up to the largest value.
        assert_eq!(first.panels[0].y_at_least, Some(2.0));
        assert_eq!(first.panels[11].y_at_least, Some(2.0));
        let Figure::Panels(second) = &figures[1].figure else {
            panic!()
        };
        assert_eq!(second.title, "Utilization per station (2 of 2)");
        assert_eq!(second.panels.len(), 2);
    }

    #[test]
    fn past_two_files_the_largest_scopes_keep_panels_and_the_rest_are_grouped() {
        // 30 stations, station i peaking at i: the 23 highest keep a panel.
        let stations: Vec<String> = (0..30).map(|i| format!("s{i:02}")).collect();
        let mut run = data(
            &stations
                .iter()
                .map(|s| (s.as_str(), "queue_len_mean"))
                .collect::<Vec<_>>(),
        );
        for (index, series) in run.series.iter_mut().enumerate() {
            series.points = vec![(10.0, index as f64), (20.0, 0.5 * index as f64)];
        }
        let figures = run_charts(&run);
        assert_eq!(names(&figures), ["queue", "queue_2"]);
        let panels: Vec<&LineChart> = figures
            .iter()
            .flat_map(|figure| match &figure.figure {
                Figure::Panels(panels) => panels.panels.iter().collect::<Vec<_>>(),
                Figure::Line(_) | Figure::Annotated(..) => Vec::new(),
            })
            .collect();
        assert_eq!(panels.len(), MAX_PAGES * MAX_PANELS);
        assert_eq!(panels[0].title, "s29");
        assert_eq!(panels[22].title, "s07");
        let others = panels[23];
        assert_eq!(others.title, "the other 7 scopes (max)");
        // s00..s06: the highest of them in each window.
        assert_eq!(others.series[0].points, [(10.0, 6.0), (20.0, 3.0)]);
        assert!(figures[0].caption.contains("the other 7 share the last"));
    }

    #[test]
    fn classes_are_ranked_by_their_requests() {
        let classes: Vec<String> = (0..40).map(|i| format!("class:c{i}")).collect();
        let mut names_: Vec<(&str, &str)> = Vec::new();
        for class in &classes {
            for metric in ["latency_p50_ms", "latency_p95_ms", "latency_p99_ms"] {
                names_.push((class.as_str(), metric));
            }
        }
        let mut run = data(&names_);
        run.summary = classes
            .iter()
            .enumerate()
            .map(|(i, class)| crate::report::run_data::SummaryValue {
                scope: class.clone(),
                metric: "requests".into(),
                // c39 has the fewest requests, c0 the most.
                value: (100 - i) as f64,
                ci95: None,
            })
            .collect();
        let figures = run_charts(&run);
        assert_eq!(names(&figures), ["latency_by_class", "latency_by_class_2"]);
        let Figure::Panels(first) = &figures[0].figure else {
            panic!()
        };
        assert_eq!(first.panels[0].title, "c0");
        let Figure::Panels(second) = &figures[1].figure else {
            panic!()
        };
        let last = second.panels.last().unwrap();
        assert_eq!(last.title, "the other 17 classes (max)");
        let legend: Vec<&str> = last.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(legend, ["p50 (max)", "p95 (max)", "p99 (max)"]);
    }

    #[test]
    fn constant_other_metrics_are_left_out_and_named() {
        let mut run = data(&[("q", "odd_count"), ("q", "never_count"), ("r", "never_count")]);
        for series in run.series.iter_mut().filter(|s| s.metric == "never_count") {
            series.points = vec![(10.0, 0.0), (20.0, 0.0)];
        }
        let figures = run_charts(&run);
        let Figure::Panels(other) = &figures[0].figure else {
            panic!()
        };
        let titles: Vec<&str> = other.panels.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["odd_count"]);
        assert!(
            figures[0]
                .caption
                .contains("every value is the same (shown in brackets): never_count (0).")
        );
    }

    #[test]
    fn the_latency_chart_gets_slo_and_timeout_lines_and_marked_gaps() {
        let mut run = data(&[("overall", "latency_p50_ms"), ("overall", "latency_p99_ms")]);
        for series in &mut run.series {
            series.points = vec![(1.0, 50.0), (2.0, f64::NAN), (3.0, f64::NAN), (4.0, 1990.0)];
        }
        let slos = [
            crate::results::slo::parse("p99<200ms").unwrap(),
            crate::results::slo::parse("errors<1%").unwrap(),
        ];
        let figures = annotate(run_charts(&run), &slos, Some(2.0));
        let Figure::Annotated(_, notes) = &figures[0].figure else {
            panic!("{:?}", figures[0].figure)
        };
        let levels: Vec<(f64, &str)> = notes.levels.iter().map(|l| (l.y, l.label.as_str())).collect();
        assert_eq!(levels, [(200.0, "SLO p99<200ms"), (2000.0, "client timeout 2 s")]);
        assert_eq!(notes.gap_label.as_deref(), Some("no request completed"));
        assert!(figures[0].caption.contains("no request completed"));
        // Far from the timeout and without objectives, nothing is added.
        for series in &mut run.series {
            series.points = vec![(1.0, 50.0), (2.0, 60.0)];
        }
        let figures = annotate(run_charts(&run), &[], Some(2.0));
        assert!(matches!(figures[0].figure, Figure::Line(_)));
    }

    #[test]
    fn other_metrics_group_their_smallest_lines() {
        let scopes: Vec<String> = (0..30).map(|i| format!("q{i}")).collect();
        let mut run = data(
            &scopes
                .iter()
                .map(|s| (s.as_str(), "odd_count"))
                .collect::<Vec<_>>(),
        );
        for (index, series) in run.series.iter_mut().enumerate() {
            series.points = vec![(10.0, index as f64)];
        }
        let figures = run_charts(&run);
        let Figure::Panels(other) = &figures[0].figure else {
            panic!()
        };
        let lines: Vec<&str> = other
            .panels
            .iter()
            .flat_map(|p| p.series.iter().map(|s| s.name.as_str()))
            .collect();
        assert_eq!(lines.len(), MAX_OTHER_LINES);
        assert_eq!(lines[0], "q29");
        assert_eq!(*lines.last().unwrap(), "the other 7 (max)");
    }

    #[test]
    fn events_become_markers_in_the_axis_unit() {
        let mut run = data(&[("overall", "throughput_rps")]);
        run.series[0].points = vec![(3600.0, 1.0), (7200.0, 1.0)];
        run.events = vec![
            EventRow {
                time_s: 60.0,
                kind: "warmup_end".into(),
                scope: "overall".into(),
                detail: String::new(),
            },
            EventRow {
                time_s: 1800.0,
                kind: "kill".into(),
                scope: "web-1".into(),
                detail: String::new(),
            },
        ];
        let figures = run_charts(&run);
        let Figure::Line(chart) = &figures[0].figure else {
            panic!()
        };
        assert_eq!(chart.x_label, "time (min)");
        assert_eq!(chart.series[0].points[0], (60.0, 1.0));
        assert_eq!(
            chart.markers,
            [
                Marker {
                    x: 1.0,
                    label: "warm-up end".into()
                },
                Marker {
                    x: 30.0,
                    label: "kill web-1".into()
                },
            ]
        );
    }

    #[test]
    fn markers_stop_at_the_limit() {
        let events: Vec<EventRow> = (0..1000)
            .map(|i| EventRow {
                time_s: i as f64,
                kind: "scale_out".into(),
                scope: "web".into(),
                detail: String::new(),
            })
            .collect();
        let marked = markers(&events, TimeAxis::for_span(1000.0));
        assert_eq!(marked.len(), MAX_MARKERS);
        assert_eq!(marked[0].label, "scale out web");
    }

    #[test]
    fn units_come_from_metric_names() {
        assert_eq!(axis_label("latency_p99_ms"), "latency p99 (ms)");
        assert_eq!(axis_label("throughput_rps"), "throughput (requests/s)");
        assert_eq!(axis_label("error_rate"), "error rate (fraction)");
        assert_eq!(axis_label("forwarded"), "forwarded (count)");
        assert_eq!(axis_label("cost_usd"), "cost (US$)");
    }
}
