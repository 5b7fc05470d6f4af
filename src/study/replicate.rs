//! Independent replications of one scenario, run in parallel and folded
//! into means with 95 % confidence intervals.
//!
//! Replication `r` runs the scenario with seed `replication_seed(seed, r)`,
//! so its random numbers depend on the scenario and `r` only. Runs go to
//! rayon's pool, but results are collected in replication order and every
//! sum runs in that order: the thread count and completion order never
//! reach a number. Each run already drops its warm-up (the summary covers
//! the time after it).
//!
//! The time series of a replicated run is the per-window mean over the
//! replications (a window's row averages the replications that have a value
//! for it); the events are replication 0's.

use rayon::prelude::*;

use crate::engine::random::replication_seed;
use crate::metrics::catalog as metric;
use crate::metrics::{LatencyDistribution, SeriesRow, Summary, Timeseries};
use crate::results::interval::{IntervalRow, IntervalSummary};
use crate::results::{Replicated, RunResult};
use crate::scenario::Scenario;

use super::Control;
use super::run::{RunError, run, run_observed};
use super::stats::{CONFIDENCE, mean_interval};

/// Folds summaries (one per replication, in replication order) into means
/// and intervals. Rows follow the first summary; a row missing from a later
/// summary is left out of that row's statistics.
pub fn aggregate(summaries: &[&Summary]) -> IntervalSummary {
    let Some(first) = summaries.first() else {
        return IntervalSummary::default();
    };
    let rows = first
        .rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let samples: Vec<f64> = summaries
                .iter()
                .map(|summary| {
                    // Replications of one scenario list the same rows in the
                    // same order; the search is only a fallback.
                    match summary.rows.get(index) {
                        Some(other) if other.scope == row.scope && other.metric == row.metric => other.value,
                        _ => summary.get(&row.scope, row.metric).unwrap_or(f64::NAN),
                    }
                })
                .collect();
            let interval = mean_interval(&samples, CONFIDENCE);
            IntervalRow {
                scope: row.scope.clone(),
                metric: row.metric.to_owned(),
                mean: interval.mean,
                low: interval.low,
                high: interval.high,
            }
        })
        .collect();
    IntervalSummary { rows }
}

/// The per-window mean of time series that share their windows. Rows
/// follow the first series; each averages the finite values the series
/// have for the same window, scope and metric.
pub fn mean_timeseries(series: &[&Timeseries]) -> Timeseries {
    let Some(first) = series.first() else {
        return Timeseries::default();
    };
    let mut mean = Timeseries {
        scopes: first.scopes.clone(),
        rows: Vec::with_capacity(first.rows.len()),
    };
    for (index, row) in first.rows.iter().enumerate() {
        let scope = first.scopes[row.scope as usize].as_str();
        let (mut sum, mut count) = (0.0, 0u32);
        for other in series {
            if let Some(value) = value_at(other, index, row, scope)
                && value.is_finite()
            {
                sum += value;
                count += 1;
            }
        }
        let value = if count == 0 { f64::NAN } else { sum / count as f64 };
        mean.rows.push(SeriesRow { value, ..*row });
    }
    mean
}

/// The value `series` has for the window, scope and metric of `row` (which
/// is normally at the same index).
fn value_at(series: &Timeseries, index: usize, row: &SeriesRow, scope: &str) -> Option<f64> {
    let same = |other: &SeriesRow| {
        other.time_s == row.time_s
            && other.metric == row.metric
            && series
                .scopes
                .get(other.scope as usize)
                .is_some_and(|name| name == scope)
    };
    match series.rows.get(index) {
        Some(other) if same(other) => Some(other.value),
        _ => series
            .rows
            .iter()
            .find(|other| same(other))
            .map(|other| other.value),
    }
}

/// The scenario of replication `index` of `base`.
pub fn replication_scenario(base: &Scenario, index: u64) -> Scenario {
    let mut scenario = base.clone();
    scenario.seed = replication_seed(base.seed, index);
    scenario
}

/// The scenario replication `index` of `replications` runs: the scenario's
/// own seed when there is a single replication (so it matches `capsim run`),
/// a derived seed otherwise.
pub fn scenario_for(base: &Scenario, replications: u32, index: u64) -> Scenario {
    if replications == 1 {
        base.clone()
    } else {
        replication_scenario(base, index)
    }
}

/// A replication that could not finish.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("replication {index} (seed {seed}) failed: {error}")]
pub struct ReplicationError {
    pub index: u64,
    pub seed: u64,
    pub error: RunError,
}

/// Runs `replications` (at least 1) replications of `base` (seeds as in
/// `scenario_for`) in parallel on the current rayon pool, calling `done` as each finishes. The summary
/// gains `overall,replications`.
pub fn run_replications(
    base: &Scenario,
    replications: u32,
    done: &(dyn Fn() + Sync),
) -> Result<Replicated, ReplicationError> {
    let results: Vec<Result<RunResult, ReplicationError>> = (0..replications as u64)
        .into_par_iter()
        .map(|index| {
            let scenario = scenario_for(base, replications, index);
            let result = run(&scenario).map_err(|error| ReplicationError {
                index,
                seed: scenario.seed,
                error,
            });
            done();
            result
        })
        .collect();
    let results = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    let summaries: Vec<&Summary> = results.iter().map(|result| &result.summary).collect();
    let mut summary = aggregate(&summaries);
    summary.push_exact("overall", metric::REPLICATIONS.name, replications as f64);
    let series: Vec<&Timeseries> = results.iter().map(|result| &result.timeseries).collect();
    Ok(Replicated {
        replications,
        summary,
        timeseries: mean_timeseries(&series),
        events: results[0].events.clone(),
        latency: LatencyDistribution::pooled(results.iter().map(|result| &result.latency)),
    })
}

/// Runs the replications of `base` and keeps only their summaries (no time
/// series in memory), in replication order. With one replication the
/// scenario's own seed is used, so a single run matches `capsim run`.
pub fn replicate_summaries(base: &Scenario, replications: u32) -> Vec<Result<Summary, ReplicationError>> {
    (0..replications as u64)
        .into_par_iter()
        .map(|index| summary_of(base, replications, index))
        .collect()
}

/// The summary of replication `index` of `replications` of `base`.
pub fn summary_of(base: &Scenario, replications: u32, index: u64) -> Result<Summary, ReplicationError> {
    let scenario = scenario_for(base, replications, index);
    run_observed(&scenario, &mut |_, _| Control::Continue)
        .map(|result| result.summary)
        .map_err(|error| ReplicationError {
            index,
            seed: scenario.seed,
            error,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(values: &[(&str, &'static str, f64)]) -> Summary {
        let mut summary = Summary::default();
        for &(scope, metric, value) in values {
            summary.push(scope, metric, value);
        }
        summary
    }

    #[test]
    fn aggregate_keeps_row_order_and_computes_intervals() {
        let a = summary(&[("overall", "requests", 10.0), ("web", "utilization", 0.5)]);
        let b = summary(&[("overall", "requests", 14.0), ("web", "utilization", 0.5)]);
        let folded = aggregate(&[&a, &b]);
        assert_eq!(folded.rows[0].metric, "requests");
        assert_eq!(folded.rows[0].mean, 12.0);
        // s = 2√2, n = 2: half width t_{0.975,1} · 2 = 25.41.
        assert!((folded.rows[0].high - 12.0 - 12.706_204_7 * 2.0).abs() < 1e-5);
        assert_eq!((folded.rows[1].low, folded.rows[1].high), (0.5, 0.5));
    }

    #[test]
    fn aggregate_finds_rows_out_of_place() {
        let a = summary(&[("a", "x", 1.0), ("b", "x", 2.0)]);
        let b = summary(&[("b", "x", 4.0), ("a", "x", 3.0)]);
        let folded = aggregate(&[&a, &b]);
        assert_eq!(folded.mean("a", "x"), Some(2.0));
        assert_eq!(folded.mean("b", "x"), Some(3.0));
    }

    #[test]
    fn timeseries_means_per_window() {
        let mut a = Timeseries::default();
        let web = a.scope("web");
        a.push(10.0, web, "utilization", 0.2);
        a.push(20.0, web, "utilization", f64::NAN);
        let mut b = Timeseries::default();
        let web = b.scope("web");
        b.push(10.0, web, "utilization", 0.4);
        b.push(20.0, web, "utilization", 0.6);
        let mean = mean_timeseries(&[&a, &b]);
        assert_eq!(
            mean.series("web", "utilization"),
            vec![(10.0, 0.30000000000000004), (20.0, 0.6)]
        );
    }

    #[test]
    fn replication_seeds_come_from_the_scenario_seed() {
        let scenario = crate::scenario::load_str(
            "[scenario]\nseed = 5\nduration = \"1s\"\n[workload]\narrivals = { kind = \"open\", rate = \"10/s\" }\n\
             mix = [{ class = \"a\", call = \"p/e\" }]\n[pool.p]\nworkers = 1\n[pool.p.endpoint.e]\nservice = \"1ms\"\n",
        )
        .unwrap()
        .scenario;
        assert_eq!(replication_scenario(&scenario, 3).seed, replication_seed(5, 3));
        let single = summary_of(&scenario, 1, 0).unwrap();
        assert_eq!(single, crate::study::run(&scenario).unwrap().summary);
    }
}
