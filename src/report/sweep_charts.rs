//! The charts of a sweep, drawn from its analysis: throughput against the
//! first axis (offered load, in a load sweep), latency percentiles against
//! it (the hockey stick), utilization per station against it, and, where
//! instances were varied, the measured throughput beside its USL fit.
//!
//! A one-axis sweep draws every line for its single group and marks the
//! knee with the bottleneck's name (a capacity sweep marks instead the
//! smallest value that meets the SLOs); a sweep with several axes draws one
//! line per combination of the other axes (p99, and the busiest station's
//! utilization), because every line for every group would not be readable.
//!
//! Where a charted metric has an objective, its threshold is a flat line
//! named after the objective (`SLO p99<200ms`). With replications each
//! line's 95 % intervals are drawn as error bars: one series of vertical
//! segments (low to high at each point, a dot at each end), named
//! `<line> 95 % interval`, as room under `MAX_SERIES` allows. The USL
//! chart's title says when its peak is an extrapolation
//! (`sweep_analysis`: no point measured the decline).

use crate::metrics::catalog as metric;
use crate::results::axis::AxisKind;
use crate::results::sweep_analysis::{Group, PointAnalysis, SweepAnalysis};

use super::chart::{LineChart, Marker, Series};

/// Every chart a sweep may draw (`charts/NAME.svg` and `.png`).
pub const CHART_NAMES: [&str; 4] = ["throughput", "latency", "utilization", "usl"];

/// Lines of one group (or one line per group) before the rest are left out.
const MAX_SERIES: usize = 8;

fn line(
    name: impl Into<String>,
    analysis: &SweepAnalysis,
    group: &Group,
    value: impl Fn(&PointAnalysis) -> f64,
) -> Series {
    Series {
        name: name.into(),
        points: group
            .points
            .iter()
            .map(|&point| {
                let point = &analysis.points[point];
                (point.x, value(point))
            })
            .collect(),
    }
}

fn metric(point: &PointAnalysis, scope: &str, name: &str) -> f64 {
    point.summary.mean(scope, name).unwrap_or(f64::NAN)
}

/// The 95 % interval of `scope/name` at each point of `group` as error
/// bars: vertical segments, separated by a gap (NaN) so they do not join.
/// `None` when no point has an interval (one replication).
fn interval_bars(
    line: &str,
    analysis: &SweepAnalysis,
    group: &Group,
    scope: &str,
    name: &str,
) -> Option<Series> {
    let mut points = Vec::new();
    for &point in &group.points {
        let point = &analysis.points[point];
        let Some(row) = point.summary.get(scope, name) else {
            continue;
        };
        // One replication has no interval (NaN bounds); an empty one draws nothing.
        if row.low.is_finite() && row.high.is_finite() && row.low < row.high {
            points.extend([(point.x, row.low), (point.x, row.high), (f64::NAN, f64::NAN)]);
        }
    }
    points.pop();
    (!points.is_empty()).then(|| Series {
        name: format!("{line} 95 % interval"),
        points,
    })
}

/// A flat line at the threshold of every objective on one of `charted`
/// (scope, metric), across the x range of the sweep.
fn slo_lines(analysis: &SweepAnalysis, charted: &[(&str, &str)]) -> Vec<Series> {
    let xs = analysis
        .points
        .iter()
        .map(|point| point.x)
        .filter(|x| x.is_finite());
    let (low, high) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), x| {
        (low.min(x), high.max(x))
    });
    if low > high {
        return Vec::new();
    }
    analysis
        .slos
        .iter()
        .filter(|slo| charted.contains(&(slo.scope.as_str(), slo.metric.as_str())))
        .map(|slo| Series {
            name: format!("SLO {}", slo.text),
            points: vec![(low, slo.threshold), (high, slo.threshold)],
        })
        .collect()
}

/// The lines, then the SLO thresholds, then as many error bars as fit
/// under `MAX_SERIES`.
fn with_extras(mut series: Vec<Series>, slos: Vec<Series>, bars: Vec<Series>) -> Vec<Series> {
    series.truncate(MAX_SERIES);
    series.extend(slos);
    let room = MAX_SERIES.saturating_sub(series.len());
    series.extend(bars.into_iter().take(room));
    series
}

/// "vs offered load" or "vs <path>".
fn versus(analysis: &SweepAnalysis) -> String {
    if analysis.x_is_load {
        "vs offered load".to_owned()
    } else {
        format!("vs {}", analysis.x_label.split(" (").next().unwrap_or_default())
    }
}

/// The knee marker of a one-group sweep, naming the bottleneck there; in a
/// capacity sweep, the smallest value that meets the SLOs.
fn knee_markers(analysis: &SweepAnalysis) -> Vec<Marker> {
    let [group] = analysis.groups.as_slice() else {
        return Vec::new();
    };
    if analysis.axis_kind == AxisKind::Capacity {
        let Some(answer) = group.smallest_passing else {
            return Vec::new();
        };
        let point = &analysis.points[answer];
        let cost = point.cost_per_month();
        let label = if cost.is_finite() {
            format!("meets the SLOs from here (${cost:.0}/month)")
        } else {
            "meets the SLOs from here".to_owned()
        };
        return vec![Marker { x: point.x, label }];
    }
    let Some(knee) = group.knee else {
        return Vec::new();
    };
    let point = &analysis.points[knee];
    let label = match &point.bottleneck {
        Some(b) => format!(
            "knee: {} {} {:.0}%",
            b.station,
            resource(point, &b.station, &b.metric),
            100.0 * b.utilization
        ),
        None => "knee".to_owned(),
    };
    vec![Marker { x: point.x, label }]
}

/// What a utilization metric measures: cores, a pool's workers (a station
/// with a CPU), or a station's servers in general.
fn resource(point: &PointAnalysis, station: &str, metric: &str) -> &'static str {
    if metric == metric::CPU_UTILIZATION.name {
        "CPU"
    } else if point.summary.get(station, metric::CPU_UTILIZATION.name).is_some() {
        "workers"
    } else {
        "busy"
    }
}

fn single_group(analysis: &SweepAnalysis) -> Option<&Group> {
    match analysis.groups.as_slice() {
        [group] => Some(group),
        _ => None,
    }
}

fn throughput_chart(analysis: &SweepAnalysis) -> LineChart {
    let series = match single_group(analysis) {
        Some(group) => vec![
            line("offered", analysis, group, |p| {
                metric(p, "overall", metric::OFFERED_RPS.name)
            }),
            line("throughput (completed)", analysis, group, |p| {
                metric(p, "overall", metric::THROUGHPUT_RPS.name)
            }),
        ],
        None => analysis
            .groups
            .iter()
            .take(MAX_SERIES)
            .map(|group| {
                line(&group.label, analysis, group, |p| {
                    metric(p, "overall", metric::THROUGHPUT_RPS.name)
                })
            })
            .collect(),
    };
    let bars = single_group(analysis)
        .and_then(|group| {
            interval_bars(
                "throughput",
                analysis,
                group,
                "overall",
                metric::THROUGHPUT_RPS.name,
            )
        })
        .into_iter()
        .collect();
    let slos = slo_lines(analysis, &[("overall", metric::THROUGHPUT_RPS.name)]);
    let series = with_extras(series, slos, bars);
    LineChart {
        title: format!("Throughput {}", versus(analysis)),
        x_label: analysis.x_label.clone(),
        y_label: "requests/s".to_owned(),
        series,
        markers: knee_markers(analysis),
        y_from_zero: true,
        ..Default::default()
    }
}

fn latency_chart(analysis: &SweepAnalysis) -> LineChart {
    let (title, series) = match single_group(analysis) {
        Some(group) => (
            format!("Latency percentiles {}", versus(analysis)),
            ["p50", "p95", "p99"]
                .into_iter()
                .map(|name| {
                    let key = format!("latency_{name}_ms");
                    line(name, analysis, group, move |p| metric(p, "overall", &key))
                })
                .collect(),
        ),
        None => (
            format!("p99 latency {}", versus(analysis)),
            analysis
                .groups
                .iter()
                .take(MAX_SERIES)
                .map(|group| {
                    line(&group.label, analysis, group, |p| {
                        metric(p, "overall", metric::LATENCY_P99_MS.name)
                    })
                })
                .collect(),
        ),
    };
    let charted: Vec<(&str, &str)> = match single_group(analysis) {
        Some(_) => vec![
            ("overall", metric::LATENCY_P50_MS.name),
            ("overall", metric::LATENCY_P95_MS.name),
            ("overall", metric::LATENCY_P99_MS.name),
        ],
        None => vec![("overall", metric::LATENCY_P99_MS.name)],
    };
    let bars = match single_group(analysis) {
        Some(group) => ["p99", "p95", "p50"]
            .into_iter()
            .filter_map(|name| {
                let key = format!("latency_{name}_ms");
                interval_bars(name, analysis, group, "overall", &key)
            })
            .collect(),
        None => Vec::new(),
    };
    let series = with_extras(series, slo_lines(analysis, &charted), bars);
    LineChart {
        title,
        x_label: analysis.x_label.clone(),
        y_label: "latency (ms)".to_owned(),
        series,
        markers: knee_markers(analysis),
        y_from_zero: true,
        ..Default::default()
    }
}

fn utilization_chart(analysis: &SweepAnalysis) -> LineChart {
    let series: Vec<Series> = match single_group(analysis) {
        Some(group) => {
            let mut series = Vec::new();
            let mut charted = Vec::new();
            let mut bars = Vec::new();
            for station in &analysis.stations {
                let has_cpu = group.points.iter().any(|&p| {
                    analysis.points[p]
                        .summary
                        .get(station, metric::CPU_UTILIZATION.name)
                        .is_some()
                });
                let workers = if has_cpu {
                    format!("{station} workers")
                } else {
                    station.clone()
                };
                let mut lines = vec![(workers, metric::UTILIZATION.name)];
                if has_cpu {
                    lines.push((format!("{station} CPU"), metric::CPU_UTILIZATION.name));
                }
                for (name, key) in lines {
                    bars.extend(interval_bars(&name, analysis, group, station, key));
                    series.push(line(name, analysis, group, |p| metric(p, station, key)));
                    charted.push((station.as_str(), key));
                }
            }
            with_extras(series, slo_lines(analysis, &charted), bars)
        }
        None => analysis
            .groups
            .iter()
            .take(MAX_SERIES)
            .map(|group| {
                line(&group.label, analysis, group, |p| {
                    p.bottleneck.as_ref().map_or(f64::NAN, |b| b.utilization)
                })
            })
            .collect(),
    };
    let title = match single_group(analysis).and_then(|group| group.knee) {
        Some(knee) => match &analysis.points[knee].bottleneck {
            Some(b) => format!(
                "Utilization per station {} — bottleneck: {}",
                versus(analysis),
                b.station
            ),
            None => format!("Utilization per station {}", versus(analysis)),
        },
        None if single_group(analysis).is_some() => format!("Utilization per station {}", versus(analysis)),
        None => format!("Busiest station's utilization {}", versus(analysis)),
    };
    LineChart {
        title,
        x_label: analysis.x_label.clone(),
        y_label: "utilization (share busy)".to_owned(),
        series,
        markers: knee_markers(analysis),
        y_from_zero: true,
        y_at_least: Some(1.0),
        ..Default::default()
    }
}

/// Measured throughput against instances, beside the fitted law (sampled
/// at every instance count up to the larger of the sweep's last and the
/// predicted peak, within three times the sweep).
fn usl_chart(analysis: &SweepAnalysis) -> Option<LineChart> {
    let first = analysis.usl.first()?;
    let mut series = Vec::new();
    for result in analysis.usl.iter().take(MAX_SERIES / 2) {
        let suffix = if result.group.is_empty() {
            String::new()
        } else {
            format!(" ({})", result.group)
        };
        series.push(Series {
            name: format!("measured{suffix}"),
            points: result.measured.clone(),
        });
        let last = result.measured.iter().map(|p| p.0).fold(1.0, f64::max);
        let peak = result.fit.peak_instances;
        let end = if peak.is_finite() {
            peak.max(last).min(3.0 * last)
        } else {
            last
        };
        series.push(Series {
            name: if result.decline_measured {
                format!("USL fit{suffix}")
            } else {
                format!("USL fit{suffix}, extrapolated")
            },
            points: (1..=end.ceil() as u64)
                .map(|n| (n as f64, result.fit.throughput(n as f64)))
                .collect(),
        });
    }
    let fit = &first.fit;
    let peak = if fit.peak_instances.is_finite() && first.decline_measured {
        format!(
            "peak {:.0}/s at {:.1} instances",
            fit.peak_throughput, fit.peak_instances
        )
    } else if fit.peak_instances.is_finite() {
        format!(
            "peak {:.0}/s at {:.1} instances extrapolated (no decline measured)",
            fit.peak_throughput, fit.peak_instances
        )
    } else {
        "no peak (κ = 0)".to_owned()
    };
    Some(LineChart {
        title: format!("USL fit: σ = {:.4}, κ = {:.5}, {peak}", fit.sigma, fit.kappa),
        x_label: first.path.clone(),
        y_label: "throughput (requests/s)".to_owned(),
        series,
        markers: Vec::new(),
        y_from_zero: true,
        ..Default::default()
    })
}

/// The sweep's charts, named after their files.
pub fn sweep_charts(analysis: &SweepAnalysis) -> Vec<(&'static str, LineChart)> {
    let mut charts = vec![
        (CHART_NAMES[0], throughput_chart(analysis)),
        (CHART_NAMES[1], latency_chart(analysis)),
        (CHART_NAMES[2], utilization_chart(analysis)),
    ];
    if let Some(chart) = usl_chart(analysis) {
        charts.push((CHART_NAMES[3], chart));
    }
    charts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::axis::parse_axis;
    use crate::results::sweep::{SweepManifest, SweepTable, points};
    use crate::results::sweep_analysis::analyse;

    fn analysis() -> SweepAnalysis {
        let axes = vec![parse_axis("workload.arrivals.rate=100/s..400/s:100/s").unwrap()];
        let mut table = SweepTable::new(&axes);
        for point in points(&axes, None) {
            let x = (point.index + 1) as f64;
            table.push(&point, "overall", "offered_rps", 100.0 * x, 0.0, 0.0);
            table.push(&point, "overall", "throughput_rps", 100.0 * x.min(3.0), 0.0, 0.0);
            for (name, factor) in [
                ("latency_p50_ms", 1.0),
                ("latency_p95_ms", 2.0),
                ("latency_p99_ms", 3.0),
            ] {
                let value = factor * if x < 4.0 { 10.0 } else { 200.0 };
                table.push(&point, "overall", name, value, 0.0, 0.0);
            }
            table.push(&point, "web", "utilization", 0.1 * x, 0.0, 0.0);
            table.push(&point, "web", "cpu_utilization", 0.31 * x, 0.0, 0.0);
            table.push(&point, "db", "utilization", 0.05 * x, 0.0, 0.0);
        }
        let manifest = SweepManifest {
            scenario: "t".into(),
            replications: 1,
            axes,
            shard: None,
            objectives: Vec::new(),
        };
        analyse(&manifest, &table)
    }

    #[test]
    fn a_load_sweep_draws_the_hockey_stick_and_names_the_bottleneck() {
        let charts = sweep_charts(&analysis());
        let names: Vec<&str> = charts.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["throughput", "latency", "utilization"]);
        let latency = &charts[1].1;
        assert_eq!(latency.title, "Latency percentiles vs offered load");
        assert_eq!(latency.x_label, "offered load (requests/s)");
        assert_eq!(
            latency.series[2].points,
            [(100.0, 30.0), (200.0, 30.0), (300.0, 30.0), (400.0, 600.0)]
        );
        // Knee at 300/s: web CPU 0.93 ≥ 0.9.
        assert_eq!(
            latency.markers,
            [Marker {
                x: 300.0,
                label: "knee: web CPU 93%".into()
            }]
        );
        let utilization = &charts[2].1;
        assert!(
            utilization.title.ends_with("bottleneck: web"),
            "{}",
            utilization.title
        );
        let lines: Vec<&str> = utilization.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(lines, ["web workers", "web CPU", "db"]);
        let svg = utilization.svg().unwrap();
        assert!(svg.contains("knee: web CPU 93%"));
    }

    /// With an objective on p99 and replications' intervals, the latency
    /// chart draws the threshold and the error bars (vertical segments
    /// separated by gaps), after the lines.
    #[test]
    fn slo_thresholds_and_error_bars() {
        let axes = vec![parse_axis("workload.arrivals.rate=100/s..300/s:100/s").unwrap()];
        let mut table = SweepTable::new(&axes);
        for point in points(&axes, None) {
            let x = (point.index + 1) as f64;
            for name in ["latency_p50_ms", "latency_p95_ms", "latency_p99_ms"] {
                table.push(&point, "overall", name, 10.0 * x, 10.0 * x - 1.0, 10.0 * x + 1.0);
            }
            table.push(&point, "web", "utilization", 0.2 * x, f64::NAN, f64::NAN);
        }
        let manifest = SweepManifest {
            scenario: "t".into(),
            replications: 2,
            axes,
            shard: None,
            objectives: vec!["p99 < 25ms".into(), "web/utilization < 0.5".into()],
        };
        let analysis = analyse(&manifest, &table);
        let charts = sweep_charts(&analysis);
        let latency = &charts[1].1;
        let names: Vec<&str> = latency.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "p50",
                "p95",
                "p99",
                "SLO p99 < 25ms",
                "p99 95 % interval",
                "p95 95 % interval",
                "p50 95 % interval"
            ]
        );
        assert_eq!(latency.series[3].points, [(100.0, 25.0), (300.0, 25.0)]);
        let bars = &latency.series[4].points;
        assert_eq!(bars.len(), 8, "three segments and two gaps: {bars:?}");
        assert_eq!(bars[..2], [(100.0, 9.0), (100.0, 11.0)]);
        assert!(bars[2].0.is_nan());
        // No interval (one replication): no bars; the ceiling is drawn.
        let utilization = &charts[2].1;
        let names: Vec<&str> = utilization.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["web", "SLO web/utilization < 0.5"]);
        assert!(
            utilization
                .svg()
                .unwrap()
                .contains("SLO web/utilization &lt; 0.5")
        );
    }
}
