//! One simulation run: compile the model, drive the engine window by window,
//! fold each window into metrics, and hand back the results.
//!
//! Driving in window-sized chunks keeps the engine loop free of metric and
//! progress code: between chunks the model closes its window, limits are
//! checked, and an observer sees the window's time-series rows (to stream
//! them to disk, draw a progress bar, or stop the run). Within a window the
//! engine runs at most `CHECK_EVERY` events at a time, and between those
//! slices the run looks at what cannot wait for the window's end: a stop
//! request (Ctrl-C), the in-flight limits and a clock that stopped moving.
//! The slices hand the engine the same events in the same order, so they
//! change no result.

use crate::engine::{EventQueue, SimTime, Stop, run_until};
use crate::metrics::Timeseries;
use crate::metrics::catalog as metric;
use crate::model::{LimitHit, Model, Overload, TRACE_CAPACITY, TraceRecord};
use crate::results::RunResult;
use crate::scenario::Scenario;

/// Events the engine handles between two looks at the stop request and the
/// limits: about 10 ms of wall time, and no measurable cost per event.
pub const CHECK_EVERY: u64 = 65_536;

/// A run that had to stop before its end.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RunError {
    #[error(
        "the run stopped at {at}: {limit} requests were in flight (limits.max_in_flight){}; the system cannot keep \
         up{}. Add capacity or lower the load (`capsim validate` estimates each station's load), or raise the limit",
        retrying_of(*retrying),
        queue_at(overload)
    )]
    InFlightLimit {
        limit: u64,
        at: SimTime,
        /// Requests waiting out a retry's backoff.
        retrying: u64,
        overload: Option<Overload>,
    },
    #[error(
        "the run stopped at {at}: {calls} calls were at the servers, more than limits.max_calls_in_flight \
         ({limit}): the system cannot keep up{}. Add capacity or lower the load (`capsim validate` estimates \
         each station's load), bound the queue (`queue_capacity`) so the excess is rejected at once, or raise \
         the limit",
        queue_at(overload)
    )]
    CallLimit {
        limit: u64,
        calls: u64,
        at: SimTime,
        overload: Option<Overload>,
    },
    #[error(
        "the run stopped at {at}: it handled {limit} events (limits.max_events); shorten `duration` or raise the limit"
    )]
    EventLimit { limit: u64, at: SimTime },
    #[error(
        "the run stopped at {at}: the clock stopped advancing — {events} events happened at that one instant \
         (limits.max_events_per_instant); something takes no time and never ends (zero think time with zero \
         latencies, retries without backoff) or arrivals come closer than a nanosecond apart: give the loop \
         a duration or lower the rate"
    )]
    ClockStopped { events: u64, at: SimTime },
    #[error("the run was stopped at {at}")]
    Stopped { at: SimTime },
    #[error("the run was interrupted at {at}")]
    Interrupted { at: SimTime },
}

/// ", 900 of them waiting to retry after a failed attempt", or nothing.
fn retrying_of(retrying: u64) -> String {
    if retrying == 0 {
        return String::new();
    }
    format!(", {retrying} of them waiting to retry after a failed attempt")
}

/// ". The queue is at `web`: 1200 of its 1234 calls waiting, 1100 of them
/// for attempts the clients had given up on (…)", or nothing.
fn queue_at(overload: &Option<Overload>) -> String {
    let Some(overload) = overload else {
        return String::new();
    };
    let abandoned = if overload.abandoned > 0 {
        format!(
            ", {} of them for attempts the clients had given up on (a `timeout` abandons an attempt, \
             not its work at the servers)",
            overload.abandoned
        )
    } else {
        String::new()
    };
    format!(
        ". The queue is at `{}`: {} of its {} calls waiting{abandoned}",
        overload.station, overload.waiting, overload.calls
    )
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
    run_traced(scenario, observer, None)
}

/// A request trace to keep during a run (`capsim run --trace`): the share of
/// requests sampled, and who takes the records.
pub struct TraceSink<'a> {
    pub rate: f64,
    pub sink: &'a mut dyn FnMut(&[TraceRecord]),
}

// A slice of the loop ends at most two requests per event; the trace's
// buffer holds that many, so it is drained before it can fill.
const _: () = assert!(2 * CHECK_EVERY as usize <= TRACE_CAPACITY);

/// `run_observed`, also handing `trace` its sampled requests between slices
/// of the event loop (never from inside it). The trace changes nothing
/// else the run writes.
pub fn run_traced(
    scenario: &Scenario,
    observer: &mut dyn FnMut(SimTime, &Timeseries) -> Control,
    mut trace: Option<TraceSink>,
) -> Result<RunResult, RunError> {
    let mut queue = EventQueue::with_capacity(1024);
    let cache_visits = super::feasibility::cache_visits(scenario);
    let mut model = Model::with_cache_visits(scenario, &cache_visits, &mut queue);
    if let Some(trace) = &trace {
        model.enable_trace(trace.rate, scenario.seed);
    }
    let mut timeseries = Timeseries::default();
    let end = SimTime::ZERO + scenario.duration;
    let mut budget = scenario.limits.max_events;
    let mut clock = Clock::new();
    // Dead client timeouts dropped before they fired, and due by the end.
    let mut dropped_due = 0;
    let mut start = SimTime::ZERO;
    while start < end {
        let window_end = (start + scenario.window).min(end);
        loop {
            let mut slice = budget.min(CHECK_EVERY);
            let granted = slice;
            let stop = run_until(&mut model, &mut queue, window_end, &mut slice);
            budget -= granted - slice;
            if let Some(trace) = &mut trace {
                model.drain_trace(trace.sink);
            }
            match stop {
                Stop::ReachedTime | Stop::Drained => break,
                Stop::EventBudgetSpent if budget == 0 => {
                    return Err(RunError::EventLimit {
                        limit: scenario.limits.max_events,
                        at: queue.now(),
                    });
                }
                Stop::EventBudgetSpent => {
                    let at = queue.now();
                    if let Some(events) = clock.stalled(at, granted, scenario.limits.max_events_per_instant) {
                        return Err(RunError::ClockStopped { events, at });
                    }
                    check_limits(&model, scenario, at)?;
                    if super::interrupt::stop_requested() {
                        return Err(RunError::Interrupted { at });
                    }
                    dropped_due += model.compact_timeouts(&mut queue, end);
                }
            }
        }
        model.close_window(start, window_end, &mut timeseries);
        check_limits(&model, scenario, window_end)?;
        dropped_due += model.compact_timeouts(&mut queue, end);
        if observer(window_end, &timeseries) == Control::Stop {
            return Err(RunError::Stopped { at: window_end });
        }
        if super::interrupt::stop_requested() {
            return Err(RunError::Interrupted { at: window_end });
        }
        timeseries.rows.clear();
        start = window_end;
    }
    debug_assert_eq!(model.trace_dropped(), 0, "the trace buffer filled");
    // The dropped timeouts would each have been one event doing nothing.
    let events_handled = scenario.limits.max_events - budget + dropped_due;
    let mut summary = model.summary();
    summary.push("overall", metric::ENGINE_EVENTS, events_handled as f64);
    Ok(RunResult {
        summary,
        timeseries,
        events: model.events(),
        latency: model.latency_distribution(),
        events_handled,
    })
}

/// The in-flight limits: requests (which the model refuses to start beyond
/// the limit) and calls at the servers (which it counts, abandoned ones
/// too, and this checks).
fn check_limits(model: &Model, scenario: &Scenario, at: SimTime) -> Result<(), RunError> {
    if let Some(LimitHit::InFlight { limit }) = model.limit_hit() {
        return Err(RunError::InFlightLimit {
            limit: *limit,
            at,
            retrying: model.requests_between_attempts(),
            overload: model.overload(),
        });
    }
    let calls = model.calls_in_flight();
    if calls > scenario.limits.max_calls_in_flight {
        return Err(RunError::CallLimit {
            limit: scenario.limits.max_calls_in_flight,
            calls,
            at,
            overload: model.overload(),
        });
    }
    Ok(())
}

/// Watches for a clock that stopped advancing: slices of events that all
/// happened at one instant, in a row.
struct Clock {
    /// Where the clock stood after the last slice.
    last: SimTime,
    /// Events of the slices in a row that ended where they began.
    events_at_last: u64,
}

impl Clock {
    fn new() -> Self {
        Clock {
            last: SimTime::ZERO,
            events_at_last: 0,
        }
    }

    /// After a full slice of `events` that ended at `now`: the events at
    /// this one instant so far, if they are more than `bound`. A slice
    /// during which the clock moved starts the count again (it may end with
    /// some events at its last instant, which are not counted: the count
    /// is low by less than a slice).
    fn stalled(&mut self, now: SimTime, events: u64, bound: u64) -> Option<u64> {
        if now == self.last {
            self.events_at_last += events;
        } else {
            self.last = now;
            self.events_at_last = 0;
        }
        (self.events_at_last > bound).then_some(self.events_at_last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_counts_slices_in_a_row_at_one_instant() {
        let mut clock = Clock::new();
        // The clock moved during the slice: nothing counted.
        assert_eq!(clock.stalled(SimTime(5), 100, 250), None);
        assert_eq!(clock.stalled(SimTime(5), 100, 250), None);
        assert_eq!(clock.stalled(SimTime(5), 100, 250), None);
        assert_eq!(clock.stalled(SimTime(5), 100, 250), Some(300));
        // It moves again: the count starts over.
        assert_eq!(clock.stalled(SimTime(6), 100, 250), None);
        assert_eq!(clock.stalled(SimTime(6), 100, 250), None);
    }

    #[test]
    fn slices_change_no_result() {
        // The run as it was driven before slices (one `run_until` per
        // window, the whole budget at once) and as `run` drives it now.
        let text = "[scenario]\nduration = \"20s\"\nwindow = \"5s\"\n[workload]\n\
                    arrivals = { kind = \"open\", rate = \"20000/s\" }\nmix = [{ class = \"q\", call = \"s/q\" }]\n\
                    [pool.s]\nworkers = 4\n[pool.s.endpoint.q]\nservice = { dist = \"exp\", mean = \"0.15ms\" }\n";
        let scenario = crate::scenario::load_str(text).expect("loads").scenario;
        let mut queue = EventQueue::with_capacity(1024);
        let mut model = Model::new(&scenario, &mut queue);
        let mut whole = Timeseries::default();
        let mut budget = u64::MAX;
        for window in 0..4 {
            let (start, end) = (
                SimTime(window * 5_000_000_000),
                SimTime((window + 1) * 5_000_000_000),
            );
            assert_eq!(
                run_until(&mut model, &mut queue, end, &mut budget),
                Stop::ReachedTime
            );
            model.close_window(start, end, &mut whole);
        }
        let sliced = run(&scenario).expect("runs");
        assert_eq!(sliced.events_handled, u64::MAX - budget);
        assert!(sliced.events_handled > 4 * CHECK_EVERY, "several slices a window");
        let rows = |summary: &crate::metrics::Summary| -> Vec<(String, &str, u64)> {
            summary
                .rows
                .iter()
                .filter(|row| row.metric != metric::ENGINE_EVENTS.name)
                .map(|row| (row.scope.clone(), row.metric, row.value.to_bits()))
                .collect()
        };
        assert_eq!(rows(&sliced.summary), rows(&model.summary()));
        assert_eq!(sliced.timeseries, whole);
    }

    /// Dropping dead client timeouts changes nothing but memory: the same
    /// rows, and the same `engine_events` once the dropped ones that were
    /// due are counted. Fast failures (a queue of 1, so most attempts are
    /// rejected at once) retried without backoff leave their timeouts
    /// behind; the lane is compacted above 2 000 pending instead of above a
    /// million.
    #[test]
    fn dropping_dead_timeouts_changes_no_result() {
        let text = "[scenario]\nduration = \"6s\"\nwindow = \"1s\"\n[workload]\n\
                    arrivals = { kind = \"open\", rate = \"2000/s\" }\ntimeout = \"2s\"\n\
                    retry = { retries = 5, backoff = \"0s\" }\nmix = [{ class = \"q\", call = \"s/q\" }]\n\
                    [network]\nclient = \"1ms\"\n[pool.s]\nworkers = 2\nqueue_capacity = 1\n\
                    [pool.s.endpoint.q]\nservice = { dist = \"exp\", mean = \"1ms\" }\n";
        let scenario = crate::scenario::load_str(text).expect("loads").scenario;
        let drive = |compact: bool| {
            let mut queue = EventQueue::with_capacity(1024);
            let mut model = Model::new(&scenario, &mut queue);
            let mut series = Timeseries::default();
            let (mut budget, mut dropped_due, mut compactions, mut peak) = (u64::MAX, 0, 0, 0);
            let end = SimTime(6_000_000_000);
            for window in 0..6 {
                let (start, until) = (
                    SimTime(window * 1_000_000_000),
                    SimTime((window + 1) * 1_000_000_000),
                );
                loop {
                    let mut slice = 500;
                    let stop = run_until(&mut model, &mut queue, until, &mut slice);
                    budget -= 500 - slice;
                    peak = peak.max(queue.len());
                    if compact {
                        let dropped = model.compact_timeouts_above(&mut queue, end, 2_000);
                        compactions += u64::from(dropped > 0);
                        dropped_due += dropped;
                    }
                    if stop != Stop::EventBudgetSpent {
                        break;
                    }
                }
                model.close_window(start, until, &mut series);
            }
            (
                u64::MAX - budget + dropped_due,
                model.summary(),
                series,
                compactions,
                peak,
            )
        };
        let (events, summary, series, _, peak) = drive(false);
        let (compacted_events, compacted_summary, compacted_series, compactions, compacted_peak) =
            drive(true);
        assert!(compactions >= 3, "{compactions} compactions");
        assert!(
            compacted_peak * 2 < peak,
            "pending events peak {compacted_peak} against {peak}"
        );
        assert_eq!(compacted_events, events);
        assert_eq!(compacted_summary.rows, summary.rows);
        assert_eq!(compacted_series, series);
    }
}
