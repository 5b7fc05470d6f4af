//! The model: component behaviour and state, compiled once from a resolved
//! scenario and driven by the engine's loop.
//!
//! Components live in arenas (`IdVec`s, `ids`) addressed by typed ids; requests and
//! calls in flight live in slabs. A request's path is a step program
//! (`program`) interpreted per call (`execute`); the client side — arrivals,
//! DNS, timeouts, retries — is in `client`. `observe` folds state into
//! metrics at each window. The model sees no TOML, does no IO, and draws
//! randomness only from the engine's named streams.

mod autoscale;
mod balancer;
mod breaker;
mod broker;
mod budget;
mod bulkhead;
mod cache;
mod call_policy;
mod cdn;
mod client;
mod cluster;
mod coalesce;
mod compile;
mod compile_cdn;
mod data;
mod database;
mod drills;
mod ejection;
mod execute;
mod faults;
mod frame;
mod geo;
mod geo_compile;
mod geo_data;
mod geo_observe;
mod hedge;
mod host;
mod ids;
mod instance;
mod keys;
mod observe;
mod observe_cdn;
mod observe_data;
mod overload;
mod program;
mod queues;
mod reshard;
mod ring;
mod sampler;
mod semisync;
mod sharing;
mod shedding;
mod stale;
mod trace;
mod traffic;
mod warm;
mod warm_restart;
mod workload;

use crate::engine::id::IdVec;
use crate::engine::{DrainFifo, EventQueue, Lane, Process, SimDuration, SimTime, Slab, SlabKey, Streams};
use crate::metrics::{LatencyRecorder, LatencyStats, RequestCounters, StationCounters, StationMetrics};
use crate::scenario::{Arrivals, Retry, Scenario};

pub use frame::{Cause, InstanceId, StationId};
pub use overload::Overload;
pub use program::{Op, SiteId};
pub use sampler::Sampler;
pub use trace::{TRACE_CAPACITY, TraceRecord};
pub use warm::CacheVisits;
pub use workload::RateProfile;

use balancer::Balancer;
use cluster::CacheCluster;
use database::Database;
use frame::{Frame, Request};
use ids::{
    BalancerId, CacheId, CacheNodeId, CdnId, ClassId, DatabaseId, DatabaseNodeId, DeployId, DnsId,
    DnsTargetId, EdgeId, FaultSourceId, KeyspaceId, QueueId, ScalerId, ShardId,
};
use instance::Instance;
use keys::KeySampler;
use program::{CallId, Programs};
use sampler::Site;
use workload::Mix;

/// The model's events: small `Copy` values carrying ids, never closures.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// The next open-workload arrival is due.
    Arrival,
    /// A closed-workload user finished thinking.
    ThinkDone { user: u32 },
    /// A retry's backoff is over: start the next attempt.
    Retry { request: SlabKey },
    /// DNS resolution finished: send the attempt.
    Dispatch { request: SlabKey, attempt: u32 },
    /// A call reached a balancer.
    ArriveBalancer { frame: SlabKey },
    /// A call reached its instance.
    ArriveInstance { frame: SlabKey },
    /// A balancer with `cores` finished processing a call.
    BalancerDone { frame: SlabKey },
    /// A compute op finished.
    ComputeDone { frame: SlabKey },
    /// The step with the smallest tag on a processor-sharing host may be
    /// done (`token`: unless a start or end since rescheduled it).
    HostShareDone {
        host: crate::scenario::ids::HostId,
        token: u32,
    },
    /// A delay op finished.
    WaitDone { frame: SlabKey },
    /// A reply reached the calling frame, with the callee's value in hand.
    Reply {
        frame: SlabKey,
        failure: Option<Cause>,
        value: u32,
    },
    /// A reply reached the client.
    Response {
        request: SlabKey,
        attempt: u32,
        failure: Option<Cause>,
    },
    /// The client's patience for an attempt ran out.
    Timeout { request: SlabKey, attempt: u32 },
    /// A replicated write reached a replica.
    ReplicaReceive {
        database: DatabaseId,
        node: DatabaseNodeId,
        seq: u32,
        epoch: u32,
    },
    /// A replica finished applying a write.
    ApplyDone {
        database: DatabaseId,
        node: DatabaseNodeId,
        seq: u32,
        epoch: u32,
    },
    /// A replica's ack reached a semi-sync write.
    Ack { frame: SlabKey },
    /// A semi-sync write has waited `semi_sync_timeout` for its acks.
    SemiSyncTimeout {
        frame: SlabKey,
        database: DatabaseId,
        shard: ShardId,
    },
    /// A fault source applies its fault, or undoes it.
    Fault { source: FaultSourceId, undo: bool },
    /// A balancer's health checks are due.
    HealthCheck { balancer: BalancerId },
    /// A health probe of a hung instance got no answer in time.
    ProbeFailed {
        balancer: BalancerId,
        instance: InstanceId,
    },
    /// A database node's change of state is now known to its clients.
    NodeDetected {
        database: DatabaseId,
        node: DatabaseNodeId,
    },
    /// A replica takes over as its shard's primary.
    Promote { database: DatabaseId, shard: ShardId },
    /// A database changes its shard count now.
    Reshard { database: DatabaseId },
    /// Start copying the next key of a reshard.
    Migrate { database: DatabaseId },
    /// A geoDNS name's health checks are due.
    DnsCheck { dns: DnsId },
    /// A geoDNS probe of a hung target got no answer in time.
    DnsProbeFailed { dns: DnsId, target: DnsTargetId },
    /// A CDN deploy's invalidation reached the edges.
    CdnInvalidate { cdn: CdnId, deploy: DeployId },
    /// Clients learned that a CDN edge is down.
    CdnDetected { cdn: CdnId, edge: EdgeId },
    /// A pool's autoscaler evaluates its metric.
    Autoscale { scaler: ScalerId },
    /// A launched instance finished booting (if `launch` is still its latest).
    Booted { instance: InstanceId, launch: u32 },
    /// A delivered message's visibility timeout expired (if `delivery` is
    /// still unacknowledged).
    VisibilityTimeout { queue: QueueId, delivery: SlabKey },
    /// A guarded call step's timeout for the attempt known by `token`.
    CallTimeout { frame: SlabKey, token: u32 },
    /// A guarded call step's backoff is over: call again.
    CallRetry { frame: SlabKey },
    /// A guarded call's reply (its frame, kept) reached its caller.
    GuardedReply { frame: SlabKey },
    /// A coalescing cache's lease on `key` timed out (if it still stands).
    LeaseExpired { cache: CacheId, key: u32, lease: u32 },
    /// A restarted cache node's warm-up: a peer copy is done, or the next
    /// database key is due (if the node's life is still `epoch`).
    WarmRestart {
        cache: CacheId,
        node: CacheNodeId,
        epoch: u32,
    },
    /// A hedged call step's extra attempt is due (if `token` is still awaited).
    Hedge { frame: SlabKey, token: u32 },
    /// A circuit breaker's open time is over: it half-opens.
    BreakerHalfOpen { breaker: breaker::BreakerId },
    /// An instance's outlier ejection is over: it takes traffic again.
    EjectionOver {
        balancer: BalancerId,
        member: ids::MemberId,
    },
}

// 16 bytes: beside its 16-byte key an event makes a 32-byte calendar entry,
// moved as two aligned halves on every sift; at 20 bytes the entry was
// padded to 48. Database ids in events are `u16`-backed for this; the loader
// allows at most `MAX_DATABASES` (scenario/check.rs).
const _: () = assert!(std::mem::size_of::<Event>() == 16, "events stay 16 bytes");

/// Where a call goes.
#[derive(Clone, Copy, Debug)]
enum Route {
    /// Straight to a pool, instances taken in turn.
    Pool(StationId),
    /// Through a balancer.
    Balancer(BalancerId),
    /// A read on a database: the key's shard, a replica or the primary.
    DatabaseRead(DatabaseId),
    /// A write on a database: the key's primary.
    DatabaseWrite(DatabaseId),
    /// A cache operation: the key's node.
    Cache(CacheId),
    /// A request to a CDN: the user's edge (or the fallback).
    Cdn(CdnId),
}

/// A compiled downstream call: where, which program runs there, and the
/// keyspace its target needs a key from.
#[derive(Clone, Copy, Debug)]
struct Call {
    route: Route,
    program: u32,
    /// The keyspace of the target's data: a request with a key from another
    /// keyspace (or none) draws one from this one for the call.
    key: Option<KeyDraw>,
    /// A `call` step's timeout and retries, or `NO_POLICY`.
    policy: call_policy::PolicyId,
    /// A cache get (not a fill or a delete): a cache's `unavailable_lookups`
    /// counts only these when the key's node is down.
    lookup: bool,
}

/// Where a call gets a key when the request's is not from its keyspace.
#[derive(Clone, Copy, Debug)]
struct KeyDraw {
    keyspace: KeyspaceId,
    stream: crate::engine::StreamId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StationKind {
    Pool,
    Database,
    Cache,
}

/// What an instance is, for ops that depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Service,
    /// Node `node` of a database (its primary or a replica: that changes
    /// with failover, so the database's shards say which).
    DatabaseNode {
        database: DatabaseId,
        node: DatabaseNodeId,
    },
    CacheNode {
        cache: CacheId,
        node: CacheNodeId,
    },
    CdnEdge {
        cdn: CdnId,
        edge: EdgeId,
    },
}

/// The stations of one component, reported together under its name.
#[derive(Debug)]
struct Group {
    name: String,
    kind: StationKind,
    first_station: StationId,
    station_count: u32,
}

/// A station: instances measured together (a pool's instances, or one
/// database or cache node), with fixed properties.
#[derive(Debug)]
struct Station {
    name: String,
    first_instance: InstanceId,
    instance_count: u32,
    workers_per_instance: u32,
    cores_per_instance: u32,
    /// The host its instances compute on (`host`): their cores are the
    /// host's, the same cores for all of them.
    host: Option<crate::scenario::ids::HostId>,
    price_per_hour: f64,
    /// Releases its worker while waiting downstream.
    async_waits: bool,
    /// Round-robin position for calls that name the pool directly: one
    /// past the instance picked last (`instance_count` means 0).
    next: u32,
    /// A pool's rate limits and priority shedding (`shedding.rs`).
    shedding: Option<Box<shedding::Shedding>>,
}

impl Station {
    /// Its instances: a run of the instance arena.
    fn instances(&self) -> std::ops::Range<InstanceId> {
        self.first_instance..InstanceId(self.first_instance.0 + self.instance_count)
    }

    /// The ids of its instances, in order.
    fn instance_ids(&self) -> impl Iterator<Item = InstanceId> + use<> {
        (self.first_instance.0..self.first_instance.0 + self.instance_count).map(InstanceId)
    }
}

impl Group {
    /// Its stations: a run of the station arena.
    fn stations(&self) -> std::ops::Range<StationId> {
        self.first_station..StationId(self.first_station.0 + self.station_count)
    }
}

#[derive(Debug)]
struct Class {
    name: String,
    entry: CallId,
    dns: Option<DnsId>,
    /// Where the request's key comes from, if it has one.
    key: Option<KeyDraw>,
}

#[derive(Debug)]
struct Dns {
    name: String,
    ttl: SimDuration,
    resolve: SiteId,
}

/// Request-level metrics of one scope.
#[derive(Debug, Default)]
struct RequestScope {
    window: RequestCounters,
    total: RequestCounters,
    /// Latencies of the requests that succeeded.
    latency: LatencyRecorder,
    /// Latencies of every request that ended: successes, and failures
    /// at the time they failed for good. During a window it records the
    /// failures only; `merge_successes` adds the window's successes when
    /// the window closes, so a success is recorded once, not twice.
    latency_all: LatencyRecorder,
    /// Writes `degraded_requests` (overall and per class, when a step of
    /// the scenario has a `fallback`).
    degraded_rows: bool,
}

impl RequestScope {
    /// A scope that writes `degraded_requests` if `degraded_rows`.
    fn new(degraded_rows: bool) -> Self {
        RequestScope {
            degraded_rows,
            ..RequestScope::default()
        }
    }

    /// Completes the window of `latency_all` with the window's successes
    /// (call once per window, before either recorder closes it).
    fn merge_successes(&mut self) {
        self.latency_all.absorb_window(&self.latency);
    }

    /// `merge_successes`, then both recorders' windows closed: the
    /// statistics of the successes and of every ended request.
    fn close_latency_windows(&mut self, keep: bool) -> (LatencyStats, LatencyStats) {
        self.latency.close_window_with(&mut self.latency_all, keep)
    }
}

#[derive(Debug, Default, Clone)]
struct DnsCounters {
    lookups: u64,
    cache_hits: u64,
}

/// How requests arrive.
#[derive(Debug)]
enum Source {
    Open {
        profile: RateProfile,
        /// Time of the last arrival, fractional nanoseconds.
        last: f64,
        users: u32,
    },
    Closed {
        think: SiteId,
    },
}

/// Why a run had to stop early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LimitHit {
    InFlight { limit: u64 },
}

/// Something worth a line in events.csv.
#[derive(Clone, Debug, PartialEq)]
pub struct LoggedEvent {
    pub time: SimTime,
    pub kind: &'static str,
    pub scope: String,
    pub detail: String,
}

/// The compiled, running model of one scenario.
pub struct Model {
    streams: Streams,
    sites: IdVec<SiteId, Site>,
    programs: Programs,
    calls: IdVec<CallId, Call>,
    classes: IdVec<ClassId, Class>,
    mix: Mix,
    /// The class a user whose sticky session was lost sends first, and the
    /// users who owe it (sized only with a `relogin` class).
    relogin: Option<ClassId>,
    must_login: keys::KeyTable<bool>,
    mix_stream: crate::engine::StreamId,
    user_stream: crate::engine::StreamId,
    arrival_stream: crate::engine::StreamId,
    retry_stream: crate::engine::StreamId,
    source: Source,
    retry: Retry,
    timeout: Option<SimDuration>,
    /// Timeouts all have the same delay, so they queue in a FIFO lane.
    timeout_lane: Option<Lane>,
    /// Timeouts left in the lane by the last compaction (`client.rs`).
    timeouts_kept: usize,
    /// Call steps' timeouts and retries, retry budgets, their counters.
    call_policies: call_policy::CallPolicies,
    network_internal: SiteId,
    network_client: SiteId,
    stations: IdVec<StationId, Station>,
    groups: Vec<Group>,
    instances: IdVec<InstanceId, Instance>,
    /// Hosts' shared core stations (`[host.*]`).
    hosts: IdVec<crate::scenario::ids::HostId, host::Host>,
    /// Per instance: what it is (a service, a database node, a cache node).
    roles: IdVec<InstanceId, Role>,
    keyspaces: IdVec<KeyspaceId, KeySampler>,
    databases: IdVec<DatabaseId, Database>,
    caches: IdVec<CacheId, CacheCluster>,
    cdns: IdVec<CdnId, cdn::Cdn>,
    fault_sources: IdVec<FaultSourceId, faults::FaultSource>,
    /// Per balancer: its health checks, if any.
    health_checks: IdVec<BalancerId, Option<crate::scenario::HealthCheck>>,
    drills: Vec<drills::Drill>,
    drills_not_recorded: u64,
    window_history: Vec<drills::WindowOutcome>,
    recovery: crate::scenario::Recovery,
    /// Users of the workload (for drill blast radius).
    user_count: u32,
    balancers: IdVec<BalancerId, Balancer>,
    balancer_names: IdVec<BalancerId, String>,
    balancer_totals: IdVec<BalancerId, IdVec<ids::MemberId, u64>>,
    /// Requests a balancer answered 503 to (no healthy instance), this window.
    balancer_unavailable: IdVec<BalancerId, u64>,
    balancer_unavailable_total: IdVec<BalancerId, u64>,
    dns: IdVec<DnsId, Dns>,
    /// Per (user, DNS name): when the user's cached record expires.
    dns_expiry: IdVec<DnsId, keys::KeyTable<SimTime>>,
    dns_window: IdVec<DnsId, DnsCounters>,
    dns_totals: IdVec<DnsId, DnsCounters>,

    requests: Slab<Request>,
    frames: Slab<Frame>,
    /// Frames that can run now; drained after every event, so a chain of
    /// instant steps never recurses.
    ready: DrainFifo<SlabKey>,

    /// Requests of every class. Its latency recorder is the classes' merged
    /// when a window closes, and unused with a single class (whose own is
    /// the overall one).
    overall: RequestScope,
    per_class: IdVec<ClassId, RequestScope>,
    station_metrics: IdVec<StationId, StationMetrics>,
    station_totals: IdVec<StationId, StationCounters>,
    max_in_flight: u64,
    limit_hit: Option<LimitHit>,
    warmup: SimTime,
    in_flight_at_warmup: Option<u64>,
    kept_elapsed_ns: u128,
    events: Vec<LoggedEvent>,
    /// Regions, data centers, partitions and geoDNS.
    geo: geo::Geo,
    /// Message brokers, and per station the queue it consumes (`u32::MAX`: none).
    brokers: IdVec<QueueId, broker::Broker>,
    station_queue: IdVec<StationId, QueueId>,
    /// Autoscalers, and per station the billing of its instances by up-time.
    scalers: IdVec<ScalerId, autoscale::Scaler>,
    billing: IdVec<StationId, autoscale::Billing>,
    /// Message sizes, bytes between regions and through balancers.
    traffic: traffic::Traffic,
    /// The request trace (`run --trace`), when asked for.
    trace: Option<Box<trace::Trace>>,
}

impl Process for Model {
    type Event = Event;

    fn handle(&mut self, event: Event, queue: &mut EventQueue<Event>) {
        match event {
            Event::Arrival => self.on_arrival(queue),
            Event::ThinkDone { user } => self.new_request(user, true, queue),
            Event::Retry { request } => self.start_attempt(request, queue),
            Event::Dispatch { request, attempt } => self.dispatch(request, attempt, queue),
            Event::ArriveBalancer { frame } => self.arrive_balancer(frame, queue),
            Event::ArriveInstance { frame } => self.arrive_instance(frame, queue),
            Event::BalancerDone { frame } => self.balancer_done(frame, queue),
            Event::ComputeDone { frame } => self.compute_done(frame, queue),
            Event::HostShareDone { host, token } => self.share_done(host, token, queue),
            Event::WaitDone { frame } => self.continue_after_wait(frame, queue),
            Event::Reply {
                frame,
                failure,
                value,
            } => self.deliver_reply(frame, failure, value),
            Event::Response {
                request,
                attempt,
                failure,
            } => self.on_response(request, attempt, failure, queue),
            Event::Timeout { request, attempt } => self.on_timeout(request, attempt, queue),
            Event::CallTimeout { frame, token } => self.call_timeout(frame, token, queue),
            Event::CallRetry { frame } => self.call_retry(frame, queue),
            Event::GuardedReply { frame } => self.guarded_reply_arrived(frame, queue),
            Event::LeaseExpired { cache, key, lease } => self.lease_expired(cache, key, lease),
            Event::WarmRestart { cache, node, epoch } => self.warm_step(cache, node, epoch, queue),
            Event::Hedge { frame, token } => self.send_hedge(frame, token, queue),
            Event::BreakerHalfOpen { breaker } => self.breaker_half_open(breaker, queue),
            Event::EjectionOver { balancer, member } => self.ejection_over(balancer, member, queue),
            Event::ReplicaReceive {
                database,
                node,
                seq,
                epoch,
            } => self.replica_receive(database, node, seq, epoch, queue),
            Event::ApplyDone {
                database,
                node,
                seq,
                epoch,
            } => self.apply_done(database, node, seq, epoch, queue),
            Event::Ack { frame } => self.ack(frame),
            Event::SemiSyncTimeout {
                frame,
                database,
                shard,
            } => self.semi_sync_timeout(frame, database, shard, queue.now()),
            Event::Fault { source, undo } => self.fault(source, undo, queue),
            Event::HealthCheck { balancer } => self.health_check(balancer, queue),
            Event::ProbeFailed { balancer, instance } => {
                self.probe_result(balancer, instance, false, queue.now())
            }
            Event::NodeDetected { database, node } => self.node_detected(database, node, queue),
            Event::Promote { database, shard } => self.promote(database, shard, queue),
            Event::Reshard { database } => self.reshard(database, queue),
            Event::Migrate { database } => self.migrate(database, queue),
            Event::DnsCheck { dns } => self.dns_check(dns, queue),
            Event::DnsProbeFailed { dns, target } => self.dns_probe_result(dns, target, false, queue.now()),
            Event::CdnInvalidate { cdn, deploy } => self.cdn_invalidate(cdn, deploy, queue.now()),
            Event::CdnDetected { cdn, edge } => self.cdn_detected(cdn, edge, queue.now()),
            Event::Autoscale { scaler } => self.evaluate_scaler(scaler, queue),
            Event::Booted { instance, launch } => self.booted(instance, launch, queue),
            Event::VisibilityTimeout {
                queue: queue_id,
                delivery,
            } => self.visibility_timeout(queue_id, delivery, queue),
        }
        self.drain_ready(queue);
    }
}

impl Model {
    /// Compiles `scenario` and schedules its first events on `queue`. A
    /// warm cache starts as if it saw no lookups or writes: its TTL and
    /// writes shape its content only with `with_cache_visits`.
    pub fn new(scenario: &Scenario, queue: &mut EventQueue<Event>) -> Model {
        Model::with_cache_visits(scenario, &IdVec::new(), queue)
    }

    /// `new`, with each cache's lookups and writes per request (the walk of
    /// the call graph), which a warm cache with a TTL or writes starts from.
    pub fn with_cache_visits(
        scenario: &Scenario,
        cache_visits: &IdVec<CacheId, CacheVisits>,
        queue: &mut EventQueue<Event>,
    ) -> Model {
        let mut model = compile::compile(scenario, cache_visits);
        model.start(scenario, queue);
        model
    }

    /// Keeps a deterministic share `rate` of the requests created after
    /// the warm-up, for `drain_trace` (see `trace.rs`).
    pub fn enable_trace(&mut self, rate: f64, seed: u64) {
        self.trace = Some(Box::new(trace::Trace::new(rate, seed)));
    }

    /// Hands the traced requests kept since the last call to `sink`.
    pub fn drain_trace(&mut self, sink: &mut dyn FnMut(&[TraceRecord])) {
        if let Some(trace) = &mut self.trace {
            trace.drain(sink);
        }
    }

    /// Traced requests lost to a full trace buffer (0 unless the bound in
    /// `trace.rs` is wrong).
    pub fn trace_dropped(&self) -> u64 {
        self.trace.as_ref().map_or(0, |trace| trace.dropped())
    }

    /// A request ended (`failure` its last attempt's cause, if it failed):
    /// the trace keeps it if sampled.
    #[inline(always)]
    fn trace_end(&mut self, key: SlabKey, request: &Request, failure: Option<Cause>, now: SimTime) {
        let Some(trace) = &mut self.trace else {
            return;
        };
        if request.created < self.warmup || !trace.sample() {
            return;
        }
        let upstream = trace.upstream(key, request.attempt);
        trace.push(TraceRecord {
            start: request.created,
            class: request.class,
            status: trace::status(failure),
            latency: now.since(request.created),
            upstream,
        });
    }

    /// Why the run must stop early, if it must.
    pub fn limit_hit(&self) -> Option<&LimitHit> {
        self.limit_hit.as_ref()
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> u64 {
        self.requests.len() as u64
    }

    /// Calls in flight now (frames, including abandoned attempts' work).
    pub fn calls_in_flight(&self) -> u64 {
        self.frames.len() as u64
    }

    /// What happened, in time order (scheduled changes logged at the start
    /// and things logged as they happened, merged).
    pub fn events(&self) -> Vec<LoggedEvent> {
        let mut events = self.events.clone();
        events.sort_by_key(|event| event.time);
        events
    }

    fn log(&mut self, time: SimTime, kind: &'static str, scope: &str, detail: String) {
        self.events.push(LoggedEvent {
            time,
            kind,
            scope: scope.to_owned(),
            detail,
        });
    }

    #[inline]
    fn sample(&mut self, site: SiteId) -> f64 {
        let site = &self.sites[site];
        match site.sampler {
            // Most hops and many steps are fixed (often zero): no call,
            // no stream.
            Sampler::Const(value) => value,
            ref sampler => sampler.sample(self.streams.get(site.stream)),
        }
    }

    #[inline]
    fn sample_duration(&mut self, site: SiteId) -> SimDuration {
        match self.sites[site].fixed {
            Some(duration) => duration,
            None => SimDuration::from_nanos_f64(self.sample(site)),
        }
    }

    /// Whether the closed workload exists (for observers).
    pub fn is_closed(&self) -> bool {
        matches!(self.source, Source::Closed { .. })
    }

    fn start(&mut self, scenario: &Scenario, queue: &mut EventQueue<Event>) {
        self.timeout_lane = self.timeout.map(|_| queue.add_lane());
        self.add_visibility_lanes(queue);
        self.call_policies.add_lanes(queue);
        self.add_lease_lanes(queue);
        self.call_policies.bulkheads.size_for(&self.instances);
        match (&scenario.workload.arrivals, &self.source) {
            (Arrivals::Open { .. }, Source::Open { .. }) => self.schedule_next_arrival(queue),
            (Arrivals::Closed(closed), Source::Closed { think }) => {
                let think = *think;
                for user in 0..closed.users as u32 {
                    let delay = self.sample_duration(think);
                    queue.schedule_in(delay, Event::ThinkDone { user });
                }
            }
            _ => unreachable!("the source matches the workload"),
        }
        for change in &scenario.workload.profile {
            let detail = format!(
                "rate to {}/s over {}{}",
                change.rate,
                change.over,
                change.hold.map_or(String::new(), |hold| format!(", for {hold}"))
            );
            self.log(SimTime::ZERO + change.at, "rate_change", "workload", detail);
        }
        for (index, database) in scenario.databases.iter().enumerate() {
            if let Some(reshard) = &database.reshard {
                let event = Event::Reshard {
                    database: DatabaseId::from_index(index),
                };
                queue.schedule_at(SimTime::ZERO + reshard.at, event);
            }
        }
        self.schedule_faults(queue);
        self.schedule_scalers(queue);
        self.schedule_health_checks(queue);
        self.schedule_dns_checks(queue);
        self.schedule_cdn_deploys(queue);
        if scenario.warmup > SimDuration::ZERO {
            self.log(
                self.warmup,
                "warmup_end",
                "overall",
                "metrics are kept from here".to_owned(),
            );
        }
        self.events.sort_by_key(|event| event.time);
    }
}
