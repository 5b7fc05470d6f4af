//! Handing a study's runs to rayon's pool, longest first.
//!
//! The runs of a study can differ a lot in length (a sweep's 700/s point
//! simulates almost twice the requests of its 400/s point), and a run cannot
//! be split. Left to rayon's halving of the task list, whichever run comes
//! last starts last, and when it is a long one a single thread finishes it
//! while the others idle. Here the tasks are handed out one at a time, the
//! most costly first by an estimate (greedy longest-processing-time
//! scheduling), so the short runs fill the gaps at the end.
//!
//! Only the order in which tasks start depends on the estimate: results come
//! back in task order, so nothing a study reports depends on it, nor on the
//! thread count.

use rayon::prelude::*;

use crate::scenario::Scenario;

use super::feasibility::offered_rate;

/// Runs `work` on every task on the current rayon pool, starting the
/// costliest first (ties in task order); returns the results in task order.
pub fn longest_first<T, R>(tasks: &[T], cost: impl Fn(&T) -> f64, work: impl Fn(&T) -> R + Sync) -> Vec<R>
where
    T: Sync,
    R: Send,
{
    let mut finished: Vec<(usize, R)> = costliest_first(tasks, cost)
        .into_iter()
        .par_bridge()
        .map(|task| (task, work(&tasks[task])))
        .collect();
    finished.sort_unstable_by_key(|&(task, _)| task);
    finished.into_iter().map(|(_, result)| result).collect()
}

/// Task indices by decreasing cost; equal costs keep their task order.
fn costliest_first<T>(tasks: &[T], cost: impl Fn(&T) -> f64) -> Vec<usize> {
    let costs: Vec<f64> = tasks.iter().map(cost).collect();
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]));
    order
}

/// What a run of `scenario` is expected to cost, for ordering runs only:
/// the requests it is offered (peak rate × duration). Engine events, and so
/// time, grow with them; a rate sweep's points differ mostly by them.
pub fn run_cost(scenario: &Scenario) -> f64 {
    offered_rate(scenario) * scenario.duration.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_costliest_tasks_start_first_and_ties_keep_their_order() {
        let costs = [1.0, 3.0, 2.0, 3.0];
        assert_eq!(costliest_first(&costs, |&cost| cost), [1, 3, 2, 0]);
    }

    #[test]
    fn results_come_back_in_task_order_whatever_the_threads() {
        let tasks: Vec<u64> = (0..40).collect();
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| longest_first(&tasks, |&task| (task % 7) as f64, |&task| task * task))
        };
        let expected: Vec<u64> = tasks.iter().map(|task| task * task).collect();
        assert_eq!(on(1), expected);
        assert_eq!(on(3), expected);
    }

    #[test]
    fn one_thread_runs_the_tasks_costliest_first() {
        let started = std::sync::Mutex::new(Vec::new());
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        pool.install(|| {
            longest_first(
                &[2.0, 5.0, 1.0, 4.0],
                |&cost| cost,
                |&cost| started.lock().unwrap().push(cost),
            )
        });
        assert_eq!(started.into_inner().unwrap(), [5.0, 4.0, 2.0, 1.0]);
    }
}
