//! The event loop: pop the earliest event, hand it to the model, repeat.
//!
//! The loop is generic over a `Process`, the model's event handler, so the
//! engine never names a component kind and dispatch is a `match` inside the
//! model, monomorphised and inlined. The loop stops at a time bound (so the
//! caller can close a window, draw a progress bar or check a limit between
//! chunks), when the calendar is empty, or when the event budget runs out.

use super::queue::{Due, EventQueue};
use super::time::SimTime;

/// A model that reacts to its own events.
pub trait Process {
    /// The model's events: small `Copy` values with ids, never closures.
    type Event: Copy;

    /// Handles one event at `queue.now()`, scheduling follow-ups on `queue`.
    fn handle(&mut self, event: Self::Event, queue: &mut EventQueue<Self::Event>);
}

/// Why `run_until` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Every event up to and including the bound has been handled.
    ReachedTime,
    /// Nothing is scheduled any more.
    Drained,
    /// The event budget is spent; the clock stands at the last event handled.
    EventBudgetSpent,
}

/// Handles events in `(time, seq)` order until the next one is later than
/// `until`, the calendar is empty, or `budget` events have been handled.
/// `budget` is decremented by the number of events handled.
pub fn run_until<P: Process>(
    process: &mut P,
    queue: &mut EventQueue<P::Event>,
    until: SimTime,
    budget: &mut u64,
) -> Stop {
    loop {
        if *budget == 0 {
            return match queue.peek_time() {
                None => {
                    queue.advance_to(until);
                    Stop::Drained
                }
                Some(time) if time > until => {
                    queue.advance_to(until);
                    Stop::ReachedTime
                }
                Some(_) => Stop::EventBudgetSpent,
            };
        }
        match queue.due(until) {
            Due::Now(from) => {
                let event = queue.take(from);
                *budget -= 1;
                process.handle(event, queue);
            }
            Due::Later => {
                queue.advance_to(until);
                return Stop::ReachedTime;
            }
            Due::Empty => {
                queue.advance_to(until);
                return Stop::Drained;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::SimDuration;

    /// A process that re-schedules itself every 10 ns and counts.
    struct Ticker {
        ticks: u32,
    }

    impl Process for Ticker {
        type Event = ();
        fn handle(&mut self, _: (), queue: &mut EventQueue<()>) {
            self.ticks += 1;
            queue.schedule_in(SimDuration(10), ());
        }
    }

    #[test]
    fn stops_at_the_bound_inclusive() {
        let mut queue = EventQueue::new();
        queue.schedule_at(SimTime(0), ());
        let mut ticker = Ticker { ticks: 0 };
        let mut budget = u64::MAX;
        let stop = run_until(&mut ticker, &mut queue, SimTime(100), &mut budget);
        assert_eq!(stop, Stop::ReachedTime);
        assert_eq!(ticker.ticks, 11, "ticks at 0, 10, …, 100");
        assert_eq!(queue.now(), SimTime(100));
    }

    #[test]
    fn spends_the_budget_exactly() {
        let mut queue = EventQueue::new();
        queue.schedule_at(SimTime(0), ());
        let mut ticker = Ticker { ticks: 0 };
        let mut budget = 5;
        let stop = run_until(&mut ticker, &mut queue, SimTime::MAX, &mut budget);
        assert_eq!(stop, Stop::EventBudgetSpent);
        assert_eq!((ticker.ticks, budget), (5, 0));
    }

    #[test]
    fn drains_an_empty_calendar() {
        let mut queue: EventQueue<()> = EventQueue::new();
        let mut ticker = Ticker { ticks: 0 };
        let mut budget = 1;
        let stop = run_until(&mut ticker, &mut queue, SimTime(50), &mut budget);
        assert_eq!(stop, Stop::Drained);
        assert_eq!(queue.now(), SimTime(50));
    }
}
