//! Running a sweep: every (point, replication) pair is one task on rayon's
//! pool, the costliest points' tasks handed out first so that no long run
//! starts last (`schedule`); results are collected in task order and folded
//! point by point, so the outcomes are the same whatever the number of
//! threads. The grid, the table the outcomes fill and the shards are
//! `results::sweep`'s.

use crate::metrics::Summary;
use crate::results::sweep::PointOutcome;
use crate::scenario::Scenario;

use super::replicate::{aggregate, summary_of};
use super::schedule::{longest_first, run_cost};

/// Runs `replications` of every scenario (one per point, in point order)
/// in parallel on the current rayon pool, the costliest points' runs first
/// (`schedule`), calling `done` after each run.
pub fn run_points(scenarios: &[Scenario], replications: u32, done: &(dyn Fn() + Sync)) -> Vec<PointOutcome> {
    let tasks: Vec<(usize, u64)> = (0..scenarios.len())
        .flat_map(|point| (0..replications as u64).map(move |replication| (point, replication)))
        .collect();
    let costs: Vec<f64> = scenarios.iter().map(run_cost).collect();
    let results: Vec<Result<Summary, String>> = longest_first(
        &tasks,
        |&(point, _)| costs[point],
        |&(point, replication)| {
            let result = summary_of(&scenarios[point], replications, replication).map_err(|e| e.to_string());
            done();
            result
        },
    );
    results
        .chunks(replications as usize)
        .map(|runs| {
            let errors: Vec<&String> = runs.iter().filter_map(|run| run.as_ref().err()).collect();
            if let Some(first) = errors.first() {
                return PointOutcome::Failed {
                    failed_runs: errors.len() as u32,
                    first_error: (*first).clone(),
                };
            }
            let summaries: Vec<&Summary> = runs.iter().filter_map(|run| run.as_ref().ok()).collect();
            PointOutcome::Measured(aggregate(&summaries))
        })
        .collect()
}
