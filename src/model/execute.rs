//! Serving calls: routing a call to an instance, admission, and the
//! interpreter that runs a frame's step program op by op.
//!
//! Resources are handed over, never released and re-acquired: when a worker
//! or core frees up, the next waiting frame gets it directly and is put on
//! the `ready` list. The handler drains that list after each event, so
//! chains of instant steps run in a loop instead of recursing, and FIFO
//! order among waiters is exact.

use rand::RngExt;

use super::balancer::next_taking_work;
use super::broker::JobEnd;
use super::call_policy::{Guard, NO_POLICY, UNGUARDED};
use super::cdn::CdnRoute;
use super::data::Target;
use super::frame::{Carry, Cause, Frame, InstanceId, MISS, NO_BALANCER, NO_PARENT, Purpose};
use super::ids::{BalancerId, MemberId, StationId};
use super::instance::{Admission, Life};
use super::program::{CallId, Op, SiteId};
use super::{Event, Model, Role, Route};
use crate::engine::id::IdVec;
use crate::engine::{EventQueue, SimDuration, SimTime, SlabKey};

impl Model {
    /// Starts call `call` from `parent` (or from the client when `parent`
    /// is `NO_PARENT`) carrying `carry`, travelling over a hop drawn from
    /// `hop`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start_call(
        &mut self,
        parent: SlabKey,
        request: SlabKey,
        attempt: u32,
        call: CallId,
        carry: Carry,
        hop: SiteId,
        queue: &mut EventQueue<Event>,
    ) {
        self.start_call_as(parent, request, attempt, call, carry, hop, UNGUARDED, queue);
    }

    /// `start_call` for a call its caller guards with `guard`
    /// (`call_policy.rs`), or `UNGUARDED`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start_call_as(
        &mut self,
        parent: SlabKey,
        request: SlabKey,
        attempt: u32,
        call: CallId,
        mut carry: Carry,
        mut hop: SiteId,
        guard: Guard,
        queue: &mut EventQueue<Event>,
    ) {
        let call = self.calls[call];
        if let Some(draw) = call.key
            && carry.keyspace != draw.keyspace
        {
            let sampler = &self.keyspaces[draw.keyspace];
            carry.key = sampler.draw(self.streams.get(draw.stream), carry.user);
            carry.keyspace = draw.keyspace;
        }
        let (instance, balancer) = match call.route {
            Route::Balancer(balancer) => (InstanceId(u32::MAX), balancer),
            Route::Pool(station) => {
                // In turn, over the instances taking work (an autoscaled
                // pool's booting, draining and stopped ones are skipped).
                let station = &mut self.stations[station];
                let first = station.first_instance;
                let picked = next_taking_work(station.instance_count, station.next, |local| {
                    self.instances[MemberId(local).instance(first)].life == Life::Serving
                });
                let Some(local) = picked else {
                    self.fail_call_as(parent, request, attempt, Cause::Unavailable, guard, queue);
                    return;
                };
                station.next = local + 1;
                (MemberId(local).instance(first), NO_BALANCER)
            }
            Route::DatabaseRead(_) | Route::DatabaseWrite(_) => {
                let target = match call.route {
                    Route::DatabaseRead(database) => match self.geo_read_node(database, carry.key, parent) {
                        Some(node) => Target::Node(node),
                        None => self.read_node(database, carry.key),
                    },
                    Route::DatabaseWrite(database) => self.write_node(database, carry.key),
                    _ => unreachable!("database routes only"),
                };
                match target {
                    Target::Node(instance) => (instance, NO_BALANCER),
                    Target::Unavailable => {
                        self.fail_call_as(parent, request, attempt, Cause::Unavailable, guard, queue);
                        return;
                    }
                }
            }
            Route::Cdn(cdn) => match self.cdn_route(cdn, carry.user) {
                CdnRoute::Edge(instance, latency) => {
                    hop = latency;
                    (instance, NO_BALANCER)
                }
                CdnRoute::Origin(origin) => {
                    self.start_call_as(parent, request, attempt, origin, carry, hop, guard, queue);
                    return;
                }
                CdnRoute::Unavailable => {
                    self.fail_call_as(parent, request, attempt, Cause::Unavailable, guard, queue);
                    return;
                }
            },
            Route::Cache(cache) => {
                let cluster = &mut self.caches[cache];
                match cluster.node_for(carry.key) {
                    Some(node) => (cluster.nodes[node], NO_BALANCER),
                    None => {
                        // The node is down: the client fails fast and treats
                        // the operation as a miss (a fill or delete is dropped).
                        if call.lookup {
                            cluster.unavailable_window += 1;
                        }
                        carry.value = MISS;
                        self.deliver_reply(parent, None, carry.value);
                        return;
                    }
                }
            }
        };
        let geo_latency = if self.geo.enabled {
            match self.geo_call_hop(parent, carry.user, instance, balancer, call.program) {
                Some(latency) => latency,
                None => {
                    // A partition between the caller's data center and the
                    // callee's: the connection cannot be made.
                    self.fail_call_as(parent, request, attempt, Cause::Unavailable, guard, queue);
                    return;
                }
            }
        } else {
            SimDuration::ZERO
        };
        let frame = self.frames.insert(Frame {
            balancer,
            guard,
            ..Frame::new(request, attempt, parent, instance, call.program, carry)
        });
        let delay = self.sample_duration(hop) + geo_latency;
        let event = if balancer == NO_BALANCER {
            Event::ArriveInstance { frame }
        } else {
            Event::ArriveBalancer { frame }
        };
        if delay == SimDuration::ZERO {
            self.handle_now(event, queue);
        } else {
            queue.schedule_in(delay, event);
        }
    }

    /// Handles an arrival event at once instead of scheduling it.
    fn handle_now(&mut self, event: Event, queue: &mut EventQueue<Event>) {
        match event {
            Event::ArriveInstance { frame } => self.arrive_instance(frame, queue),
            Event::ArriveBalancer { frame } => self.arrive_balancer(frame, queue),
            _ => unreachable!("only arrivals are handled early"),
        }
    }

    pub(super) fn arrive_balancer(&mut self, key: SlabKey, queue: &mut EventQueue<Event>) {
        let frame = self.frames.get(key).expect("frame in flight");
        let (balancer_id, user) = (frame.balancer, frame.carry.user);
        if self.geo.enabled && self.dead_balancer(key, balancer_id, queue) {
            return;
        }
        if self.balancers[balancer_id].capacity.is_some() {
            self.enter_limited_balancer(key, balancer_id, queue);
            return;
        }
        self.forward(key, balancer_id, user, true, queue);
    }

    /// A call reached a balancer with `cores` or `max_connections`: it is
    /// rejected over the connection limit, else takes a connection and a
    /// core (or waits for one) before it is forwarded.
    #[inline(never)]
    fn enter_limited_balancer(
        &mut self,
        key: SlabKey,
        balancer_id: BalancerId,
        queue: &mut EventQueue<Event>,
    ) {
        let now = queue.now();
        let balancer = &mut self.balancers[balancer_id];
        let latency_site = balancer.latency_site;
        let capacity = balancer.capacity.as_deref_mut().expect("a limited balancer");
        let frame = self.frames.get_mut(key).expect("frame in flight");
        capacity.metrics.window.arrivals += 1;
        if capacity.connections >= capacity.max_connections {
            capacity.metrics.window.rejected += 1;
            frame.failure = Some(Cause::Rejected);
            self.reply(key, queue);
            return;
        }
        capacity.connections += 1;
        capacity.metrics.present.increment(now);
        frame.balancer_connection = true;
        let Some(cores) = capacity.cores else {
            // No processing capacity: the latency stays a plain delay.
            let user = frame.carry.user;
            self.forward(key, balancer_id, user, true, queue);
            return;
        };
        if capacity.busy_cores < cores {
            capacity.busy_cores += 1;
            capacity.metrics.busy.increment(now);
            capacity.metrics.window.started += 1;
            let delay = self.sample_duration(latency_site);
            queue.schedule_in(delay, Event::BalancerDone { frame: key });
        } else {
            capacity.metrics.queued.increment(now);
            capacity.waiting.push_back(key);
            frame.queued_since = now;
        }
    }

    /// A balancer with `cores` processed a call: its core goes to the next
    /// waiting call, and the call is forwarded.
    #[inline(never)]
    pub(super) fn balancer_done(&mut self, key: SlabKey, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let frame = self
            .frames
            .get(key)
            .expect("a frame holds its balancer connection");
        let (balancer_id, user) = (frame.balancer, frame.carry.user);
        let balancer = &mut self.balancers[balancer_id];
        let latency_site = balancer.latency_site;
        let capacity = balancer.capacity.as_deref_mut().expect("a balancer with cores");
        capacity.metrics.window.completed += 1;
        match capacity.waiting.pop_front() {
            Some(next) => {
                capacity.metrics.queued.decrement(now);
                let since = self.frames.get(next).expect("a waiting frame").queued_since;
                capacity.metrics.window.wait_ns += now.since(since).as_nanos() as u128;
                capacity.metrics.window.started += 1;
                capacity.metrics.window.waited += 1;
                let delay = self.sample_duration(latency_site);
                queue.schedule_in(delay, Event::BalancerDone { frame: next });
            }
            None => {
                capacity.busy_cores -= 1;
                capacity.metrics.busy.decrement(now);
            }
        }
        if self.geo.enabled && self.dead_balancer(key, balancer_id, queue) {
            return;
        }
        self.forward(key, balancer_id, user, false, queue);
    }

    /// Releases the balancer connection a departing frame held.
    pub(super) fn release_balancer_connection(&mut self, balancer_id: BalancerId, now: SimTime) {
        let capacity = self.balancers[balancer_id]
            .capacity
            .as_deref_mut()
            .expect("a connection is held at a limited balancer");
        capacity.connections -= 1;
        capacity.metrics.present.decrement(now);
    }

    /// The balancer picks an instance for the call and sends it on, after
    /// its own latency as a plain delay when `with_latency` (a balancer
    /// with `cores` has spent it processing).
    #[inline(always)]
    fn forward(
        &mut self,
        key: SlabKey,
        balancer_id: BalancerId,
        user: u32,
        with_latency: bool,
        queue: &mut EventQueue<Event>,
    ) {
        let now = queue.now();
        let balancer = &mut self.balancers[balancer_id];
        let rng = self.streams.get(balancer.stream);
        let Some(instance) = balancer.pick_for(&self.instances, rng, user, now) else {
            // Every instance is out of rotation: the balancer answers 503.
            let cause = self.no_instance_cause(balancer_id);
            self.frames.get_mut(key).expect("frame in flight").failure = Some(cause);
            self.balancer_unavailable[balancer_id] += 1;
            self.reply(key, queue);
            return;
        };
        let latency_site = balancer.latency_site;
        let geo_latency = if self.geo.enabled {
            match self.geo_balancer_hop(balancer_id, instance, key) {
                Some(latency) => latency,
                None => {
                    self.frames.get_mut(key).expect("frame in flight").failure = Some(Cause::Unavailable);
                    self.reply(key, queue);
                    return;
                }
            }
        } else {
            SimDuration::ZERO
        };
        if self.traffic.counts_balancer_bytes {
            self.count_processed_bytes(key, balancer_id);
        }
        self.instances[instance].assigned += 1;
        self.frames.get_mut(key).expect("frame in flight").instance = instance;
        let own_latency = if with_latency {
            self.sample_duration(latency_site)
        } else {
            SimDuration::ZERO
        };
        let delay = own_latency + self.sample_duration(self.network_internal) + geo_latency;
        if delay == SimDuration::ZERO {
            self.arrive_instance(key, queue);
        } else {
            queue.schedule_in(delay, Event::ArriveInstance { frame: key });
        }
    }

    #[inline(always)]
    pub(super) fn arrive_instance(&mut self, key: SlabKey, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let frame = self.frames.get_mut(key).expect("frame in flight");
        frame.arrived = now;
        let instance = &mut self.instances[frame.instance];
        frame.epoch = instance.epoch;
        let metrics = &mut self.station_metrics[instance.station];
        if !instance.up {
            metrics.window.arrivals += 1;
            if instance.hung {
                // Nothing answers: the caller waits until it gives up.
                self.drop_frame(key, queue);
            } else {
                metrics.window.refused += 1;
                frame.failure = Some(Cause::Refused);
                self.reply(key, queue);
            }
            return;
        }
        metrics.window.arrivals += 1;
        // A pool that sheds filters the call first (`shedding.rs`).
        let (frame, instance, metrics) = if self.stations[instance.station].shedding.is_some() {
            if self.shed(key, queue) {
                return;
            }
            let frame = self.frames.get_mut(key).expect("frame in flight");
            let instance = &mut self.instances[frame.instance];
            let metrics = &mut self.station_metrics[instance.station];
            (frame, instance, metrics)
        } else {
            (frame, instance, metrics)
        };
        match instance.admit(key) {
            Admission::Started => {
                instance.present += 1;
                metrics.present.increment(now);
                metrics.busy.increment(now);
                metrics.window.started += 1;
                frame.holds_worker = true;
                frame.admitted = true;
                self.ready.push_back(key);
            }
            Admission::Queued => {
                instance.present += 1;
                metrics.present.increment(now);
                metrics.queued.increment(now);
                frame.admitted = true;
                frame.queued_since = now;
            }
            Admission::Rejected => {
                metrics.window.rejected += 1;
                frame.failure = Some(Cause::Rejected);
                self.finish(key, queue);
            }
        }
    }

    /// Runs every frame that became ready, in order.
    pub(super) fn drain_ready(&mut self, queue: &mut EventQueue<Event>) {
        while let Some(key) = self.ready.pop_front() {
            self.run(key, queue);
        }
    }

    /// Interprets `key`'s program from its program counter until it has to
    /// wait for something.
    fn run(&mut self, key: SlabKey, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let Some(frame) = self.frames.get(key) else {
            return;
        };
        if self.is_dead(frame) {
            self.abandon(key, queue);
            return;
        }
        if frame.guard.is_guarded() && self.is_cancelled_loser(frame) {
            self.cancel_loser(key);
        }
        loop {
            let frame = self.frames.get_mut(key).expect("frame in flight");
            if frame.failure.is_some() {
                self.finish(key, queue);
                return;
            }
            let instance_id = frame.instance;
            let station = self.instances[instance_id].station;
            // Whether the frame lets its worker go while it waits (asked only
            // by the ops that wait).
            let releases_worker = |frame: &Frame, stations: &IdVec<StationId, super::Station>| -> bool {
                frame.holds_worker && !frame.is_branch && stations[station].async_waits
            };
            match self.programs.op(frame.pc) {
                Op::Compute(site) => {
                    let instance = &mut self.instances[instance_id];
                    let metrics = &mut self.station_metrics[station];
                    if !frame.is_branch && !frame.holds_worker {
                        // An async frame back from a wait needs its worker again.
                        if instance.resume(key) {
                            frame.holds_worker = true;
                            metrics.busy.increment(now);
                        } else {
                            metrics.queued.increment(now);
                            frame.queued_since = now;
                            return;
                        }
                    }
                    // On a processor-sharing host the step takes no core
                    // of its own: it shares them all (`sharing.rs`).
                    let mut shared = None;
                    if instance.cores_limit && !frame.holds_core {
                        let got = match instance.host {
                            Some(host) if self.hosts[host].sharing.is_some() => {
                                shared = Some(host);
                                true
                            }
                            Some(host) => self.hosts[host].acquire(instance_id, key, now),
                            None => instance.acquire_core(key),
                        };
                        if !got {
                            frame.queued_since = now;
                            return;
                        }
                        frame.holds_core = shared.is_none();
                        metrics.window.core_started += 1;
                    }
                    if shared.is_none() {
                        metrics.cpu.increment(now);
                    }
                    instance.computing += 1;
                    let (speed, factor, add) = (instance.speed, instance.slow_factor, instance.slow_add_ns);
                    let demand = self.sample(site);
                    let work_ns = (demand * factor + add) / speed;
                    let done = Event::ComputeDone { frame: key };
                    match shared {
                        Some(host) => self.share_start(host, instance_id, work_ns, done, queue),
                        None => queue.schedule_in(SimDuration::from_nanos_f64(work_ns), done),
                    }
                    return;
                }
                Op::Delay(site) => {
                    if releases_worker(frame, &self.stations) {
                        frame.holds_worker = false;
                        self.release_worker(instance_id, now);
                    }
                    let delay = self.sample_duration(site);
                    queue.schedule_in(delay, Event::WaitDone { frame: key });
                    return;
                }
                Op::Call(call) => {
                    frame.pending = 1;
                    let (request, attempt, carry) = (frame.request, frame.attempt, frame.carry);
                    if releases_worker(frame, &self.stations) {
                        frame.holds_worker = false;
                        self.release_worker(instance_id, now);
                    }
                    if self.calls[call].policy != NO_POLICY {
                        self.guarded_call(key, call, true, queue);
                        return;
                    }
                    self.start_call(key, request, attempt, call, carry, self.network_internal, queue);
                    return;
                }
                Op::Fork { first, count } => {
                    frame.pending = count;
                    let template = Frame {
                        parent: key,
                        is_branch: true,
                        holds_worker: false,
                        holds_core: false,
                        pending: 0,
                        failure: None,
                        balancer: NO_BALANCER,
                        guard: UNGUARDED,
                        ..*frame
                    };
                    if releases_worker(frame, &self.stations) {
                        frame.holds_worker = false;
                        self.release_worker(instance_id, now);
                    }
                    for branch in 0..count {
                        let pc = self.programs.branch_start(first + branch);
                        let branch = self.frames.insert(Frame { pc, ..template });
                        self.ready.push_back(branch);
                    }
                    return;
                }
                Op::Maybe {
                    probability,
                    stream,
                    skip_to,
                } => {
                    let taken = self.streams.get(stream).random::<f64>() < probability;
                    let frame = self.frames.get_mut(key).expect("frame in flight");
                    frame.pc = if taken { frame.pc + 1 } else { skip_to };
                }
                Op::Jump { to } => frame.pc = to,
                Op::JumpIfHit { to } => {
                    frame.pc = if frame.carry.value == MISS {
                        frame.pc + 1
                    } else {
                        to
                    };
                }
                Op::CacheLookup { .. }
                | Op::CacheFill { .. }
                | Op::CacheInvalidate { .. }
                | Op::DatabaseRead { .. } => {
                    let op = self.programs.op(frame.pc);
                    frame.pc += 1;
                    if self.data_op(key, op, queue) {
                        return;
                    }
                }
                Op::CdnLookup { .. } | Op::CdnFill { .. } => {
                    let op = self.programs.op(frame.pc);
                    frame.pc += 1;
                    self.cdn_op(key, op, now);
                }
                Op::DatabaseWrite { database } => {
                    if self.database_write(key, database, queue) {
                        return;
                    }
                }
                Op::Enqueue { queue: queue_id, ack } => {
                    if self.enqueue(key, queue_id, ack, queue) {
                        return;
                    }
                }
                Op::End => {
                    self.finish(key, queue);
                    return;
                }
            }
        }
    }

    /// Whether the frame's instance died since the frame arrived there.
    pub(super) fn is_dead(&self, frame: &Frame) -> bool {
        frame.admitted && self.instances[frame.instance].epoch != frame.epoch
    }

    /// A frame whose instance died: after a crash it fails with `reset`;
    /// after a hang it simply never answers.
    #[inline(never)]
    pub(super) fn abandon(&mut self, key: SlabKey, queue: &mut EventQueue<Event>) {
        let frame = self.frames.get_mut(key).expect("frame in flight");
        let instance = &self.instances[frame.instance];
        if instance.hung {
            self.drop_frame(key, queue);
        } else {
            self.station_metrics[instance.station].window.reset += 1;
            frame.failure = Some(Cause::Reset);
            if frame.is_branch {
                let frame = self.frames.remove(key).expect("frame in flight");
                self.deliver_reply(frame.parent, frame.failure, frame.carry.value);
            } else {
                self.reply(key, queue);
            }
        }
    }

    pub(super) fn compute_done(&mut self, key: SlabKey, queue: &mut EventQueue<Event>) {
        self.end_compute(key, false, queue);
    }

    /// A frame's compute op ended; `shared`: on a processor-sharing host,
    /// whose CPU gauges `sharing.rs` sets (the frame holds no core).
    #[inline(always)]
    pub(super) fn end_compute(&mut self, key: SlabKey, shared: bool, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let Some(frame) = self.frames.get(key) else {
            return;
        };
        if self.is_dead(frame) {
            self.abandon(key, queue);
            return;
        }
        let frame = self.frames.get_mut(key).expect("frame in flight");
        let instance_id = frame.instance;
        let instance = &mut self.instances[instance_id];
        instance.computing -= 1;
        if !shared {
            self.station_metrics[instance.station].cpu.decrement(now);
        }
        if frame.holds_core {
            frame.holds_core = false;
            self.pass_core(instance_id, queue);
        }
        let frame = self.frames.get_mut(key).expect("frame in flight");
        frame.pc += 1;
        self.ready.push_back(key);
    }

    /// A core of `instance_id` is free: it goes to the first frame or
    /// database applier waiting for one (counting its wait), or idles.
    #[inline]
    pub(super) fn pass_core(&mut self, instance_id: InstanceId, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        loop {
            let instance = &mut self.instances[instance_id];
            // On a host, the core goes to whoever waits there first, of
            // any instance (`owner`).
            let next = match instance.host {
                Some(host) => self.hosts[host].release(now),
                None => instance.release_core().map(|frame| (instance_id, frame)),
            };
            let Some((owner, next)) = next else {
                return;
            };
            let counters = &mut self.station_metrics[self.instances[owner].station].window;
            if next != super::instance::APPLIER {
                let frame = self.frames.get_mut(next).expect("waiting frame");
                frame.holds_core = true;
                counters.core_started += 1;
                counters.core_waited += 1;
                counters.core_wait_ns += now.since(frame.queued_since).as_nanos() as u128;
                self.ready.push_back(next);
                return;
            }
            if self.apply_on_core(owner, queue) {
                return;
            }
            // That applier's write was dropped by a promotion: the core
            // goes on to the next in line.
        }
    }

    pub(super) fn continue_after_wait(&mut self, key: SlabKey, queue: &mut EventQueue<Event>) {
        let Some(frame) = self.frames.get(key) else {
            return;
        };
        if self.is_dead(frame) {
            self.abandon(key, queue);
            return;
        }
        let frame = self.frames.get_mut(key).expect("frame in flight");
        frame.pc += 1;
        self.ready.push_back(key);
    }

    /// A reply (from a call or a branch) reached frame `key`, with the value
    /// the callee had in hand. A caller that is gone (its instance died, or
    /// it was dropped) ignores it.
    pub(super) fn deliver_reply(&mut self, key: SlabKey, failure: Option<Cause>, value: u32) {
        let Some(frame) = self.frames.get_mut(key) else {
            return;
        };
        frame.pending -= 1;
        frame.carry.value = value;
        if frame.failure.is_none() {
            frame.failure = failure;
        }
        if frame.pending == 0 {
            frame.pc += 1;
            self.ready.push_back(key);
        }
    }

    /// A successful reply on its way to frame `parent` came through a
    /// `fallback`: the caller's success is degraded too (a caller that is
    /// gone ignores it, as it ignores the reply).
    pub(super) fn pass_degraded(&mut self, parent: SlabKey) {
        if let Some(frame) = self.frames.get_mut(parent) {
            frame.degraded = true;
        }
    }

    /// Attempt `attempt` of request `key` succeeds through a `fallback`:
    /// its request is degraded unless the client has given up on it (its
    /// response will be stale; the next attempt starts undegraded).
    fn degrade_request(&mut self, key: SlabKey, attempt: u32) {
        if let Some(request) = self.requests.get_mut(key)
            && request.attempt == attempt
            && request.waiting
        {
            request.degraded = true;
        }
    }

    /// `fail_call` for a call its caller may guard.
    #[inline]
    fn fail_call_as(
        &mut self,
        parent: SlabKey,
        request: SlabKey,
        attempt: u32,
        cause: Cause,
        guard: Guard,
        queue: &mut EventQueue<Event>,
    ) {
        if !guard.is_guarded() {
            self.fail_call(parent, request, attempt, cause, queue);
        } else {
            self.guarded_call_failed(parent, guard, cause, queue);
        }
    }

    /// A call failed before reaching anything: its caller (or the client)
    /// learns at once.
    pub(super) fn fail_call(
        &mut self,
        parent: SlabKey,
        request: SlabKey,
        attempt: u32,
        cause: Cause,
        queue: &mut EventQueue<Event>,
    ) {
        if parent == NO_PARENT {
            self.on_response(request, attempt, Some(cause), queue);
        } else {
            self.deliver_reply(parent, Some(cause), MISS);
        }
    }

    /// Hands a freed worker to the next waiting frame, or idles it.
    #[inline(always)]
    pub(super) fn release_worker(&mut self, instance_id: InstanceId, now: SimTime) {
        let instance = &mut self.instances[instance_id];
        let metrics = &mut self.station_metrics[instance.station];
        match instance.release_worker() {
            Some((next, is_new)) => {
                metrics.queued.decrement(now);
                let frame = self.frames.get_mut(next).expect("waiting frame");
                // Every wait for a worker counts in `wait_ns`, a resumed
                // async frame's too, so the queue obeys Lq = λ·Wq.
                metrics.window.wait_ns += now.since(frame.queued_since).as_nanos() as u128;
                if is_new {
                    metrics.window.started += 1;
                    metrics.window.waited += 1;
                }
                frame.holds_worker = true;
                self.ready.push_back(next);
            }
            None => metrics.busy.decrement(now),
        }
    }

    /// The frame is done (or failed): free what it holds and reply.
    pub(super) fn finish(&mut self, key: SlabKey, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        // Fields, not a copy of the frame: a 104-byte copy read back in
        // 16-byte pieces the last field updates had just written, which
        // missed store forwarding on every call.
        let frame = self.frames.get(key).expect("frame in flight");
        if frame.is_branch {
            let (parent, failure, value) = (frame.parent, frame.failure, frame.carry.value);
            let degraded = frame.degraded && failure.is_none();
            self.frames.remove(key);
            if degraded {
                self.pass_degraded(parent);
            }
            self.deliver_reply(parent, failure, value);
            return;
        }
        debug_assert!(!frame.holds_core, "a frame ends between compute ops");
        let (instance, holds_worker, admitted, arrived) =
            (frame.instance, frame.holds_worker, frame.admitted, frame.arrived);
        if holds_worker {
            self.release_worker(instance, now);
        }
        if admitted {
            let instance = &mut self.instances[instance];
            instance.present -= 1;
            let metrics = &mut self.station_metrics[instance.station];
            metrics.present.decrement(now);
            metrics.window.completed += 1;
            metrics.window.residence_ns += now.since(arrived).as_nanos() as u128;
        }
        self.reply(key, queue);
        if admitted {
            self.after_departure(instance, queue);
        }
    }

    /// Removes a frame that holds nothing and whose caller will not hear
    /// from it (its instance hangs).
    pub(super) fn drop_frame(&mut self, key: SlabKey, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let frame = self.frames.remove(key).expect("frame in flight");
        if frame.balancer != NO_BALANCER {
            self.instances[frame.instance].assigned -= 1;
            if frame.balancer_connection {
                self.release_balancer_connection(frame.balancer, now);
            }
            // Lost at a hung instance: the balancer's upstream timeout.
            self.outlier_outcome(frame.balancer, frame.instance, true, queue);
        }
        if frame.guard.is_guarded() && frame.admitted {
            // The hung callee's work on it is lost: wasted, as an
            // abandoned call's.
            self.count_wasted(frame.guard.policy, Some(frame.arrived), now);
        }
        if let Purpose::Job {
            queue: queue_id,
            delivery,
        } = frame.purpose
        {
            self.job_dropped(queue_id, delivery, queue);
        }
    }

    /// Removes a frame that holds nothing any more and sends its outcome
    /// to whoever waits for it: its caller, the client, or the reshard.
    pub(super) fn reply(&mut self, key: SlabKey, queue: &mut EventQueue<Event>) {
        let mut frame = self.frames.get_mut(key).expect("frame in flight");
        // A cache client treats a failed cache operation as a miss and goes
        // on without the cache.
        if frame.failure.is_some()
            && frame.instance.0 != u32::MAX
            && matches!(self.roles[frame.instance], Role::CacheNode { .. })
        {
            frame.failure = None;
            frame.carry.value = MISS;
        }
        if frame.balancer != NO_BALANCER {
            if frame.instance.0 != u32::MAX {
                self.instances[frame.instance].assigned -= 1;
                let (balancer, instance, failed) = (frame.balancer, frame.instance, frame.failure.is_some());
                self.outlier_outcome(balancer, instance, failed, queue);
                frame = self.frames.get_mut(key).expect("frame in flight");
            }
            if frame.balancer_connection {
                frame.balancer_connection = false;
                let balancer = frame.balancer;
                self.release_balancer_connection(balancer, queue.now());
                frame = self.frames.get_mut(key).expect("frame in flight");
            }
        }
        match frame.purpose {
            Purpose::Call => {}
            Purpose::Job {
                queue: queue_id,
                delivery,
            } => {
                // A job that failed because its own consumer died is lost,
                // not failed: nobody gives its message back.
                let failure = frame.failure;
                let frame = self.frames.get(key).expect("frame in flight");
                let end = match failure {
                    None => JobEnd::Done,
                    Some(_) if self.is_dead(frame) => JobEnd::Lost,
                    Some(_) => JobEnd::Failed,
                };
                self.frames.remove(key);
                self.job_done(queue_id, delivery, end, queue);
                return;
            }
            Purpose::MigrationRead { .. } | Purpose::MigrationWrite { .. } => {
                let frame = self.frames.remove(key).expect("frame in flight");
                self.migration_step_done(frame, queue);
                return;
            }
            Purpose::Refresh { cache } => {
                let frame = self.frames.remove(key).expect("frame in flight");
                self.refresh_done(cache, &frame);
                return;
            }
            Purpose::Warm { cache, node } => {
                let frame = self.frames.remove(key).expect("frame in flight");
                self.warm_read_done(cache, node, &frame, queue.now());
                return;
            }
        }
        if self.geo.enabled {
            self.count_reply_bytes(key);
        }
        // Fields, not the removed frame by value (see `finish`).
        let frame = self.frames.get(key).expect("frame in flight");
        let geo_latency = self.geo_reply_latency(frame);
        let (failure, instance) = (frame.failure, frame.instance);
        let degraded = frame.degraded && failure.is_none();
        if frame.is_root() {
            let (request, attempt, arrived) = (frame.request, frame.attempt, frame.arrived);
            if let Some(trace) = &mut self.trace {
                trace.note_upstream(request, attempt, queue.now().since(arrived));
            }
            self.frames.remove(key);
            if degraded {
                self.degrade_request(request, attempt);
            }
            let delay = self.sample_duration(self.client_hop(instance)) + geo_latency;
            if delay == SimDuration::ZERO {
                self.on_response(request, attempt, failure, queue);
            } else {
                queue.schedule_in(
                    delay,
                    Event::Response {
                        request,
                        attempt,
                        failure,
                    },
                );
            }
        } else {
            let (parent, value) = (frame.parent, frame.carry.value);
            if frame.guard.is_guarded() {
                let delay = self.sample_duration(self.network_internal) + geo_latency;
                self.guarded_reply(key, delay, queue);
                return;
            }
            self.frames.remove(key);
            if degraded {
                // An unguarded caller takes whatever comes back: it is
                // degraded now rather than when the reply lands.
                self.pass_degraded(parent);
            }
            let delay = self.sample_duration(self.network_internal) + geo_latency;
            if delay == SimDuration::ZERO {
                self.deliver_reply(parent, failure, value);
            } else {
                queue.schedule_in(
                    delay,
                    Event::Reply {
                        frame: parent,
                        failure,
                        value,
                    },
                );
            }
        }
    }
}
