//! One message broker: a bounded FIFO of messages, the messages delivered
//! to consumers and not yet acknowledged, the producers blocked on it when
//! it is full (`when_full = "block"`), whether it is up, and its counters.
//! It owns the queue discipline and the delivery bookkeeping (which
//! delivery is current, how many a message has had, when it is
//! dead-lettered); `queues` moves frames, starts the consumers' jobs and
//! schedules visibility timeouts.
//!
//! The message deque grows to its high-water mark and stays there, and the
//! unacknowledged messages live in a slab whose slots are reused, so steady
//! state allocates nothing. A delivery is a slab key: acknowledging,
//! returning or dead-lettering a message frees its slot, so a late job or
//! a stale visibility timeout holding the old key finds nothing.

use std::collections::VecDeque;

use super::frame::{Carry, QueueId, StationId};
use super::program::SiteId;
use crate::engine::{Lane, SimDuration, SimTime, Slab, SlabKey, StreamId};
use crate::metrics::{LatencyRecorder, TimeWeighted};
use crate::scenario::WhenFull;

/// A message in the broker: when it was enqueued, when it last became
/// visible (enqueued, or returned for redelivery), the deliveries it has
/// had, whether it is poison, and what its request carried (key and
/// user), which the job carries on.
#[derive(Clone, Copy, Debug)]
pub struct Message {
    pub enqueued: SimTime,
    pub visible: SimTime,
    pub deliveries: u32,
    pub poison: bool,
    pub carry: Carry,
}

impl Message {
    /// A new message, enqueued now.
    pub fn new(now: SimTime, carry: Carry, poison: bool) -> Self {
        Message {
            enqueued: now,
            visible: now,
            deliveries: 0,
            poison,
            carry,
        }
    }
}

/// Redelivery: how many deliveries a message gets at most, and how long a
/// delivered message stays invisible without an acknowledgement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Redelivery {
    /// `u32::MAX`: unlimited.
    pub max_deliveries: u32,
    pub visibility_timeout: Option<SimDuration>,
}

/// Poison messages: the share of new messages that are, and the stream
/// that decides.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Poison {
    pub share: f64,
    pub stream: StreamId,
}

/// How a job ended, as its broker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobEnd {
    /// The job finished: the message is acknowledged (unless poison).
    Done,
    /// The job failed: the consumer gives the message back.
    Failed,
    /// The job was lost with its consumer (crashed or hung): nothing is
    /// acknowledged or given back.
    Lost,
}

/// What the broker did with a message whose delivery ended without an
/// acknowledgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returned {
    /// Visible again, waiting for its next delivery.
    Redelivered,
    /// Out of deliveries: dead-lettered.
    DeadLettered,
    /// Back on an in-memory broker that is down: lost.
    Lost,
    /// Dropped: the queue does not redeliver.
    Dropped,
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
    /// Jobs that failed at the consumer (dropped without redelivery).
    pub failed: u64,
    /// Messages lost with an in-memory broker that crashed.
    pub lost: u64,
    /// Messages made visible again for another delivery.
    pub redelivered: u64,
    /// Messages out of deliveries.
    pub dead_lettered: u64,
    /// Deliveries whose visibility timeout expired before their job ended.
    pub visibility_timeouts: u64,
    /// Jobs that ended after their delivery's visibility timeout: wasted.
    pub wasted_jobs: u64,
    /// Poison messages enqueued.
    pub poisoned: u64,
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
        self.redelivered += other.redelivered;
        self.dead_lettered += other.dead_lettered;
        self.visibility_timeouts += other.visibility_timeouts;
        self.wasted_jobs += other.wasted_jobs;
        self.poisoned += other.poisoned;
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
    /// Messages delivered and not yet acknowledged, returned or dropped;
    /// a job holds its message's key.
    pub unacked: Slab<Message>,
    /// `None`: a failed job is dropped, a message stays with its job.
    pub redelivery: Option<Redelivery>,
    /// The lane of the visibility timeouts (one fixed delay per queue).
    pub visibility_lane: Option<Lane>,
    pub poison: Option<Poison>,
    /// The queue its dead letters go to, if any.
    pub dead_letter: Option<QueueId>,
    /// Whether a message was dead-lettered yet (the alarm is logged once).
    pub dead_letter_alarm: bool,
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
            unacked: Slab::new(),
            redelivery: None,
            visibility_lane: None,
            poison: None,
            dead_letter: None,
            dead_letter_alarm: false,
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

    /// Messages delivered and not yet acknowledged (or dropped).
    pub fn in_service(&self) -> u64 {
        self.unacked.len() as u64
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
        self.window.poisoned += u64::from(message.poison);
        self.set_depth(now);
        Offer::Accepted
    }

    /// Delivers the oldest message to a consumer: it stays unacknowledged
    /// under the returned key, with its delivery counted.
    pub fn take(&mut self, now: SimTime) -> Option<(SlabKey, Message)> {
        if !self.up {
            return None;
        }
        let mut message = self.messages.pop_front()?;
        self.window.dequeued += 1;
        self.window.wait_ns += now.since(message.visible).as_nanos() as u128;
        message.deliveries += 1;
        self.set_depth(now);
        Some((self.unacked.insert(message), message))
    }

    /// A job of delivery `key` ended. Returns the message when the
    /// delivery was current (`None`: a late job, its message already
    /// returned or dead-lettered by a visibility timeout; counted as
    /// wasted), and what became of it when it was not acknowledged.
    pub fn job_ended(
        &mut self,
        key: SlabKey,
        end: JobEnd,
        now: SimTime,
    ) -> Option<(Message, Option<Returned>)> {
        let Some(&message) = self.unacked.get(key) else {
            self.window.wasted_jobs += 1;
            return None;
        };
        if end == JobEnd::Done && !message.poison {
            self.unacked.remove(key);
            self.window.consumed += 1;
            return Some((message, None));
        }
        self.window.failed += 1;
        let timeout = self
            .redelivery
            .and_then(|redelivery| redelivery.visibility_timeout);
        if end == JobEnd::Lost && timeout.is_some() {
            // Nobody acknowledges or gives back a lost job's message: it
            // waits for its visibility timeout.
            return Some((message, None));
        }
        self.unacked.remove(key);
        Some((message, Some(self.give_back(message, now))))
    }

    /// Delivery `key`'s visibility timeout expired: its message, if the
    /// delivery is still unacknowledged, is given back.
    pub fn visibility_expired(&mut self, key: SlabKey, now: SimTime) -> Option<(Message, Returned)> {
        let message = self.unacked.remove(key)?;
        self.window.visibility_timeouts += 1;
        Some((message, self.give_back(message, now)))
    }

    /// A dead letter from another queue arrives as a new message (not
    /// poison unless this queue's draw says so). It cannot wait for room:
    /// full, it is rejected whatever `when_full` says.
    pub fn offer_dead_letter(&mut self, message: Message, now: SimTime) -> bool {
        match self.offer(message, now) {
            Offer::Accepted => true,
            Offer::Blocked => {
                self.window.rejected += 1;
                false
            }
            Offer::Rejected | Offer::Down => false,
        }
    }

    /// A delivery ended without an acknowledgement: the message is visible
    /// again at the back of the queue (over `capacity`: it was accepted
    /// already), or dead-lettered when out of deliveries, or dropped when
    /// the queue does not redeliver.
    fn give_back(&mut self, mut message: Message, now: SimTime) -> Returned {
        let Some(redelivery) = self.redelivery else {
            return Returned::Dropped;
        };
        if message.deliveries >= redelivery.max_deliveries {
            self.window.dead_lettered += 1;
            return Returned::DeadLettered;
        }
        if !self.up && !self.durable {
            self.window.lost += 1;
            return Returned::Lost;
        }
        message.visible = now;
        self.messages.push_back(message);
        self.window.redelivered += 1;
        self.set_depth(now);
        Returned::Redelivered
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
            visible: SimTime(at),
            deliveries: 0,
            poison: false,
            carry: Carry {
                key: 0,
                keyspace: NO_KEYSPACE,
                user: 0,
                value: 0,
            },
        }
    }

    fn redelivering(max_deliveries: u32, timeout: Option<u64>) -> Broker {
        let mut broker = Broker::new("q".into(), 10, WhenFull::Reject, false, SiteId(0));
        broker.redelivery = Some(Redelivery {
            max_deliveries,
            visibility_timeout: timeout.map(SimDuration::from_nanos),
        });
        broker
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
        assert_eq!(broker.take(SimTime(20)).unwrap().1.enqueued, SimTime(0));
        assert_eq!(broker.take(SimTime(30)).unwrap().1.enqueued, SimTime(10));
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

    #[test]
    fn failed_jobs_are_redelivered_until_dead_lettered() {
        let mut broker = redelivering(3, None);
        broker.offer(message(0), SimTime(0));
        for delivery in 1..=3 {
            let (key, taken) = broker.take(SimTime(delivery)).unwrap();
            assert_eq!(taken.deliveries, delivery as u32);
            let (_, returned) = broker.job_ended(key, JobEnd::Failed, SimTime(delivery)).unwrap();
            let expected = if delivery < 3 {
                Returned::Redelivered
            } else {
                Returned::DeadLettered
            };
            assert_eq!(returned, Some(expected));
        }
        assert_eq!(broker.len() + broker.in_service(), 0);
        assert_eq!((broker.window.redelivered, broker.window.dead_lettered), (2, 1));
        assert_eq!(broker.window.failed, 3);
        // Waits are counted from when the message became visible again.
        assert_eq!(broker.window.wait_ns, 1 + 1 + 1);
    }

    #[test]
    fn without_redelivery_a_failed_job_is_dropped() {
        let mut broker = Broker::new("q".into(), 10, WhenFull::Reject, false, SiteId(0));
        broker.offer(message(0), SimTime(0));
        let (key, _) = broker.take(SimTime(1)).unwrap();
        let (_, returned) = broker.job_ended(key, JobEnd::Lost, SimTime(2)).unwrap();
        assert_eq!(returned, Some(Returned::Dropped));
        assert_eq!((broker.window.failed, broker.in_service()), (1, 0));
    }

    #[test]
    fn a_late_job_is_wasted_and_a_lost_one_waits_for_its_timeout() {
        let mut broker = redelivering(5, Some(100));
        broker.offer(message(0), SimTime(0));
        let (slow, _) = broker.take(SimTime(0)).unwrap();
        assert_eq!(
            broker.visibility_expired(slow, SimTime(100)).unwrap().1,
            Returned::Redelivered
        );
        let (current, _) = broker.take(SimTime(100)).unwrap();
        assert!(broker.job_ended(slow, JobEnd::Done, SimTime(150)).is_none());
        assert_eq!(broker.window.wasted_jobs, 1);
        // The current delivery's consumer dies: the message stays
        // unacknowledged until its timeout gives it back.
        let (_, returned) = broker.job_ended(current, JobEnd::Lost, SimTime(160)).unwrap();
        assert_eq!(returned, None);
        assert_eq!(broker.in_service(), 1);
        assert_eq!(
            broker.visibility_expired(current, SimTime(200)).unwrap().1,
            Returned::Redelivered
        );
        let (last, _) = broker.take(SimTime(200)).unwrap();
        let (done, returned) = broker.job_ended(last, JobEnd::Done, SimTime(250)).unwrap();
        assert_eq!((done.deliveries, returned), (3, None));
        assert!(
            broker.visibility_expired(last, SimTime(300)).is_none(),
            "acknowledged"
        );
        assert_eq!(broker.window.consumed, 1);
        assert_eq!(broker.window.visibility_timeouts, 2);
    }

    #[test]
    fn poison_is_never_acknowledged() {
        let mut broker = redelivering(2, None);
        let mut poison = message(0);
        poison.poison = true;
        broker.offer(poison, SimTime(0));
        assert_eq!(broker.window.poisoned, 1);
        for at in 1..=2 {
            let (key, _) = broker.take(SimTime(at)).unwrap();
            broker.job_ended(key, JobEnd::Done, SimTime(at));
        }
        assert_eq!((broker.window.consumed, broker.window.dead_lettered), (0, 1));
    }
}
