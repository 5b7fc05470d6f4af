//! One message broker: a bounded FIFO of messages, the producers blocked
//! on it when it is full (`when_full = "block"`), whether it is up, and its
//! counters. It owns the queue discipline only; `queues` moves frames and
//! starts the consumers' jobs.
//!
//! The message deque grows to its high-water mark and stays there, so
//! steady state allocates nothing.

use std::collections::VecDeque;

use super::frame::{Carry, StationId};
use super::program::SiteId;
use crate::engine::{SimTime, SlabKey};
use crate::metrics::{LatencyRecorder, TimeWeighted};
use crate::scenario::WhenFull;

/// A message waiting in the broker: when it was enqueued, and what its
/// request carried (key and user), which the job carries on.
#[derive(Clone, Copy, Debug)]
pub struct Message {
    pub enqueued: SimTime,
    pub carry: Carry,
}

/// Flow counters of a broker over some time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueCounters {
    /// Messages the broker accepted.
    pub enqueued: u64,
    /// Enqueues turned away: broker full (`reject`).
    pub rejected: u64,
    /// Enqueues that failed because the broker was down.
    pub unavailable: u64,
    /// Messages handed to a consumer.
    pub dequeued: u64,
    /// Σ time from enqueue to dequeue, over `dequeued`.
    pub wait_ns: u128,
    /// Jobs a consumer finished.
    pub consumed: u64,
    /// Jobs that failed at the consumer (dropped, not redelivered).
    pub failed: u64,
    /// Messages lost with an in-memory broker that crashed.
    pub lost: u64,
    /// ∫ depth dt, and the time it covers.
    pub depth_area: u128,
    pub elapsed_ns: u128,
}

impl QueueCounters {
    pub fn merge(&mut self, other: &QueueCounters) {
        self.enqueued += other.enqueued;
        self.rejected += other.rejected;
        self.unavailable += other.unavailable;
        self.dequeued += other.dequeued;
        self.wait_ns += other.wait_ns;
        self.consumed += other.consumed;
        self.failed += other.failed;
        self.lost += other.lost;
        self.depth_area += other.depth_area;
        self.elapsed_ns += other.elapsed_ns;
    }

    /// Time-weighted mean number of messages waiting.
    pub fn depth_mean(&self) -> f64 {
        if self.elapsed_ns == 0 {
            0.0
        } else {
            self.depth_area as f64 / self.elapsed_ns as f64
        }
    }

    /// Mean time a message waited for a consumer, in nanoseconds.
    pub fn wait_mean_ns(&self) -> f64 {
        if self.dequeued == 0 {
            0.0
        } else {
            self.wait_ns as f64 / self.dequeued as f64
        }
    }
}

/// What an enqueue found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    /// The message is in.
    Accepted,
    /// Full; the producer must wait for room.
    Blocked,
    /// Full and rejecting.
    Rejected,
    /// The broker is down.
    Down,
}

#[derive(Debug)]
pub struct Broker {
    pub name: String,
    pub capacity: u32,
    pub when_full: WhenFull,
    pub durable: bool,
    pub up: bool,
    /// The broker's ack time.
    pub ack: SiteId,
    /// The consumer: its pool's station and the endpoint program.
    pub consumer: StationId,
    pub program: u32,
    /// Round-robin position over the consumer's instances.
    pub next: u32,
    pub messages: VecDeque<Message>,
    /// Producer frames waiting for room, in order.
    pub blocked: VecDeque<SlabKey>,
    /// Jobs a consumer is working on now.
    pub in_service: u64,
    pub depth: TimeWeighted,
    /// Deepest the queue got in the open window, and in the kept windows.
    pub depth_max: u64,
    pub total_depth_max: u64,
    pub window: QueueCounters,
    pub total: QueueCounters,
    /// Enqueue to consumer done, for finished jobs.
    pub job_latency: LatencyRecorder,
    /// Messages waiting and jobs in service when warm-up ended.
    pub at_warmup: Option<(u64, u64)>,
    /// US dollars per hour it runs (billed for the whole run, up or not).
    pub price_per_hour: f64,
}

impl Broker {
    pub fn new(name: String, capacity: u32, when_full: WhenFull, durable: bool, ack: SiteId) -> Self {
        Broker {
            name,
            capacity,
            when_full,
            durable,
            up: true,
            ack,
            consumer: StationId(0),
            program: 0,
            next: 0,
            // A start; the deque grows to its high-water mark once.
            messages: VecDeque::with_capacity(capacity.min(4096) as usize),
            blocked: VecDeque::new(),
            in_service: 0,
            depth: TimeWeighted::default(),
            depth_max: 0,
            total_depth_max: 0,
            window: QueueCounters::default(),
            total: QueueCounters::default(),
            job_latency: LatencyRecorder::default(),
            at_warmup: None,
            price_per_hour: 0.0,
        }
    }

    /// Messages waiting now.
    pub fn len(&self) -> u64 {
        self.messages.len() as u64
    }

    fn set_depth(&mut self, now: SimTime) {
        let depth = self.len();
        self.depth.set(now, depth);
        self.depth_max = self.depth_max.max(depth);
    }

    /// A producer offers a message.
    pub fn offer(&mut self, message: Message, now: SimTime) -> Offer {
        if !self.up {
            self.window.unavailable += 1;
            return Offer::Down;
        }
        if self.messages.len() as u64 >= self.capacity as u64 {
            return match self.when_full {
                WhenFull::Block => Offer::Blocked,
                WhenFull::Reject => {
                    self.window.rejected += 1;
                    Offer::Rejected
                }
            };
        }
        self.messages.push_back(message);
        self.window.enqueued += 1;
        self.set_depth(now);
        Offer::Accepted
    }

    /// Takes the oldest message for a consumer.
    pub fn take(&mut self, now: SimTime) -> Option<Message> {
        if !self.up {
            return None;
        }
        let message = self.messages.pop_front()?;
        self.window.dequeued += 1;
        self.window.wait_ns += now.since(message.enqueued).as_nanos() as u128;
        self.in_service += 1;
        self.set_depth(now);
        Some(message)
    }

    /// The broker crashes: an in-memory one loses every waiting message
    /// (returned), a durable one keeps them.
    pub fn crash(&mut self, now: SimTime) -> u64 {
        self.up = false;
        if self.durable {
            return 0;
        }
        let lost = self.len();
        self.messages.clear();
        self.window.lost += lost;
        self.set_depth(now);
        lost
    }

    /// Age of the oldest waiting message.
    pub fn oldest_age_ns(&self, now: SimTime) -> u64 {
        self.messages
            .front()
            .map_or(0, |message| now.since(message.enqueued).as_nanos())
    }

    /// Ends the window: its counters (depth integral included).
    pub fn close_window(&mut self, now: SimTime, elapsed_ns: u128) -> QueueCounters {
        let mut counters = std::mem::take(&mut self.window);
        counters.depth_area = self.depth.close_window(now);
        counters.elapsed_ns = elapsed_ns;
        self.depth_max = self.len();
        counters
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::frame::NO_KEYSPACE;

    fn message(at: u64) -> Message {
        Message {
            enqueued: SimTime(at),
            carry: Carry {
                key: 0,
                keyspace: NO_KEYSPACE,
                user: 0,
                value: 0,
            },
        }
    }

    #[test]
    fn full_brokers_reject_or_block() {
        let mut broker = Broker::new("q".into(), 1, WhenFull::Reject, false, SiteId(0));
        assert_eq!(broker.offer(message(0), SimTime(0)), Offer::Accepted);
        assert_eq!(broker.offer(message(1), SimTime(1)), Offer::Rejected);
        broker.when_full = WhenFull::Block;
        assert_eq!(broker.offer(message(2), SimTime(2)), Offer::Blocked);
        assert_eq!(broker.window.rejected, 1);
        assert_eq!(broker.window.enqueued, 1);
    }

    #[test]
    fn fifo_with_waits_and_depth_integral() {
        let mut broker = Broker::new("q".into(), 10, WhenFull::Reject, false, SiteId(0));
        broker.offer(message(0), SimTime(0));
        broker.offer(message(10), SimTime(10));
        assert_eq!(broker.oldest_age_ns(SimTime(15)), 15);
        assert_eq!(broker.take(SimTime(20)).unwrap().enqueued, SimTime(0));
        assert_eq!(broker.take(SimTime(30)).unwrap().enqueued, SimTime(10));
        assert!(broker.take(SimTime(30)).is_none());
        let counters = broker.close_window(SimTime(40), 40);
        // Depth 1 for 10 ns, 2 for 10 ns, 1 for 10 ns.
        assert_eq!(counters.depth_area, 10 + 20 + 10);
        assert_eq!(counters.wait_ns, 20 + 20);
        assert_eq!(counters.dequeued, 2);
        assert!((counters.depth_mean() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_crash_loses_messages_unless_durable() {
        for durable in [false, true] {
            let mut broker = Broker::new("q".into(), 10, WhenFull::Reject, durable, SiteId(0));
            for at in 0..3 {
                broker.offer(message(at), SimTime(at));
            }
            let lost = broker.crash(SimTime(5));
            assert_eq!(lost, if durable { 0 } else { 3 });
            assert_eq!(broker.len(), if durable { 3 } else { 0 });
            assert_eq!(broker.offer(message(6), SimTime(6)), Offer::Down);
            assert!(
                broker.take(SimTime(7)).is_none(),
                "nothing is delivered while down"
            );
        }
    }
}
