//! What a sweep's table says: the bottleneck station at each point, the
//! knee (saturation point) along the first axis, and a Universal
//! Scalability Law fit wherever instances were varied.
//!
//! Everything here is computed from the manifest and the table alone, so a
//! merged sweep and an unsharded one derive the same analysis.
//!
//! **Bottleneck**: `bottleneck`'s rule over the point's mean utilizations,
//! among every station of the table (a pool's workers and its cores count
//! apart; busy with its own work wins a tie).
//!
//! **Knee**: along the first axis (for each combination of the other
//! axes), the first point where any of these holds:
//! - the bottleneck's utilization is at least 0.9: beyond it queueing
//!   delays explode (an M/M/1 waits 9 service times at 0.9, 19 at 0.95);
//! - the p99 latency is more than 3 times the p99 at the group's first
//!   point: the hockey stick itself, which also catches saturation that no
//!   utilization shows (a pool of workers blocked on a slow call);
//! - more than 1 % of requests fail: a system that sheds load through
//!   bounded queues or timeouts can keep its latency flat while saturated;
//! - some runs could not finish (a limit was reached).
//!
//! **USL**: fitted to the points whose throughput measures capacity. A
//! point of an open workload that served at least 98 % of its offered load
//! measured the demand instead (more instances would not have raised it),
//! so it is left out; a closed workload's points all count.
//!
//! The first axis is taken to raise the load in the order given. An axis
//! that buys capacity instead (`axis::capacity_knob`: instances, sizes,
//! replicas, connections, cache nodes, balancer cores…) has no knee — more
//! capacity lowers the load per server, so the first point would always be
//! it; a capacity sweep answers **the smallest value that meets the SLOs**
//! instead, per group: the smallest passing number on a numeric axis, the
//! cheapest passing value (by `cost_per_month_usd`, the first given on a
//! tie) on a list of words such as sizes.
//!
//! **SLOs**: every point is judged by the manifest's objectives, as `run`
//! judges a run (`Slo::evaluate_in`): with replications an objective holds
//! only when its whole 95 % interval is within the threshold. A point whose
//! runs failed meets none.
//!
//! **USL peak**: capsim's instances share no state — no locks, no cache
//! coherence, no messages between instances — so nothing in the model
//! makes each request's work grow with the number of instances, the
//! coherency cost κ stands for. A κ > 0 fitted to a plateau (a shared
//! downstream station saturating, which σ also describes) puts a peak
//! where no throughput was seen falling. The peak is therefore reported as
//! measured only when the points themselves show the decline (a later
//! instance count's throughput more than `USL_DECLINE` below the best one:
//! wasted work, such as timed-out requests still served, can do that) and
//! labelled an extrapolation otherwise.

use crate::metrics::catalog as metric;

use super::axis::{self, AxisKind, numeric_values};
use super::bottleneck::{self, Bottleneck};
use super::interval::IntervalSummary;
use super::slo::{self, Slo, Verdict};
use super::sweep::{FAILED_RUNS, SweepManifest, SweepTable, value_indices};
use super::usl::{self, UslFit};

pub const KNEE_UTILIZATION: f64 = 0.9;
pub const KNEE_LATENCY_FACTOR: f64 = 3.0;
pub const KNEE_ERROR_RATE: f64 = 0.01;

/// One point's reading.
#[derive(Clone, Debug, PartialEq)]
pub struct PointAnalysis {
    pub point: usize,
    /// The first axis's value as a number (its position when not numeric).
    pub x: f64,
    pub failed: bool,
    pub bottleneck: Option<Bottleneck>,
    /// Why this point is its group's knee, if it is.
    pub knee: Option<String>,
    /// One verdict per objective of the sweep, in its order.
    pub verdicts: Vec<Verdict>,
    pub summary: IntervalSummary,
}

impl PointAnalysis {
    /// Whether the point meets every objective (`None`: there are none).
    pub fn meets_slos(&self) -> Option<bool> {
        if self.verdicts.is_empty() {
            None
        } else {
            Some(self.verdicts.iter().all(|verdict| verdict.met))
        }
    }

    /// The point's `cost_per_month_usd` (NaN when unpriced or failed).
    pub fn cost_per_month(&self) -> f64 {
        mean(&self.summary, "overall", metric::COST_PER_MONTH_USD.name)
    }
}

/// The points along the first axis for one combination of the others.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// `path=value` of the other axes (empty for a one-axis sweep).
    pub label: String,
    /// Point indices in first-axis order.
    pub points: Vec<usize>,
    pub knee: Option<usize>,
    /// In a capacity sweep with objectives: the point with the smallest
    /// value that meets them all (the cheapest, on a non-numeric axis).
    pub smallest_passing: Option<usize>,
}

/// A USL fit of overall throughput against a varied `*.instances` field.
#[derive(Clone, Debug, PartialEq)]
pub struct UslResult {
    pub path: String,
    /// `path=value` of the other axes.
    pub group: String,
    pub fit: UslFit,
    /// The (instances, throughput) points fitted: those whose throughput
    /// fell behind the offered load (see `USL_DEMAND_SHARE`).
    pub fitted: Vec<(f64, f64)>,
    /// Every point of the group, for the chart.
    pub measured: Vec<(f64, f64)>,
    /// Whether the points measured throughput falling as instances were
    /// added (`USL_DECLINE`); otherwise the fit's peak is an extrapolation.
    pub decline_measured: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SweepAnalysis {
    /// The first axis, described for a chart's x axis.
    pub x_label: String,
    /// Whether the first axis is the workload's arrival rate.
    pub x_is_load: bool,
    /// What the first axis varies: load, capacity, or something else.
    pub axis_kind: AxisKind,
    /// The objectives each point was judged by.
    pub slos: Vec<Slo>,
    /// Stations (scopes with a utilization), in order of first appearance.
    pub stations: Vec<String>,
    pub points: Vec<PointAnalysis>,
    pub groups: Vec<Group>,
    pub usl: Vec<UslResult>,
}

fn mean(summary: &IntervalSummary, scope: &str, metric: &str) -> f64 {
    summary.mean(scope, metric).unwrap_or(f64::NAN)
}

fn stations(summaries: &[IntervalSummary]) -> Vec<String> {
    bottleneck::stations(
        summaries
            .iter()
            .flat_map(|summary| &summary.rows)
            .map(|row| (row.scope.as_str(), row.metric.as_str())),
    )
}

/// The x-axis description of the first axis.
fn x_label(manifest: &SweepManifest) -> (String, bool) {
    let axis = &manifest.axes[0];
    let is_load = axis.path.ends_with("arrivals.rate");
    let label = match numeric_values(axis) {
        Some((_, unit)) if is_load && unit.starts_with('/') => format!("offered load (requests{unit})"),
        Some((_, unit)) if unit.is_empty() => axis.path.clone(),
        Some((_, unit)) => format!("{} ({unit})", axis.path),
        None => format!("{} (value number, from 0)", axis.path),
    };
    (label, is_load)
}

fn group_label(manifest: &SweepManifest, point: usize, skip: usize) -> String {
    let indices = value_indices(&manifest.axes, point);
    manifest
        .axes
        .iter()
        .zip(indices)
        .enumerate()
        .filter(|(axis, _)| *axis != skip)
        .map(|(_, (axis, value))| format!("{}={}", axis.path, axis.values[value]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Points grouped by the values of every axis but `axis`, each group in
/// the order of `axis`'s values.
fn groups_along(manifest: &SweepManifest, axis: usize) -> Vec<(String, Vec<usize>)> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for point in 0..manifest.points() {
        let label = group_label(manifest, point, axis);
        match groups.iter_mut().find(|(known, _)| *known == label) {
            Some((_, points)) => points.push(point),
            None => groups.push((label, vec![point])),
        }
    }
    for (_, points) in &mut groups {
        points.sort_by_key(|&point| value_indices(&manifest.axes, point)[axis]);
    }
    groups
}

/// Why `point` is past saturation, compared with the group's first point.
fn saturation(point: &PointAnalysis, baseline_p99: f64) -> Option<String> {
    if point.failed {
        return Some("runs failed (a limit was reached)".to_owned());
    }
    // Nothing completed: no latency to compare, and past any knee.
    if mean(&point.summary, "overall", metric::COMPLETED.name) == 0.0 {
        return Some("no request completed".to_owned());
    }
    if let Some(b) = &point.bottleneck
        && b.utilization >= KNEE_UTILIZATION
    {
        return Some(format!(
            "{} {} {:.2} ≥ {KNEE_UTILIZATION}",
            b.station, b.metric, b.utilization
        ));
    }
    let p99 = mean(&point.summary, "overall", metric::LATENCY_P99_MS.name);
    if p99 > KNEE_LATENCY_FACTOR * baseline_p99 {
        return Some(format!(
            "p99 {p99:.1} ms > {KNEE_LATENCY_FACTOR} × {baseline_p99:.1} ms"
        ));
    }
    let error_rate = mean(&point.summary, "overall", metric::ERROR_RATE.name);
    if error_rate > KNEE_ERROR_RATE {
        return Some(format!(
            "error rate {:.2} % > {} %",
            100.0 * error_rate,
            100.0 * KNEE_ERROR_RATE
        ));
    }
    None
}

/// Analyses a whole sweep's table.
pub fn analyse(manifest: &SweepManifest, table: &SweepTable) -> SweepAnalysis {
    // The manifest's objectives were checked before the sweep ran (or when
    // `sweep.toml` was read back).
    let slos: Vec<Slo> = manifest
        .objectives
        .iter()
        .filter_map(|text| slo::parse(text).ok())
        .collect();
    let axis_kind = axis::kind(&manifest.axes[0].path);
    let summaries = table.point_summaries(manifest.points());
    let stations = stations(&summaries);
    let first_axis = numeric_values(&manifest.axes[0]).map(|(numbers, _)| numbers);
    let mut points: Vec<PointAnalysis> = summaries
        .into_iter()
        .enumerate()
        .map(|(point, summary)| {
            let value = value_indices(&manifest.axes, point)[0];
            PointAnalysis {
                point,
                x: first_axis.as_ref().map_or(value as f64, |numbers| numbers[value]),
                failed: summary.mean("overall", FAILED_RUNS).is_some(),
                bottleneck: bottleneck::among(&stations, &|station, metric| summary.mean(station, metric)),
                knee: None,
                verdicts: judge(&slos, &summary),
                summary,
            }
        })
        .collect();
    let mut groups = Vec::new();
    for (label, members) in groups_along(manifest, 0) {
        let baseline = mean(
            &points[members[0]].summary,
            "overall",
            metric::LATENCY_P99_MS.name,
        );
        // More capacity lowers the load: a capacity axis has no knee.
        let knee = members
            .iter()
            .copied()
            .filter(|_| axis_kind != AxisKind::Capacity)
            .find_map(|point| saturation(&points[point], baseline).map(|reason| (point, reason)));
        let knee = knee.map(|(point, reason)| {
            points[point].knee = Some(reason);
            point
        });
        let smallest_passing = match axis_kind {
            AxisKind::Capacity => smallest_passing(&points, &members, first_axis.is_some()),
            _ => None,
        };
        groups.push(Group {
            label,
            points: members,
            knee,
            smallest_passing,
        });
    }
    let usl = usl_fits(manifest, &points);
    let (x_label, x_is_load) = x_label(manifest);
    SweepAnalysis {
        x_label,
        x_is_load,
        axis_kind,
        slos,
        stations,
        points,
        groups,
        usl,
    }
}

/// Every objective's verdict on one point: the mean, and with
/// replications its 95 % interval, which must lie within the threshold. A
/// point whose runs failed has no summary and meets none.
fn judge(slos: &[Slo], summary: &IntervalSummary) -> Vec<Verdict> {
    let failed = summary.mean("overall", FAILED_RUNS).is_some();
    let mut scopes: Vec<&str> = Vec::new();
    for row in &summary.rows {
        if !scopes.contains(&row.scope.as_str()) {
            scopes.push(&row.scope);
        }
    }
    slos.iter()
        .map(|slo| {
            let mut verdict = slo.evaluate_in(&scopes, &|scope, metric| {
                summary.get(scope, metric).map(|row| {
                    let interval =
                        (row.low.is_finite() && row.high.is_finite()).then_some((row.low, row.high));
                    (row.mean, interval)
                })
            });
            if failed {
                verdict.met = false;
                verdict.reason = Some("runs failed (a limit was reached)".to_owned());
            }
            verdict
        })
        .collect()
}

/// The answer of a capacity sweep's group: among the points that meet every
/// objective, the smallest value on a numeric axis, else the cheapest (the
/// first given on a tie).
fn smallest_passing(points: &[PointAnalysis], members: &[usize], numeric: bool) -> Option<usize> {
    let passing = members
        .iter()
        .copied()
        .filter(|&point| points[point].meets_slos() == Some(true));
    let key = |point: usize| {
        let value = if numeric {
            points[point].x
        } else {
            points[point].cost_per_month()
        };
        if value.is_nan() { f64::INFINITY } else { value }
    };
    passing.fold(None, |best: Option<usize>, point| match best {
        Some(best) if key(best) <= key(point) => Some(best),
        _ => Some(point),
    })
}

/// A throughput this share below the best one, at more instances, is a
/// measured decline (beyond the noise of a run).
pub const USL_DECLINE: f64 = 0.05;

/// Whether `measured` (instances, throughput) shows throughput falling
/// by more than `USL_DECLINE` at more instances than the best point's.
fn decline_measured(measured: &[(f64, f64)]) -> bool {
    let Some(&(best_at, best)) = measured
        .iter()
        .filter(|(_, throughput)| throughput.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1))
    else {
        return false;
    };
    measured
        .iter()
        .any(|&(instances, throughput)| instances > best_at && throughput < (1.0 - USL_DECLINE) * best)
}

/// Throughput at or above this share of the offered load means the point
/// kept up with its demand: it measured the load, not the capacity.
pub const USL_DEMAND_SHARE: f64 = 0.98;

/// Whether a point's throughput measures capacity: its runs finished and,
/// for an open workload, it fell behind its offered load. (A closed
/// workload's throughput is always what the system gives that population.)
fn capacity_limited(point: &PointAnalysis) -> bool {
    let throughput = mean(&point.summary, "overall", metric::THROUGHPUT_RPS.name);
    let offered = mean(&point.summary, "overall", metric::OFFERED_RPS.name);
    // Without an offered load to compare with, the point counts.
    let kept_up = offered.is_finite() && throughput >= USL_DEMAND_SHARE * offered;
    !point.failed && throughput.is_finite() && !kept_up
}

/// A fit for every `*.instances` axis with numeric values, per group, over
/// the capacity-limited points (at least three instance counts).
fn usl_fits(manifest: &SweepManifest, points: &[PointAnalysis]) -> Vec<UslResult> {
    let mut fits = Vec::new();
    for (index, axis) in manifest.axes.iter().enumerate() {
        if !axis.path.ends_with(".instances") {
            continue;
        }
        let Some((numbers, _)) = numeric_values(axis) else {
            continue;
        };
        for (group, members) in groups_along(manifest, index) {
            let measured = |point: usize| {
                let instances = numbers[value_indices(&manifest.axes, point)[index]];
                (
                    instances,
                    mean(&points[point].summary, "overall", metric::THROUGHPUT_RPS.name),
                )
            };
            let fitted: Vec<(f64, f64)> = members
                .iter()
                .filter(|&&point| capacity_limited(&points[point]))
                .map(|&point| measured(point))
                .collect();
            if let Some(fit) = usl::fit(&fitted) {
                let measured: Vec<(f64, f64)> = members.iter().map(|&point| measured(point)).collect();
                fits.push(UslResult {
                    path: axis.path.clone(),
                    group,
                    fit,
                    fitted,
                    decline_measured: decline_measured(&measured),
                    measured,
                });
            }
        }
    }
    fits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::axis::parse_axis;
    use crate::results::sweep::points;

    /// A sweep over load where `web` saturates: CPU utilization 0.19·x,
    /// p99 flat until 0.7 and then steep.
    fn load_sweep() -> (SweepManifest, SweepTable) {
        let axes = vec![parse_axis("workload.arrivals.rate=1/s..5/s:1/s").unwrap()];
        let mut table = SweepTable::new(&axes);
        for point in points(&axes, None) {
            let x = (point.index + 1) as f64;
            let utilization = 0.19 * x;
            let p99 = if utilization < 0.7 { 10.0 + x } else { 100.0 };
            table.push(&point, "overall", "latency_p99_ms", p99, p99, p99);
            table.push(&point, "overall", "error_rate", 0.0, 0.0, 0.0);
            table.push(&point, "web", "utilization", 0.1, 0.1, 0.1);
            table.push(
                &point,
                "web",
                "cpu_utilization",
                utilization,
                utilization,
                utilization,
            );
            table.push(&point, "db", "utilization", 0.05 * x, 0.0, 0.0);
        }
        let manifest = SweepManifest {
            scenario: "t".into(),
            replications: 1,
            axes,
            shard: None,
            objectives: Vec::new(),
        };
        (manifest, table)
    }

    #[test]
    fn names_the_bottleneck_and_the_knee() {
        let (manifest, table) = load_sweep();
        let analysis = analyse(&manifest, &table);
        assert_eq!(analysis.stations, ["web", "db"]);
        assert_eq!(analysis.x_label, "offered load (requests/s)");
        let b = analysis.points[2].bottleneck.as_ref().unwrap();
        assert_eq!(
            (b.station.as_str(), b.metric.as_str()),
            ("web", "cpu_utilization")
        );
        // Point 3 (x = 4, utilization 0.76 < 0.9) has p99 100 > 3 × 11 ms:
        // the latency rule finds the knee before the utilization rule would
        // (at x = 5, 0.95).
        assert_eq!(analysis.groups[0].knee, Some(3));
        assert!(
            analysis.points[3]
                .knee
                .as_ref()
                .unwrap()
                .starts_with("p99 100.0 ms > 3 × 11.0 ms")
        );
    }

    #[test]
    fn failed_points_are_saturated() {
        let (manifest, mut table) = load_sweep();
        table.rows.retain(|row| row.point != 1);
        let point = &points(&manifest.axes, None)[1];
        table.push(point, "overall", FAILED_RUNS, 2.0, f64::NAN, f64::NAN);
        let table = SweepTable::merge(vec![table]);
        let analysis = analyse(&manifest, &table);
        assert!(analysis.points[1].failed);
        assert_eq!(analysis.groups[0].knee, Some(1));
    }

    /// A point where no request completed has no p99 (blank) to compare:
    /// it is past the knee for that reason, not passed over.
    #[test]
    fn a_point_where_nothing_completed_is_saturated() {
        let (manifest, mut table) = load_sweep();
        for point in points(&manifest.axes, None) {
            let completed = if point.index == 1 { 0.0 } else { 100.0 };
            table.push(&point, "overall", "completed", completed, completed, completed);
        }
        table.rows.retain(|row| {
            !(row.point == 1 && (row.metric == "latency_p99_ms" || row.metric == "error_rate"))
        });
        let point = &points(&manifest.axes, None)[1];
        table.push(point, "overall", "latency_p99_ms", f64::NAN, f64::NAN, f64::NAN);
        table.push(point, "overall", "error_rate", f64::NAN, f64::NAN, f64::NAN);
        let table = SweepTable::merge(vec![table]);
        let analysis = analyse(&manifest, &table);
        assert_eq!(analysis.groups[0].knee, Some(1));
        assert_eq!(analysis.points[1].knee.as_deref(), Some("no request completed"));
    }

    #[test]
    fn the_usl_leaves_out_points_that_kept_up_with_their_load() {
        // 400/s offered; each instance serves 100/s. From 4 instances on the
        // throughput is the demand, not the capacity: only 1..3 are fitted,
        // and they scale linearly.
        let axes = vec![parse_axis("pool.web.instances=1..6").unwrap()];
        let mut table = SweepTable::new(&axes);
        for point in points(&axes, None) {
            let n = (point.index + 1) as f64;
            table.push(&point, "overall", "offered_rps", 400.0, 0.0, 0.0);
            table.push(
                &point,
                "overall",
                "throughput_rps",
                (100.0 * n).min(400.0),
                0.0,
                0.0,
            );
        }
        let manifest = SweepManifest {
            scenario: "t".into(),
            replications: 1,
            axes,
            shard: None,
            objectives: Vec::new(),
        };
        let analysis = analyse(&manifest, &table);
        let usl = &analysis.usl[0];
        assert_eq!(usl.fitted, [(1.0, 100.0), (2.0, 200.0), (3.0, 300.0)]);
        assert_eq!(usl.measured.len(), 6);
        assert!(usl.fit.sigma < 1e-9 && usl.fit.kappa < 1e-9, "{:?}", usl.fit);
    }

    #[test]
    fn groups_follow_the_other_axes() {
        let axes = vec![
            parse_axis("pool.web.instances=1..4").unwrap(),
            parse_axis("mode=a,b").unwrap(),
        ];
        let mut table = SweepTable::new(&axes);
        for point in points(&axes, None) {
            let n = (point.index % 4 + 1) as f64;
            let ceiling = if point.index < 4 { 250.0 } else { 1e9 };
            table.push(
                &point,
                "overall",
                "throughput_rps",
                (100.0 * n).min(ceiling),
                0.0,
                0.0,
            );
        }
        let manifest = SweepManifest {
            scenario: "t".into(),
            replications: 1,
            axes,
            shard: None,
            objectives: Vec::new(),
        };
        let analysis = analyse(&manifest, &table);
        let labels: Vec<&str> = analysis.groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["mode=a", "mode=b"]);
        assert_eq!(analysis.groups[1].points, [4, 5, 6, 7]);
        assert_eq!(analysis.usl.len(), 2);
        assert!(
            analysis.usl[1].fit.sigma < 1e-6,
            "linear group: {:?}",
            analysis.usl[1].fit
        );
        let capped = analysis.usl[0].fit;
        assert!(capped.peak_throughput < 300.0, "capped group: {capped:?}");
    }

    /// A capacity sweep: 1..5 instances, p99 falling as instances are
    /// added, each with a 95 % interval; `p99 < 100ms` judged on the
    /// interval's upper end.
    fn capacity_sweep(objectives: &[&str]) -> (SweepManifest, SweepTable) {
        let axes = vec![parse_axis("pool.web.instances=1..5").unwrap()];
        let mut table = SweepTable::new(&axes);
        for point in points(&axes, None) {
            let n = (point.index + 1) as f64;
            // 300, 150, 100, 75, 60 ms, ± 5 ms.
            let p99 = 300.0 / n;
            table.push(&point, "overall", "latency_p99_ms", p99, p99 - 5.0, p99 + 5.0);
            table.push(
                &point,
                "overall",
                "cost_per_month_usd",
                70.0 * n,
                f64::NAN,
                f64::NAN,
            );
            table.push(&point, "web", "utilization", 0.95 / n, 0.0, 1.0);
        }
        let manifest = SweepManifest {
            scenario: "t".into(),
            replications: 3,
            axes,
            shard: None,
            objectives: objectives.iter().map(|text| text.to_string()).collect(),
        };
        (manifest, table)
    }

    #[test]
    fn a_capacity_sweep_answers_the_smallest_value_that_meets_the_slos() {
        let (manifest, table) = capacity_sweep(&["p99 < 100ms"]);
        let analysis = analyse(&manifest, &table);
        assert_eq!(analysis.axis_kind, AxisKind::Capacity);
        // 3 instances: p99 100 ms, not < 100 ms; 4: 75 ms (interval up to
        // 80 ms) is the smallest that meets it.
        assert_eq!(analysis.groups[0].smallest_passing, Some(3));
        assert_eq!(analysis.groups[0].knee, None, "a capacity axis has no knee");
        let met: Vec<Option<bool>> = analysis.points.iter().map(PointAnalysis::meets_slos).collect();
        assert_eq!(
            met,
            [Some(false), Some(false), Some(false), Some(true), Some(true)]
        );
        assert_eq!(analysis.points[3].cost_per_month(), 280.0);
        // The interval rule: at 98 ms with the upper end at 103 ms, `p99 <
        // 100ms` is missed though the mean is inside.
        let (manifest, table) = capacity_sweep(&["p99 < 104ms"]);
        let analysis = analyse(&manifest, &table);
        assert_eq!(analysis.groups[0].smallest_passing, Some(3));
        let (manifest, table) = capacity_sweep(&["p99 < 103ms"]);
        let analysis = analyse(&manifest, &table);
        assert_eq!(
            analysis.groups[0].smallest_passing,
            Some(3),
            "the interval ends at 80 ms at 4"
        );
        assert!(
            !analysis.points[2].verdicts[0].met,
            "100 ms + 5 ms is not inside < 103 ms"
        );
        // Nothing meets a stricter objective; without objectives there is
        // no answer and still no knee.
        let (manifest, table) = capacity_sweep(&["p99 < 10ms"]);
        assert_eq!(analyse(&manifest, &table).groups[0].smallest_passing, None);
        let (manifest, table) = capacity_sweep(&[]);
        let analysis = analyse(&manifest, &table);
        assert_eq!(
            (analysis.groups[0].smallest_passing, analysis.groups[0].knee),
            (None, None)
        );
        assert_eq!(analysis.points[0].meets_slos(), None);
    }

    /// A load sweep keeps its knee and judges every point too.
    #[test]
    fn a_load_sweep_keeps_its_knee_and_judges_each_point() {
        let (mut manifest, table) = load_sweep();
        manifest.objectives = vec!["web/cpu_utilization < 0.6".into()];
        let analysis = analyse(&manifest, &table);
        assert_eq!(analysis.groups[0].knee, Some(3));
        assert_eq!(analysis.groups[0].smallest_passing, None);
        let met: Vec<Option<bool>> = analysis.points.iter().map(PointAnalysis::meets_slos).collect();
        // 0.19, 0.38, 0.57, 0.76, 0.95 (one replication: no interval).
        assert_eq!(
            met,
            [Some(true), Some(true), Some(true), Some(false), Some(false)]
        );
    }

    #[test]
    fn a_usl_peak_is_measured_only_when_throughput_fell() {
        assert!(!decline_measured(&[
            (1.0, 100.0),
            (2.0, 180.0),
            (3.0, 200.0),
            (4.0, 199.0)
        ]));
        assert!(decline_measured(&[
            (1.0, 100.0),
            (2.0, 180.0),
            (3.0, 200.0),
            (4.0, 180.0)
        ]));
        assert!(!decline_measured(&[(1.0, f64::NAN)]));
    }
}
