//! The event calendar: a min-heap ordered by `(time, seq)`.
//!
//! Ordering guarantee: events fire in increasing time; events scheduled for
//! the same instant fire in the order they were scheduled (FIFO), because
//! every push takes the next value of a global sequence counter. This is what
//! makes a run reproducible: nothing depends on heap internals — every key is
//! unique, so any correct heap pops the same sequence.
//!
//! Why a hand-written heap and not `std`'s `BinaryHeap`: the calendar only
//! needs push and pop-min, and pop was the engine's largest single cost
//! (12–15 % of a run; see BENCHMARKS.md). This heap is 4-ary (half the levels
//! of a binary heap) and picks the smallest of four children without
//! branches: which child is smallest is a coin flip the branch predictor
//! cannot learn. An entry is a 16-byte key and a 16-byte event. Timeouts
//! that no longer matter are cancelled lazily (the handler checks a
//! generation and ignores stale events), which measured about twice as fast
//! as keyed removal (see DEPENDENCIES.md §5). The key is packed into one
//! `u128` so each comparison is a single integer compare. Taking the
//! smallest event only marks the root; the handler's next push replaces it
//! with one sift-down (see `Heap`). The loop asks `due` where the next event
//! is and `take`s it: returning it wrapped in an enum that shares its tag
//! cost a store-forwarding stall per event.
//!
//! Lanes are the fast path for events that are always scheduled the same
//! delay after "now" (a client timeout): their times never decrease, so they
//! queue in a plain FIFO instead of the heap, and `pop` takes the smallest
//! key among the heap's top and the lanes' fronts. The order of events is
//! exactly what one heap would give; only the cost differs. Without lanes,
//! thousands of pending (mostly cancelled) timeouts made the heap deep and
//! `pop` a third of the run time.

use std::collections::VecDeque;

use super::time::{SimDuration, SimTime};

/// Children per heap node.
const ARITY: usize = 4;

/// Bytes per cache line on the machines capsim is measured on (x86-64, ARM64).
const CACHE_LINE: usize = 64;

/// One calendar entry: the packed `(time, seq)` key and its event. Aligned to
/// 32 bytes (its size when the event is 16 bytes) so that no entry straddles
/// a cache line and a node's four children can share exactly two lines (see
/// `Heap::root`).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(32))]
struct Entry<E> {
    key: u128,
    event: E,
}

/// A 4-ary min-heap of `(key, event)` entries: every node's key is smaller
/// than its children's (`ARITY * i + 1 ..= ARITY * i + ARITY`, counting from
/// the root).
///
/// Taking the smallest entry only marks the root as taken; the next push
/// then overwrites the root and sifts it down once, instead of a sift-down
/// to remove and a sift-up to insert (an event handler usually schedules a
/// follow-up). If nothing is pushed, the removal happens at the next look
/// (`settle`). Keys are unique, so the order of events is exactly that of
/// an eager heap.
///
/// Layout: the heap starts at `entries[root]`, after `root` (0 or 1) filler
/// entries, chosen when the buffer is allocated so that every group of four
/// siblings starts on a cache-line boundary. A sift-down compares four keys
/// per level; with the groups aligned they are always two lines, where a
/// buffer that happened to start 16 or 48 bytes into a line put them on
/// three. Where the allocator placed the buffer used to decide this: a
/// change elsewhere in the program that moved it cost 5–7 % of the run time
/// of M/M/8 with the same instructions executed (BENCHMARKS.md, issue 16).
/// The layout changes no event order: only where entries sit in memory.
struct Heap<E> {
    entries: Vec<Entry<E>>,
    /// Index of the root in `entries`; the entries before it are filler.
    root: usize,
    /// Capacity the first allocation gets (the calendar's pre-size).
    first_capacity: usize,
    /// `entries[root]` was taken and is to be replaced or removed.
    root_taken: bool,
}

impl<E: Copy> Heap<E> {
    fn with_capacity(capacity: usize) -> Self {
        // Allocated at the first push, when there is an entry to use as filler.
        Heap {
            entries: Vec::new(),
            root: 0,
            first_capacity: capacity,
            root_taken: false,
        }
    }

    #[inline]
    fn len(&self) -> usize {
        self.entries.len() - self.root - usize::from(self.root_taken)
    }

    /// The entries of the heap proper, the root first.
    #[inline(always)]
    fn nodes(&mut self) -> &mut [Entry<E>] {
        &mut self.entries[self.root..]
    }

    /// Completes a pending removal of the root.
    #[inline]
    fn settle(&mut self) {
        if self.root_taken {
            self.remove_taken_root();
        }
    }

    /// Out of line, so that `settle` (on every look at the calendar) stays
    /// small enough to inline.
    #[inline(never)]
    fn remove_taken_root(&mut self) {
        self.root_taken = false;
        self.remove_min();
    }

    /// The smallest key; the heap must be settled.
    #[inline]
    fn min_key(&self) -> Option<u128> {
        debug_assert!(!self.root_taken, "settle before looking");
        self.entries.get(self.root).map(|entry| entry.key)
    }

    #[inline(always)]
    fn push(&mut self, key: u128, event: E) {
        let entry = Entry { key, event };
        if self.root_taken {
            self.root_taken = false;
            self.sift_down_from_root(entry);
            return;
        }
        if self.entries.len() == self.entries.capacity() {
            self.grow(entry);
        }
        let mut hole = self.entries.len() - self.root;
        self.entries.push(entry);
        let nodes = self.nodes();
        while hole > 0 {
            let parent = (hole - 1) / ARITY;
            let above = nodes[parent];
            if above.key <= key {
                break;
            }
            nodes[hole] = above;
            hole = parent;
        }
        nodes[hole] = entry;
    }

    /// Moves the heap to a buffer twice as large (or its first one), with
    /// the filler its address needs; `filler` is any entry.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, filler: Entry<E>) {
        let capacity = (2 * self.entries.capacity()).max(self.first_capacity + 1).max(8);
        let mut entries = Vec::with_capacity(capacity);
        let root = Self::root_for(entries.as_ptr());
        entries.extend(std::iter::repeat_n(filler, root));
        entries.extend_from_slice(&self.entries[self.root..]);
        self.entries = entries;
        self.root = root;
    }

    /// How many filler entries put every group of siblings — the root's
    /// children start at index 1 — on a cache-line boundary in a buffer at
    /// `buffer`. Only entries of 32 bytes can be placed so (two to a line);
    /// others start at 0.
    fn root_for(buffer: *const Entry<E>) -> usize {
        let size = std::mem::size_of::<Entry<E>>();
        if size != CACHE_LINE / 2 {
            return 0;
        }
        // Entries are 32-byte aligned, so the buffer starts at 0 or 32 bytes
        // into a line; the first group starts `root + 1` entries later.
        let offset = buffer as usize % CACHE_LINE;
        usize::from(!(offset + size).is_multiple_of(CACHE_LINE))
    }

    /// Takes the entry with the smallest key; the heap must be settled and
    /// not empty.
    #[inline]
    fn take_min(&mut self) -> (u128, E) {
        debug_assert!(!self.root_taken, "settle before taking");
        self.root_taken = true;
        let root = self.entries[self.root];
        (root.key, root.event)
    }

    /// Removes the root.
    #[inline]
    fn remove_min(&mut self) {
        if self.entries.len() == self.root {
            return;
        }
        let last = self.entries.pop().expect("the heap is not empty");
        if self.entries.len() > self.root {
            self.sift_down_from_root(last);
        }
    }

    /// Puts `entry` at the root in place of what was there and sifts it
    /// down, moving the hole instead of swapping.
    #[inline(always)]
    fn sift_down_from_root(&mut self, entry: Entry<E>) {
        let nodes = self.nodes();
        let len = nodes.len();
        let mut hole = 0;
        loop {
            let first = ARITY * hole + 1;
            if first >= len {
                break;
            }
            let children = &nodes[first..(first + ARITY).min(len)];
            let smallest = smallest_of(children);
            let below = children[smallest];
            if below.key >= entry.key {
                break;
            }
            nodes[hole] = below;
            hole = first + smallest;
        }
        nodes[hole] = entry;
    }
}

/// The index of the entry with the smallest key among 1 to `ARITY`. With all four, a
/// tournament whose comparisons feed index arithmetic rather than branches:
/// which child is smallest is a coin flip the branch predictor cannot learn,
/// and in a profile that comparison was the costliest line of a pop.
#[inline]
fn smallest_of<E>(entries: &[Entry<E>]) -> usize {
    if let [a, b, c, d] = entries {
        let (a, b, c, d) = (&a.key, &b.key, &c.key, &d.key);
        let left = usize::from(b < a);
        let right = 2 + usize::from(d < c);
        let (left_key, right_key) = (if left == 0 { a } else { b }, if right == 2 { c } else { d });
        let pick_right = usize::from(right_key < left_key);
        left + pick_right * (right - left)
    } else {
        let mut smallest = 0;
        for (offset, entry) in entries.iter().enumerate().skip(1) {
            if entry.key < entries[smallest].key {
                smallest = offset;
            }
        }
        smallest
    }
}

/// A FIFO lane for events scheduled in non-decreasing time order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lane(u32);

/// What `EventQueue::due` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Due {
    /// The next event is no later than the bound; `EventQueue::take` removes it.
    Now(Next),
    /// The next event is later than the bound.
    Later,
    /// Nothing is scheduled.
    Empty,
}

/// The calendar of future events and the current simulated time.
pub struct EventQueue<E> {
    heap: Heap<E>,
    lanes: Vec<VecDeque<(u128, E)>>,
    next_seq: u64,
    now: SimTime,
}

/// Where the next event is: the heap's top or the front of a lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
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
            heap: Heap::with_capacity(events),
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
    #[inline(always)]
    pub fn schedule_at(&mut self, time: SimTime, event: E) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let key = self.key(time.max(self.now));
        self.heap.push(key, event);
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
        if queue.back().is_none_or(|last| last.0 <= key) {
            queue.push_back((key, event));
        } else {
            self.heap.push(key, event);
        }
    }

    /// The smallest pending key and where it is.
    #[inline]
    fn next(&mut self) -> Option<(u128, Next)> {
        self.heap.settle();
        let mut best = self.heap.min_key().map(|key| (key, Next::Heap));
        for (index, lane) in self.lanes.iter().enumerate() {
            if let Some(&(front, _)) = lane.front()
                && best.as_ref().is_none_or(|(key, _)| front < *key)
            {
                best = Some((front, Next::Lane(index)));
            }
        }
        best
    }

    /// Schedules `event` after `delay` from now.
    #[inline(always)]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.schedule_at(self.now + delay, event);
    }

    /// The time of the next event, if any.
    #[inline]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.next().map(|(key, _)| SimTime((key >> 64) as u64))
    }

    /// Removes the next event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let (_, from) = self.next()?;
        let event = self.take(from);
        Some((self.now, event))
    }

    /// Where the next event is if it is due no later than `until`:
    /// `peek_time` and `pop` in one look. The event is not wrapped in the
    /// answer: moving a 16-byte enum out of an enum that shares its tag
    /// split it into a byte and 15 bytes, and the handler's loads of the
    /// halves missed store forwarding (a stall on every event).
    #[inline]
    pub fn due(&mut self, until: SimTime) -> Due {
        match self.next() {
            None => Due::Empty,
            Some((key, _)) if (key >> 64) as u64 > until.0 => Due::Later,
            Some((_, from)) => Due::Now(from),
        }
    }

    /// Removes the event `due` found and moves the clock to its time.
    #[inline]
    pub fn take(&mut self, from: Next) -> E {
        let (key, event) = match from {
            Next::Heap => self.heap.take_min(),
            Next::Lane(index) => self.lanes[index]
                .pop_front()
                .expect("next() found an event there"),
        };
        self.now = SimTime((key >> 64) as u64);
        event
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

    /// Events waiting on `lane`.
    pub fn lane_len(&self, lane: Lane) -> usize {
        self.lanes[lane.0 as usize].len()
    }

    /// Removes the events of `lane` for which `keep(time, event)` is false.
    /// The others keep their keys and their order, so the order in which
    /// every remaining event fires is what it was. For events that would do
    /// nothing when they fire (lazily cancelled timeouts), this is the same
    /// run with less memory. Not for the event path: it visits the lane.
    pub fn retain_lane(&mut self, lane: Lane, mut keep: impl FnMut(SimTime, &E) -> bool) {
        self.lanes[lane.0 as usize].retain(|(key, event)| keep(SimTime((key >> 64) as u64), event));
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
    fn retaining_a_lane_leaves_the_order_of_the_rest() {
        // Odd lane events dropped now and then: everything else pops
        // exactly as it would have, heap events and ties included.
        let run = |drop_odd: bool| {
            let mut queue = EventQueue::new();
            let lane = queue.add_lane();
            let (mut popped, mut dropped) = (Vec::new(), Vec::new());
            for id in 0..300u32 {
                queue.schedule_in_lane(lane, SimDuration(40), id);
                queue.schedule_in(SimDuration(u64::from(id % 7) * 10), 1000 + id);
                if id % 50 == 49 && drop_odd {
                    let now = queue.now();
                    queue.retain_lane(lane, |time, &event| {
                        assert!(time >= now && time <= now + SimDuration(40));
                        if event % 2 == 1 {
                            dropped.push(event);
                        }
                        event % 2 == 0
                    });
                    assert!(queue.lane_len(lane) > 0);
                }
                // Handle everything due in the next 5 ns, then stand there:
                // the clock moves the same way whatever was dropped.
                let until = queue.now() + SimDuration(5);
                while let Due::Now(from) = queue.due(until) {
                    popped.push(queue.take(from));
                }
                queue.advance_to(until);
            }
            while let Some((_, event)) = queue.pop() {
                popped.push(event);
            }
            (popped, dropped)
        };
        let (all, _) = run(false);
        let (kept, dropped) = run(true);
        assert!(!dropped.is_empty());
        let expected: Vec<u32> = all.into_iter().filter(|event| !dropped.contains(event)).collect();
        assert_eq!(kept, expected);
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
    fn pops_many_random_events_like_a_sort() {
        // The 4-ary heap against a sorted list: random times with many ties,
        // pushes interleaved with pops.
        let mut queue = EventQueue::new();
        let mut expected = Vec::new();
        let mut popped = Vec::new();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for id in 0..5000u32 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let time = queue.now().0 + state % 64;
            queue.schedule_at(SimTime(time), id);
            expected.push((time, id));
            if state.is_multiple_of(3) {
                popped.push(queue.pop().map(|(t, e)| (t.0, e)).unwrap());
            }
        }
        while let Some((time, id)) = queue.pop() {
            popped.push((time.0, id));
        }
        expected.sort();
        assert_eq!(popped, expected);
    }

    #[test]
    fn a_taken_root_is_replaced_by_the_next_push_or_removed_at_the_next_look() {
        let mut queue = EventQueue::new();
        for (time, id) in [(30, 'c'), (10, 'a'), (20, 'b'), (40, 'd'), (50, 'e'), (60, 'f')] {
            queue.schedule_at(SimTime(time), id);
        }
        assert_eq!(queue.pop(), Some((SimTime(10), 'a')));
        assert_eq!(queue.len(), 5, "the taken root is not counted");
        // Replaces the taken root (later than every other entry) ...
        queue.schedule_at(SimTime(70), 'g');
        // ... and this one is a plain push.
        queue.schedule_at(SimTime(15), 'x');
        assert_eq!(queue.len(), 7);
        assert_eq!(queue.pop(), Some((SimTime(15), 'x')));
        // Nothing pushed: the next look removes the taken root.
        assert_eq!(queue.pop(), Some((SimTime(20), 'b')));
        assert_eq!(queue.peek_time(), Some(SimTime(30)));
        let rest: Vec<char> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(rest, ['c', 'd', 'e', 'f', 'g']);
        assert!(queue.is_empty());
    }

    #[test]
    fn sibling_groups_start_on_a_cache_line_as_the_heap_grows() {
        // Events of 16 bytes, as the model's: entries of 32.
        let mut heap = Heap::<[u64; 2]>::with_capacity(3);
        assert_eq!(std::mem::size_of::<Entry<[u64; 2]>>(), 32);
        let mut capacities = Vec::new();
        for key in (0..5000u128).rev() {
            heap.push(key, [key as u64, 0]);
            let first_children = heap.entries.as_ptr() as usize + (heap.root + 1) * 32;
            assert_eq!(first_children % CACHE_LINE, 0, "after {} pushes", 5000 - key);
            if capacities.last() != Some(&heap.entries.capacity()) {
                capacities.push(heap.entries.capacity());
            }
        }
        assert!(
            capacities.len() > 5,
            "the heap grew several times: {capacities:?}"
        );
        // Still a heap: entries come out in key order.
        for expected in 0..5000u128 {
            heap.settle();
            assert_eq!(heap.min_key(), Some(expected));
            assert_eq!(heap.take_min(), (expected, [expected as u64, 0]));
        }
        heap.settle();
        assert_eq!(heap.len(), 0);
        assert_eq!(heap.min_key(), None);
    }

    #[test]
    fn smallest_of_finds_the_minimum_of_every_order() {
        let keys = [10u128, 20, 30, 40];
        for a in 0..4 {
            for b in 0..4 {
                for c in 0..4 {
                    for d in 0..4 {
                        let four = [keys[a], keys[b], keys[c], keys[d]].map(|key| Entry { key, event: () });
                        let expected = (0..4).min_by_key(|&i| (four[i].key, i)).unwrap();
                        assert_eq!(smallest_of(&four), expected, "{four:?}");
                        for len in 1..4 {
                            let some = &four[..len];
                            let expected = (0..len).min_by_key(|&i| (some[i].key, i)).unwrap();
                            assert_eq!(smallest_of(some), expected, "{some:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn due_stops_at_the_bound_and_leaves_the_event() {
        let mut queue = EventQueue::new();
        queue.schedule_at(SimTime(10), 'a');
        queue.schedule_at(SimTime(20), 'b');
        let Due::Now(from) = queue.due(SimTime(10)) else {
            panic!("an event is due at 10");
        };
        assert_eq!(queue.take(from), 'a');
        assert_eq!(queue.now(), SimTime(10));
        assert_eq!(queue.due(SimTime(19)), Due::Later);
        assert_eq!(queue.now(), SimTime(10));
        let Due::Now(from) = queue.due(SimTime(20)) else {
            panic!("an event is due at 20");
        };
        assert_eq!(queue.take(from), 'b');
        assert_eq!(queue.due(SimTime(99)), Due::Empty);
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
