//! Message queues in the model: the `enqueue` op (broker ack, reject or
//! block when full, fail when the broker is down), consumers pulling
//! messages into jobs on free workers of their pool, job completion,
//! redelivery (visibility timeouts, failed jobs given back, dead letters),
//! broker crashes and restores, and the queues' metrics.
//!
//! A job is a root frame of purpose `Job` running the consumer endpoint's
//! program on a consumer instance; it is started only on an instance with a
//! free worker and nobody waiting (a pull), so it never queues there. It
//! holds its delivery's key in the broker's unacknowledged messages; a
//! visibility timeout is an event on the queue's lane holding the same key,
//! cancelled lazily: whichever of the job's end and the timeout comes
//! second finds the key stale.

use rand::RngExt;

use super::broker::{JobEnd, Message, Offer, Returned};
use super::frame::{Cause, Frame, InstanceId, Purpose};
use super::ids::{MemberId, QueueId};
use super::instance::Life;
use super::program::SiteId;
use super::{Event, Model};
use crate::engine::{EventQueue, SimTime, SlabKey};
use crate::metrics::catalog as metric;
use crate::metrics::{Summary, Timeseries};

const NANOS_PER_MILLI: f64 = 1e6;

/// Sentinel: a queue index meaning "none".
pub const NO_QUEUE: QueueId = QueueId(u32::MAX);

impl Model {
    /// Runs an enqueue op for frame `key`. Returns true when the frame
    /// waits (for the ack, or for room); false when it failed and goes on
    /// to finish.
    #[inline(never)]
    pub(super) fn enqueue(
        &mut self,
        key: SlabKey,
        queue_id: QueueId,
        ack: SiteId,
        queue: &mut EventQueue<Event>,
    ) -> bool {
        let now = queue.now();
        let carry = self.frames.get(key).expect("frame in flight").carry;
        let poison = self.draw_poison(queue_id);
        let broker = &mut self.brokers[queue_id];
        match broker.offer(Message::new(now, carry, poison), now) {
            Offer::Accepted => {
                let delay = self.sample_duration(ack);
                queue.schedule_in(delay, Event::WaitDone { frame: key });
                self.deliver_messages(queue_id, queue);
                true
            }
            Offer::Blocked => {
                broker.blocked.push_back(key);
                true
            }
            Offer::Rejected | Offer::Down => {
                let cause = if broker.up {
                    Cause::Rejected
                } else {
                    Cause::Unavailable
                };
                self.frames.get_mut(key).expect("frame in flight").failure = Some(cause);
                false
            }
        }
    }

    /// A lane per queue with a visibility timeout: its timeouts are all one
    /// delay, so they come in time order.
    pub(super) fn add_visibility_lanes(&mut self, queue: &mut EventQueue<Event>) {
        for broker in &mut self.brokers {
            if broker
                .redelivery
                .is_some_and(|redelivery| redelivery.visibility_timeout.is_some())
            {
                broker.visibility_lane = Some(queue.add_lane());
            }
        }
    }

    /// Whether a new message on the queue is poison (a draw only when the
    /// queue has poison messages, so other queues' streams stay as they are).
    fn draw_poison(&mut self, queue_id: QueueId) -> bool {
        match self.brokers[queue_id].poison {
            Some(poison) => self.streams.get(poison.stream).random::<f64>() < poison.share,
            None => false,
        }
    }

    /// Starts jobs while there are messages and free consumer workers.
    pub(super) fn deliver_messages(&mut self, queue_id: QueueId, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        while self.brokers[queue_id].up && !self.brokers[queue_id].messages.is_empty() {
            let Some(instance) = self.free_consumer(queue_id) else {
                break;
            };
            let broker = &mut self.brokers[queue_id];
            let (delivery, message) = broker.take(now).expect("a message waits");
            if let (Some(lane), Some(timeout)) = (
                broker.visibility_lane,
                broker
                    .redelivery
                    .and_then(|redelivery| redelivery.visibility_timeout),
            ) {
                queue.schedule_in_lane(
                    lane,
                    timeout,
                    Event::VisibilityTimeout {
                        queue: queue_id,
                        delivery,
                    },
                );
            }
            let program = broker.program;
            let purpose = Purpose::Job {
                queue: queue_id,
                delivery,
            };
            let frame = self
                .frames
                .insert(Frame::background(instance, program, message.carry, purpose));
            self.arrive_instance(frame, queue);
            self.unblock(queue_id, queue);
        }
    }

    /// A consumer instance with a free worker and no one waiting for one,
    /// taken in turn.
    fn free_consumer(&mut self, queue_id: QueueId) -> Option<InstanceId> {
        let broker = &self.brokers[queue_id];
        let station = &self.stations[broker.consumer];
        let count = station.instance_count;
        for offset in 0..count {
            let local = (broker.next + offset) % count;
            let id = MemberId(local).instance(station.first_instance);
            let instance = &self.instances[id];
            if instance.up
                && instance.life == Life::Serving
                && instance.busy_workers < instance.workers
                && instance.waiting.is_empty()
                && instance.resuming.is_empty()
            {
                self.brokers[queue_id].next = local + 1;
                return Some(id);
            }
        }
        None
    }

    /// Lets blocked producers in while there is room.
    fn unblock(&mut self, queue_id: QueueId, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        loop {
            let broker = &mut self.brokers[queue_id];
            if !broker.up || broker.len() >= broker.capacity as u64 {
                return;
            }
            let Some(key) = broker.blocked.pop_front() else {
                return;
            };
            let Some(frame) = self.frames.get(key) else {
                continue;
            };
            if self.is_dead(frame) {
                self.abandon(key, queue);
                continue;
            }
            let carry = frame.carry;
            let poison = self.draw_poison(queue_id);
            let accepted =
                self.brokers[queue_id].offer(Message::new(now, carry, poison), now) == Offer::Accepted;
            debug_assert!(accepted, "there is room");
            let delay = self.sample_duration(self.brokers[queue_id].ack);
            queue.schedule_in(delay, Event::WaitDone { frame: key });
        }
    }

    /// A job of delivery `delivery` ended: done, failed at the consumer, or
    /// lost with it (`end`). Without redelivery a failed or lost job's
    /// message is dropped; with it, given back or dead-lettered.
    #[inline(never)]
    pub(super) fn job_done(
        &mut self,
        queue_id: QueueId,
        delivery: SlabKey,
        end: JobEnd,
        queue: &mut EventQueue<Event>,
    ) {
        let now = queue.now();
        let broker = &mut self.brokers[queue_id];
        if let Some((message, returned)) = broker.job_ended(delivery, end, now) {
            match returned {
                None if end == JobEnd::Done && !message.poison => {
                    broker.job_latency.record(now.since(message.enqueued).as_nanos());
                }
                Some(Returned::DeadLettered) => self.dead_letter(queue_id, message, queue),
                _ => {}
            }
        }
        self.deliver_messages(queue_id, queue);
    }

    /// A job whose consumer hung: the model dropped it (it never answers).
    pub(super) fn job_dropped(
        &mut self,
        queue_id: QueueId,
        delivery: SlabKey,
        queue: &mut EventQueue<Event>,
    ) {
        self.job_done(queue_id, delivery, JobEnd::Lost, queue);
    }

    /// A delivery's visibility timeout expired: if its job has not ended,
    /// the message is visible again (or dead-lettered) and the job, when it
    /// ends, is wasted.
    #[inline(never)]
    pub(super) fn visibility_timeout(
        &mut self,
        queue_id: QueueId,
        delivery: SlabKey,
        queue: &mut EventQueue<Event>,
    ) {
        let now = queue.now();
        match self.brokers[queue_id].visibility_expired(delivery, now) {
            Some((message, Returned::DeadLettered)) => self.dead_letter(queue_id, message, queue),
            Some((_, Returned::Redelivered)) => self.deliver_messages(queue_id, queue),
            Some((_, Returned::Lost | Returned::Dropped)) | None => {}
        }
    }

    /// Queue `queue_id` dead-lettered `message`: it goes on the queue's
    /// `dead_letter` queue as a new message, if it has one. The first dead
    /// letter of a queue is an event (as an alarm on a dead-letter queue's
    /// depth would page someone); later ones are counted only.
    fn dead_letter(&mut self, queue_id: QueueId, message: Message, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let target = self.brokers[queue_id].dead_letter;
        if let Some(target) = target {
            let poison = self.draw_poison(target);
            if self.brokers[target].offer_dead_letter(Message::new(now, message.carry, poison), now) {
                self.deliver_messages(target, queue);
            }
        }
        let broker = &mut self.brokers[queue_id];
        if broker.dead_letter_alarm {
            return;
        }
        broker.dead_letter_alarm = true;
        let name = broker.name.clone();
        let max = broker
            .redelivery
            .map_or(1, |redelivery| redelivery.max_deliveries);
        let to = target.map_or(String::new(), |target| {
            format!(", to `{}`", self.brokers[target].name)
        });
        self.log(
            now,
            "dead_lettered",
            &name,
            format!("first message dead-lettered after {max} deliveries{to}"),
        );
    }

    /// Work left an instance: its queue may hand it a message, and a
    /// draining instance with nothing left stops.
    pub(super) fn after_departure(&mut self, instance: InstanceId, queue: &mut EventQueue<Event>) {
        let state = &self.instances[instance];
        let station = state.station;
        if state.life == Life::Draining && state.present == 0 {
            self.stop_instance(instance, queue.now());
        }
        let queue_id = self.station_queue[station];
        if queue_id != NO_QUEUE {
            self.deliver_messages(queue_id, queue);
        }
    }

    /// The broker crashes: waiting messages are lost unless durable, and
    /// blocked producers fail with `unavailable`. Returns messages lost.
    pub(super) fn crash_broker(&mut self, queue_id: QueueId, queue: &mut EventQueue<Event>) -> u64 {
        let now = queue.now();
        let broker = &mut self.brokers[queue_id];
        if !broker.up {
            return 0;
        }
        let lost = broker.crash(now);
        let blocked: Vec<SlabKey> = broker.blocked.drain(..).collect();
        let name = broker.name.clone();
        for key in blocked {
            let Some(frame) = self.frames.get(key) else {
                continue;
            };
            if self.is_dead(frame) {
                self.abandon(key, queue);
                continue;
            }
            self.frames.get_mut(key).expect("checked").failure = Some(Cause::Unavailable);
            self.ready.push_back(key);
        }
        let detail = if self.brokers[queue_id].durable {
            "durable: messages kept".to_owned()
        } else {
            format!("{lost} messages lost")
        };
        self.log(now, "messages_lost", &name, detail);
        lost
    }

    /// The broker is back: delivery resumes.
    pub(super) fn restore_broker(&mut self, queue_id: QueueId, queue: &mut EventQueue<Event>) {
        self.brokers[queue_id].up = true;
        self.deliver_messages(queue_id, queue);
        self.unblock(queue_id, queue);
    }

    /// Each queue's window rows; merges kept windows into the totals.
    pub(super) fn close_queue_windows(
        &mut self,
        keep: bool,
        now: SimTime,
        elapsed: u128,
        time_s: f64,
        series: &mut Timeseries,
    ) {
        let warmup_passed = now >= self.warmup;
        for broker in &mut self.brokers {
            if warmup_passed && broker.at_warmup.is_none() {
                broker.at_warmup = Some(if self.warmup == SimTime::ZERO {
                    (0, 0)
                } else {
                    (broker.len(), broker.in_service())
                });
            }
            let depth_max = broker.depth_max;
            let oldest = broker.oldest_age_ns(now);
            let counters = broker.close_window(now, elapsed);
            let latency = broker.job_latency.close_window(keep);
            let scope = series.scope(&broker.name);
            series.push(time_s, scope, metric::DEPTH_MEAN, counters.depth_mean());
            series.push(time_s, scope, metric::DEPTH_MAX, depth_max as f64);
            series.push(
                time_s,
                scope,
                metric::OLDEST_AGE_MS,
                oldest as f64 / NANOS_PER_MILLI,
            );
            series.push(time_s, scope, metric::ENQUEUED, counters.enqueued as f64);
            series.push(time_s, scope, metric::CONSUMED, counters.consumed as f64);
            series.push(time_s, scope, metric::REJECTED, counters.rejected as f64);
            series.push(time_s, scope, metric::LOST_MESSAGES, counters.lost as f64);
            series.push(time_s, scope, metric::FAILED_JOBS, counters.failed as f64);
            if broker.redelivery.is_some() {
                series.push(time_s, scope, metric::REDELIVERED, counters.redelivered as f64);
                series.push(
                    time_s,
                    scope,
                    metric::DEAD_LETTERED,
                    counters.dead_lettered as f64,
                );
                series.push(
                    time_s,
                    scope,
                    metric::VISIBILITY_TIMEOUTS,
                    counters.visibility_timeouts as f64,
                );
                series.push(time_s, scope, metric::WASTED_JOBS, counters.wasted_jobs as f64);
            }
            if broker.poison.is_some() {
                series.push(time_s, scope, metric::POISONED, counters.poisoned as f64);
            }
            series.push(
                time_s,
                scope,
                metric::QUEUE_WAIT_MEAN_MS,
                counters.wait_mean_ns() / NANOS_PER_MILLI,
            );
            series.push(
                time_s,
                scope,
                metric::JOB_LATENCY_P50_MS,
                latency.p50_ns / NANOS_PER_MILLI,
            );
            series.push(
                time_s,
                scope,
                metric::JOB_LATENCY_P95_MS,
                latency.p95_ns / NANOS_PER_MILLI,
            );
            series.push(
                time_s,
                scope,
                metric::JOB_LATENCY_P99_MS,
                latency.p99_ns / NANOS_PER_MILLI,
            );
            if keep {
                broker.total.merge(&counters);
                broker.total_depth_max = broker.total_depth_max.max(depth_max);
            }
        }
    }

    /// Each queue's totals over the windows after warm-up.
    pub(super) fn summary_queues(&self, summary: &mut Summary, elapsed_ns: u128) {
        for broker in &self.brokers {
            let total = &broker.total;
            let name = broker.name.as_str();
            let (queued_at_warmup, serving_at_warmup) = broker.at_warmup.unwrap_or((0, 0));
            let seconds = total.elapsed_ns as f64 / 1e9;
            let latency = broker.job_latency.total();
            summary.push(name, metric::ENQUEUED, total.enqueued as f64);
            summary.push(name, metric::DEQUEUED, total.dequeued as f64);
            summary.push(name, metric::CONSUMED, total.consumed as f64);
            summary.push(name, metric::REJECTED, total.rejected as f64);
            summary.push(name, metric::UNAVAILABLE, total.unavailable as f64);
            summary.push(name, metric::LOST_MESSAGES, total.lost as f64);
            summary.push(name, metric::FAILED_JOBS, total.failed as f64);
            if broker.redelivery.is_some() {
                summary.push(name, metric::REDELIVERED, total.redelivered as f64);
                summary.push(name, metric::DEAD_LETTERED, total.dead_lettered as f64);
                summary.push(
                    name,
                    metric::VISIBILITY_TIMEOUTS,
                    total.visibility_timeouts as f64,
                );
                summary.push(name, metric::WASTED_JOBS, total.wasted_jobs as f64);
            }
            if broker.poison.is_some() {
                summary.push(name, metric::POISONED, total.poisoned as f64);
            }
            summary.push(name, metric::DEPTH_MEAN, total.depth_mean());
            summary.push(name, metric::DEPTH_MAX, broker.total_depth_max as f64);
            let cost_usd = super::observe::running_cost(broker.price_per_hour, elapsed_ns);
            super::observe::summary_cost(summary, name, cost_usd, elapsed_ns);
            summary.push(
                name,
                metric::QUEUE_WAIT_MEAN_MS,
                total.wait_mean_ns() / NANOS_PER_MILLI,
            );
            summary.push(
                name,
                metric::DEQUEUE_RPS,
                if seconds > 0.0 {
                    total.dequeued as f64 / seconds
                } else {
                    0.0
                },
            );
            summary.push(
                name,
                metric::CONSUME_RPS,
                if seconds > 0.0 {
                    total.consumed as f64 / seconds
                } else {
                    0.0
                },
            );
            summary.push(
                name,
                metric::JOB_LATENCY_MEAN_MS,
                latency.mean_ns / NANOS_PER_MILLI,
            );
            summary.push(name, metric::JOB_LATENCY_P50_MS, latency.p50_ns / NANOS_PER_MILLI);
            summary.push(name, metric::JOB_LATENCY_P95_MS, latency.p95_ns / NANOS_PER_MILLI);
            summary.push(name, metric::JOB_LATENCY_P99_MS, latency.p99_ns / NANOS_PER_MILLI);
            summary.push(name, metric::JOB_LATENCY_MAX_MS, latency.max_ns / NANOS_PER_MILLI);
            summary.push(name, metric::IN_QUEUE_AT_WARMUP, queued_at_warmup as f64);
            summary.push(name, metric::IN_SERVICE_AT_WARMUP, serving_at_warmup as f64);
            summary.push(name, metric::IN_QUEUE_AT_END, broker.len() as f64);
            summary.push(name, metric::IN_SERVICE_AT_END, broker.in_service() as f64);
        }
    }
}
