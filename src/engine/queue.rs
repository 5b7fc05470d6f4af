//! The event calendar: a min-heap ordered by `(time, seq)`.
//!
//! Ordering guarantee: events fire in increasing time; events scheduled for
//! the same instant fire in the order they were scheduled (FIFO), because
//! every push takes the next value of a global sequence counter. This is what
//! makes a run reproducible: nothing depends on heap internals.
//!
//! Why `BinaryHeap` and not an indexed priority queue: the calendar only needs
//! push and pop-min. Timeouts that no longer matter are cancelled lazily (the
//! handler checks a generation and ignores stale events), which measured about
//! twice as fast as keyed removal (see DEPENDENCIES.md §5). The key is packed
//! into one `u128` so each comparison is a single integer compare.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::time::{SimDuration, SimTime};

/// One scheduled event. Ordered so that the *smallest* key is the greatest,
/// which turns std's max-heap into a min-heap.
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// The calendar of future events and the current simulated time.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    now: SimTime,
}

impl<E: Copy> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
            now: SimTime::ZERO,
        }
    }

    /// Pre-sizes the heap so a run that stays under `events` pending events
    /// never reallocates.
    pub fn with_capacity(events: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(events),
            next_seq: 0,
            now: SimTime::ZERO,
        }
    }

    /// The time of the event being handled (or of the last one handled).
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `time`. Scheduling in the past is a model bug:
    /// the event fires "now" instead, after everything already due now.
    #[inline]
    pub fn schedule_at(&mut self, time: SimTime, event: E) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let time = time.max(self.now);
        let key = ((time.0 as u128) << 64) | self.next_seq as u128;
        self.next_seq += 1;
        self.heap.push(Entry { key, event });
    }

    /// Schedules `event` after `delay` from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.schedule_at(self.now + delay, event);
    }

    /// The time of the next event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|entry| SimTime((entry.key >> 64) as u64))
    }

    /// Removes the next event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let entry = self.heap.pop()?;
        self.now = SimTime((entry.key >> 64) as u64);
        Some((self.now, entry.event))
    }

    /// Advances the clock without an event (used to close a run at its end
    /// time when the calendar holds nothing earlier).
    pub fn advance_to(&mut self, time: SimTime) {
        debug_assert!(time >= self.now);
        self.now = self.now.max(time);
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order() {
        let mut queue = EventQueue::new();
        queue.schedule_at(SimTime(30), 'c');
        queue.schedule_at(SimTime(10), 'a');
        queue.schedule_at(SimTime(20), 'b');
        let order: Vec<char> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['a', 'b', 'c']);
    }

    #[test]
    fn equal_times_pop_in_scheduling_order() {
        let mut queue = EventQueue::new();
        for i in 0..100u32 {
            queue.schedule_at(SimTime(5), i);
        }
        let order: Vec<u32> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn pop_advances_the_clock_and_relative_scheduling_uses_it() {
        let mut queue = EventQueue::new();
        queue.schedule_at(SimTime(100), 1u8);
        assert_eq!(queue.pop(), Some((SimTime(100), 1)));
        assert_eq!(queue.now(), SimTime(100));
        queue.schedule_in(SimDuration(50), 2);
        assert_eq!(queue.peek_time(), Some(SimTime(150)));
    }

    #[test]
    fn key_order_survives_times_above_32_bits() {
        let mut queue = EventQueue::new();
        queue.schedule_at(SimTime(u64::MAX - 1), 'z');
        queue.schedule_at(SimTime(1 << 40), 'y');
        assert_eq!(queue.pop().map(|(_, e)| e), Some('y'));
        assert_eq!(queue.pop().map(|(_, e)| e), Some('z'));
    }
}
