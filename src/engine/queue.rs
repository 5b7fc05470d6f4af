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
//!
//! Lanes are the fast path for events that are always scheduled the same
//! delay after "now" (a client timeout): their times never decrease, so they
//! queue in a plain FIFO instead of the heap, and `pop` takes the smallest
//! key among the heap's top and the lanes' fronts. The order of events is
//! exactly what one heap would give; only the cost differs. Without lanes,
//! thousands of pending (mostly cancelled) timeouts made the heap deep and
//! `pop` a third of the run time.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

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

/// A FIFO lane for events scheduled in non-decreasing time order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lane(u32);

/// The calendar of future events and the current simulated time.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    lanes: Vec<VecDeque<Entry<E>>>,
    next_seq: u64,
    now: SimTime,
}

/// Where the next event is.
enum Next {
    Heap,
    Lane(usize),
}

impl<E: Copy> EventQueue<E> {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// Pre-sizes the heap so a run that stays under `events` pending events
    /// never reallocates.
    pub fn with_capacity(events: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(events),
            lanes: Vec::new(),
            next_seq: 0,
            now: SimTime::ZERO,
        }
    }

    /// Adds a FIFO lane; events scheduled on it must come in non-decreasing
    /// time order.
    pub fn add_lane(&mut self) -> Lane {
        self.lanes.push(VecDeque::new());
        Lane(self.lanes.len() as u32 - 1)
    }

    #[inline]
    fn key(&mut self, time: SimTime) -> u128 {
        let key = ((time.0 as u128) << 64) | self.next_seq as u128;
        self.next_seq += 1;
        key
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
        let key = self.key(time.max(self.now));
        self.heap.push(Entry { key, event });
    }

    /// Schedules `event` after `delay` on `lane`. The lane's events must be
    /// scheduled in non-decreasing time order (a fixed delay from "now"
    /// always is); a later-scheduled earlier event goes to the heap instead,
    /// so order is never wrong.
    #[inline]
    pub fn schedule_in_lane(&mut self, lane: Lane, delay: SimDuration, event: E) {
        let time = self.now + delay;
        let key = self.key(time);
        let queue = &mut self.lanes[lane.0 as usize];
        if queue.back().is_none_or(|last| last.key <= key) {
            queue.push_back(Entry { key, event });
        } else {
            self.heap.push(Entry { key, event });
        }
    }

    /// The smallest pending key and where it is.
    #[inline]
    fn next(&self) -> Option<(u128, Next)> {
        let mut best = self.heap.peek().map(|entry| (entry.key, Next::Heap));
        for (index, lane) in self.lanes.iter().enumerate() {
            if let Some(front) = lane.front()
                && best.as_ref().is_none_or(|(key, _)| front.key < *key)
            {
                best = Some((front.key, Next::Lane(index)));
            }
        }
        best
    }

    /// Schedules `event` after `delay` from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.schedule_at(self.now + delay, event);
    }

    /// The time of the next event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.next().map(|(key, _)| SimTime((key >> 64) as u64))
    }

    /// Removes the next event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let entry = match self.next()?.1 {
            Next::Heap => self.heap.pop(),
            Next::Lane(index) => self.lanes[index].pop_front(),
        }?;
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
        self.heap.len() + self.lanes.iter().map(VecDeque::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    fn lanes_interleave_with_the_heap_in_exact_order() {
        // The same events through a lane or through the heap alone must pop
        // in the same order, ties included.
        let mut with_lane = EventQueue::new();
        let lane = with_lane.add_lane();
        let mut heap_only = EventQueue::new();
        let order = |queue: &mut EventQueue<u32>, use_lane: bool| {
            let mut popped = Vec::new();
            let mut id = 0;
            for step in 0..200u64 {
                // A fixed-delay event and an irregular one at each step.
                if use_lane {
                    queue.schedule_in_lane(lane, SimDuration(50), id);
                } else {
                    queue.schedule_in(SimDuration(50), id);
                }
                queue.schedule_in(SimDuration((step * 37) % 90), id + 1);
                id += 2;
                if step % 3 == 0 {
                    popped.push(queue.pop().unwrap().1);
                }
            }
            while let Some((_, event)) = queue.pop() {
                popped.push(event);
            }
            popped
        };
        let a = order(&mut with_lane, true);
        let b = order(&mut heap_only, false);
        assert_eq!(a, b);
        assert_eq!(a.len(), 400);
    }

    #[test]
    fn an_out_of_order_lane_event_still_pops_in_order() {
        let mut queue = EventQueue::new();
        let lane = queue.add_lane();
        queue.schedule_in_lane(lane, SimDuration(100), 'b');
        queue.schedule_in_lane(lane, SimDuration(10), 'a');
        assert_eq!(queue.pop().map(|(_, e)| e), Some('a'));
        assert_eq!(queue.pop().map(|(_, e)| e), Some('b'));
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
