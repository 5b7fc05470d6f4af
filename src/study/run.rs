//! One simulation run: compile the model, drive the engine window by window,
//! fold each window into metrics, and hand back the results.
//!
//! Driving in window-sized chunks keeps the engine loop free of metric and
//! progress code: between chunks the model closes its window, limits are
//! checked, and an observer sees the window's time-series rows (to stream
//! them to disk, draw a progress bar, or stop the run).

use crate::engine::{EventQueue, SimTime, Stop, run_until};
use crate::metrics::Timeseries;
use crate::metrics::catalog as metric;
use crate::model::{LimitHit, Model};
use crate::results::RunResult;
use crate::scenario::Scenario;

/// A run that had to stop before its end.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RunError {
    #[error(
        "the run stopped at {at}: {limit} requests were in flight (limits.max_in_flight); the system cannot keep up — \
         add capacity or lower the load (`capsim validate` estimates each station's load), or raise the limit"
    )]
    InFlightLimit { limit: u64, at: SimTime },
    #[error(
        "the run stopped at {at}: it handled {limit} events (limits.max_events); shorten `duration` or raise the limit"
    )]
    EventLimit { limit: u64, at: SimTime },
    #[error("the run was stopped at {at}")]
    Stopped { at: SimTime },
    #[error("the run was interrupted at {at}")]
    Interrupted { at: SimTime },
}

/// What an observer wants after a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// Runs `scenario` to its end, keeping the whole time series in memory.
pub fn run(scenario: &Scenario) -> Result<RunResult, RunError> {
    let mut all = Timeseries::default();
    let mut result = run_observed(scenario, &mut |_, window| {
        all.append(window);
        Control::Continue
    })?;
    result.timeseries = all;
    Ok(result)
}

/// Runs `scenario`, handing `observer` each window's end time and rows as
/// soon as the window closes; the rows are not kept.
pub fn run_observed(
    scenario: &Scenario,
    observer: &mut dyn FnMut(SimTime, &Timeseries) -> Control,
) -> Result<RunResult, RunError> {
    let mut queue = EventQueue::with_capacity(1024);
    let mut model = Model::new(scenario, &mut queue);
    let mut timeseries = Timeseries::default();
    let end = SimTime::ZERO + scenario.duration;
    let mut budget = scenario.limits.max_events;
    let mut start = SimTime::ZERO;
    while start < end {
        let window_end = (start + scenario.window).min(end);
        let stop = run_until(&mut model, &mut queue, window_end, &mut budget);
        if stop == Stop::EventBudgetSpent {
            return Err(RunError::EventLimit {
                limit: scenario.limits.max_events,
                at: queue.now(),
            });
        }
        model.close_window(start, window_end, &mut timeseries);
        if let Some(LimitHit::InFlight { limit }) = model.limit_hit() {
            return Err(RunError::InFlightLimit {
                limit: *limit,
                at: window_end,
            });
        }
        if observer(window_end, &timeseries) == Control::Stop {
            return Err(RunError::Stopped { at: window_end });
        }
        if super::interrupt::stop_requested() {
            return Err(RunError::Interrupted { at: window_end });
        }
        timeseries.rows.clear();
        start = window_end;
    }
    let events_handled = scenario.limits.max_events - budget;
    let mut summary = model.summary();
    summary.push("overall", metric::ENGINE_EVENTS, events_handled as f64);
    Ok(RunResult {
        summary,
        timeseries,
        events: model.events(),
        events_handled,
    })
}
