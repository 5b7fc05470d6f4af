//! The client side of a request: arrivals, the user's DNS cache, the
//! attempt, its timeout, retries with backoff, and the final outcome.
//!
//! A timed-out attempt is abandoned by the client but not by the servers:
//! its calls run to completion and their late response is counted as stale.
//! That is how retry storms happen, and the model keeps it.
//!
//! An attempt's timeout is cancelled lazily: it stays in the calendar and
//! does nothing when it fires if the attempt has ended. When attempts end
//! much sooner than their timeout (fast failures and retries without
//! backoff, or a long timeout on a fast system), those dead timeouts would
//! outnumber everything else in memory; `compact_timeouts` drops them.

use rand::RngExt;

use super::frame::{Carry, Cause, ClassId, NO_KEYSPACE, NO_PARENT, Request};
use super::keys::NO_KEY;
use super::workload::backoff;
use super::{Event, LimitHit, Model, Source};
use crate::engine::time::round_to_u64;
use crate::engine::{EventQueue, SimTime, SlabKey};

/// Pending client timeouts below which the lane is never compacted: 32 MiB
/// of them (no shipped scenario comes near).
const TIMEOUT_COMPACTION_FLOOR: usize = 1 << 20;

impl Model {
    /// Drops the pending client timeouts of attempts that have ended (each
    /// would do nothing when it fires), once they are more than
    /// `TIMEOUT_COMPACTION_FLOOR` and twice what the last compaction kept;
    /// the live ones — one per request awaiting an attempt, so at most
    /// `limits.max_in_flight` — keep their order. Returns how many of the
    /// dropped ones were due at or before `end`: the run counts them as
    /// handled, as it would have, so its `engine_events` does not depend on
    /// whether or when the lane was compacted.
    pub fn compact_timeouts(&mut self, queue: &mut EventQueue<Event>, end: SimTime) -> u64 {
        self.compact_timeouts_above(queue, end, TIMEOUT_COMPACTION_FLOOR)
    }

    /// `compact_timeouts` with another floor (tests use a small one).
    pub(crate) fn compact_timeouts_above(
        &mut self,
        queue: &mut EventQueue<Event>,
        end: SimTime,
        floor: usize,
    ) -> u64 {
        let Some(lane) = self.timeout_lane else {
            return 0;
        };
        if queue.lane_len(lane) <= floor.max(2 * self.timeouts_kept) {
            return 0;
        }
        let requests = &self.requests;
        let mut dropped_due = 0;
        queue.retain_lane(lane, |time, event| {
            let Event::Timeout { request, attempt } = *event else {
                return true;
            };
            let live = requests
                .get(request)
                .is_some_and(|request| request.attempt == attempt && request.waiting);
            if !live && time <= end {
                dropped_due += 1;
            }
            live
        });
        self.timeouts_kept = queue.lane_len(lane);
        dropped_due
    }

    pub(super) fn schedule_next_arrival(&mut self, queue: &mut EventQueue<Event>) {
        let Source::Open { profile, last, .. } = &mut self.source else {
            return;
        };
        if let Some(next) = profile.next_arrival(*last, self.streams.get(self.arrival_stream)) {
            *last = next;
            queue.schedule_at(SimTime(round_to_u64(next)), Event::Arrival);
        }
    }

    pub(super) fn on_arrival(&mut self, queue: &mut EventQueue<Event>) {
        let Source::Open { users, .. } = self.source else {
            unreachable!("arrival events come from open workloads");
        };
        let user = self.streams.get(self.user_stream).random_range(0..users);
        self.new_request(user, false, queue);
        self.schedule_next_arrival(queue);
    }

    /// A user starts a request (an open arrival or a closed user's turn).
    pub(super) fn new_request(&mut self, user: u32, closed: bool, queue: &mut EventQueue<Event>) {
        if self.requests.len() as u64 >= self.max_in_flight {
            // Refuse to grow further; the run stops at the next window.
            self.limit_hit.get_or_insert(LimitHit::InFlight {
                limit: self.max_in_flight,
            });
            return;
        }
        // A user whose sticky session was lost logs in again first; their
        // own request (and its draw from the mix) follows when that ends.
        let relogin = self.relogin.filter(|_| self.must_login.get(user));
        let class = match relogin {
            Some(class) => {
                self.must_login.set(user, false);
                class
            }
            None => ClassId::from_index(self.mix.pick(self.streams.get(self.mix_stream))),
        };
        let (key, keyspace) = match self.classes[class].key {
            Some(draw) => (
                self.keyspaces[draw.keyspace].draw(self.streams.get(draw.stream), user),
                draw.keyspace,
            ),
            None => (NO_KEY, NO_KEYSPACE),
        };
        let request = self.requests.insert(Request {
            class,
            user,
            created: queue.now(),
            attempt: 0,
            waiting: false,
            closed,
            key,
            keyspace,
            then_own: relogin.is_some(),
            degraded: false,
        });
        self.overall.window.arrivals += 1;
        self.per_class[class].window.arrivals += 1;
        self.client_budget_deposit(queue.now());
        if let Some(region) = self.region_scope(user) {
            region.window.arrivals += 1;
        }
        self.start_attempt(request, queue);
    }

    /// Starts the next attempt: arm the timeout, resolve DNS if the user's
    /// cached record has expired, then send.
    #[inline(always)]
    pub(super) fn start_attempt(&mut self, key: SlabKey, queue: &mut EventQueue<Event>) {
        let Some(request) = self.requests.get_mut(key) else {
            return;
        };
        request.attempt += 1;
        request.waiting = true;
        request.degraded = false;
        let (attempt, class, user) = (request.attempt, request.class, request.user);
        self.overall.window.attempts += 1;
        self.per_class[class].window.attempts += 1;
        if attempt > 1 {
            self.overall.window.retries += 1;
            self.per_class[class].window.retries += 1;
        }
        if let (Some(timeout), Some(lane)) = (self.timeout, self.timeout_lane) {
            queue.schedule_in_lane(
                lane,
                timeout,
                Event::Timeout {
                    request: key,
                    attempt,
                },
            );
        }
        if let Some(dns) = self.classes[class].dns {
            let now = queue.now();
            if now >= self.dns_expiry[dns].get(user) {
                let latency = self.sample_duration(self.dns[dns].resolve);
                let expiry = now + latency + self.dns[dns].ttl;
                self.dns_expiry[dns].set(user, expiry);
                self.geo_resolve(dns, user);
                self.dns_window[dns].lookups += 1;
                if latency.as_nanos() > 0 {
                    queue.schedule_in(
                        latency,
                        Event::Dispatch {
                            request: key,
                            attempt,
                        },
                    );
                    return;
                }
            } else {
                self.dns_window[dns].cache_hits += 1;
            }
        }
        self.dispatch(key, attempt, queue);
    }

    /// Sends attempt `attempt` to the class's entry point.
    #[inline(always)]
    pub(super) fn dispatch(&mut self, key: SlabKey, attempt: u32, queue: &mut EventQueue<Event>) {
        let Some(request) = self.requests.get(key) else {
            return;
        };
        if request.attempt != attempt || !request.waiting {
            return; // timed out while resolving
        }
        let class = &self.classes[request.class];
        let entry = self
            .geo_entry(request.class, class.dns, request.user)
            .unwrap_or(class.entry);
        let carry = Carry {
            key: request.key,
            keyspace: request.keyspace,
            user: request.user,
            value: 0,
        };
        self.start_call(NO_PARENT, key, attempt, entry, carry, self.network_client, queue);
    }

    /// The reply to an attempt reached the client.
    #[inline(always)]
    pub(super) fn on_response(
        &mut self,
        key: SlabKey,
        attempt: u32,
        failure: Option<Cause>,
        queue: &mut EventQueue<Event>,
    ) {
        let current = self
            .requests
            .get(key)
            .filter(|request| request.attempt == attempt && request.waiting)
            .copied();
        let Some(request) = current else {
            self.overall.window.stale_responses += 1;
            return;
        };
        match failure {
            None => {
                let latency = queue.now().since(request.created).as_nanos();
                let class = &mut self.per_class[request.class];
                class.window.completed += 1;
                // (`latency_all` gets it when the window closes.)
                class.latency.record(latency);
                // The overall latency is the union of the classes', merged
                // when the window closes (`Model::close_window`), or the
                // single class's own.
                self.overall.window.completed += 1;
                if request.degraded {
                    class.window.degraded += 1;
                    self.overall.window.degraded += 1;
                }
                if let Some(region) = self.region_scope(request.user) {
                    region.window.completed += 1;
                    region.latency.record(latency);
                }
                self.trace_end(key, &request, None, queue.now());
                self.end_request(key, request, queue);
            }
            Some(cause) => self.attempt_failed(key, cause, queue),
        }
    }

    pub(super) fn on_timeout(&mut self, key: SlabKey, attempt: u32, queue: &mut EventQueue<Event>) {
        let Some(request) = self.requests.get(key) else {
            return;
        };
        if request.attempt != attempt || !request.waiting {
            return;
        }
        let class = request.class;
        self.overall.window.timeouts += 1;
        self.per_class[class].window.timeouts += 1;
        self.attempt_failed(key, Cause::Timeout, queue);
    }

    /// The current attempt failed: retry after a backoff, or give up.
    fn attempt_failed(&mut self, key: SlabKey, cause: Cause, queue: &mut EventQueue<Event>) {
        let request = self.requests.get_mut(key).expect("caller checked");
        request.waiting = false;
        let request = *request;
        let retries_used = request.attempt - 1;
        if retries_used < self.retry.retries && self.client_may_retry(queue.now()) {
            self.note_failure(request.user, None);
            let wait = backoff(&self.retry, retries_used + 1, self.streams.get(self.retry_stream));
            queue.schedule_in(wait, Event::Retry { request: key });
            return;
        }
        self.note_failure(request.user, Some(cause));
        // Failed for good now: what the user waited, beside the successes.
        let latency = queue.now().since(request.created).as_nanos();
        let class = &mut self.per_class[request.class];
        class.window.failed += 1;
        class.window.failed_by_cause[cause.index()] += 1;
        class.latency_all.record(latency);
        self.overall.window.failed += 1;
        self.overall.window.failed_by_cause[cause.index()] += 1;
        if let Some(region) = self.region_scope(request.user) {
            region.window.failed += 1;
            region.window.failed_by_cause[cause.index()] += 1;
            region.latency_all.record(latency);
        }
        self.trace_end(key, &request, Some(cause), queue.now());
        self.end_request(key, request, queue);
    }

    #[inline(always)]
    fn end_request(&mut self, key: SlabKey, request: Request, queue: &mut EventQueue<Event>) {
        self.requests.remove(key);
        if request.then_own {
            self.new_request(request.user, request.closed, queue);
            return;
        }
        if request.closed {
            let Source::Closed { think } = self.source else {
                unreachable!("closed requests come from closed workloads");
            };
            let delay = self.sample_duration(think);
            queue.schedule_in(delay, Event::ThinkDone { user: request.user });
        }
    }
}
