//! Compiling a resolved scenario into a model: arenas of stations,
//! instances, balancers, DNS names, databases and caches; one sampling site
//! (sampler + named stream) per place that draws; one step program per
//! endpoint, and small programs for database and cache operations.
//!
//! The arenas are indexed by the scenario's typed ids. Stream names follow
//! the scenario's field paths (`pool.web.endpoint.get_item.steps[0].compute`),
//! so adding a component or a step never changes another site's draws.

use std::collections::VecDeque;

use super::autoscale::{Billing, Scaler};
use super::balancer::Balancer;
use super::balancer::{Capacity, Sessions};
use super::breaker::Breaker;
use super::broker::{Broker, Poison, Redelivery};
use super::budget::Budget;
use super::bulkhead::Bulkhead;
use super::cache::{CacheCounters, CacheStore};
use super::call_policy::{CallPolicies, CallPolicy, CallerId, NO_CALLER, NO_POLICY, PolicyId};
use super::cluster::CacheCluster;
use super::coalesce::SingleFlight;
use super::database::{
    Applier, Database, DatabaseCounters, Layout, Node as DatabaseNode, ReshardPlan, Shard,
};
use super::ejection::Ejection;
use super::faults::FaultSource;
use super::frame::{DnsId, InstanceId, StationId};
use super::hedge::{Hedging, hedge_delay};
use super::ids::{
    BalancerId, CacheId, CacheNodeId, ClassId, DatabaseId, DatabaseNodeId, DnsTargetId, EdgeId,
    FaultSourceId, KeyspaceId, MemberId, NodeSlot, QueueId, ScalerId, ShardId,
};
use super::instance::{Instance, Life};
use super::keys::{KeySampler, KeyTable};
use super::program::{CallId, Draft, NO_REFRESH, Op, Programs, SiteId};
use super::ring::Ring;
use super::sampler::{Sampler, Site};
use super::warm::CacheVisits;
use super::warm_restart::Warmer;
use super::workload::{Mix, RateProfile};
use super::{
    Call, Class, Dns, DnsCounters, Group, KeyDraw, Model, RequestScope, Role, Route, Source, Station,
    StationKind,
};
use crate::engine::id::IdVec;
use crate::engine::{DrainFifo, SimDuration, SimTime, Slab, Streams};
use crate::metrics::{LatencyRecorder, StationCounters, StationMetrics};
use crate::scenario::ids::{EndpointId, PoolId};
use crate::scenario::{
    Arrivals, CacheCapacity, CallKeys, ClassCall, Concurrency, Dist, DnsTarget, Entry, Eviction, FaultTarget,
    Guards, Scenario, Step, Target, WarmFrom, WritePolicy,
};

pub(super) struct Builder<'s> {
    pub(super) scenario: &'s Scenario,
    pub(super) streams: Streams,
    pub(super) sites: IdVec<SiteId, Site>,
    pub(super) programs: Programs,
    pub(super) calls: IdVec<CallId, Call>,
    /// Calls whose program is the endpoint (pool, endpoint), filled in last.
    pub(super) pending_calls: Vec<(CallId, PoolId, EndpointId)>,
    /// Each pool's station.
    pub(super) station_ids: IdVec<PoolId, StationId>,
    pub(super) database_read: IdVec<DatabaseId, SiteId>,
    pub(super) database_write: IdVec<DatabaseId, SiteId>,
    /// Per database: the CPU parts of a read and of a write, `None` when zero.
    pub(super) database_read_cpu: IdVec<DatabaseId, Option<SiteId>>,
    pub(super) database_write_cpu: IdVec<DatabaseId, Option<SiteId>>,
    /// Per cache: the CPU part's site (`None` when zero) and the latency's.
    pub(super) cache_work: IdVec<CacheId, (Option<SiteId>, SiteId)>,
    /// Per cache, the refresh program of its first cache-aside read (a
    /// database read, then a fill at the node), its database and whether
    /// its read has a timeout, for `stale_while_revalidate` and `warm_restart`.
    pub(super) cache_refresh: IdVec<CacheId, Option<(u32, DatabaseId, bool)>>,
    /// Per queue: its broker's ack site.
    pub(super) queue_acks: IdVec<QueueId, SiteId>,
    pub(super) network_internal: SiteId,
    pub(super) stations: IdVec<StationId, Station>,
    pub(super) groups: Vec<Group>,
    pub(super) instances: IdVec<InstanceId, Instance>,
    pub(super) roles: IdVec<InstanceId, Role>,
    /// Guarded call steps, and the pool whose endpoints are being compiled.
    pub(super) call_policies: CallPolicies,
    pub(super) compiling_pool: String,
}

impl Builder<'_> {
    pub(super) fn site(&mut self, dist: &Dist, stream: &str) -> SiteId {
        let stream = self.streams.register(stream);
        self.sites.push(Site::new(Sampler::new(dist), stream))
    }

    /// The route to a DNS name, balancer or pool, following DNS targets.
    fn route(&self, entry: Entry) -> Route {
        match entry {
            Entry::Dns(dns) => match self.scenario.dns[dns].target {
                DnsTarget::Balancer(balancer) => Route::Balancer(balancer),
                DnsTarget::Pool(pool) => Route::Pool(self.station_ids[pool]),
            },
            Entry::Balancer(balancer) => Route::Balancer(balancer),
            Entry::Pool(pool) => Route::Pool(self.station_ids[pool]),
        }
    }

    pub(super) fn push_call(&mut self, route: Route, program: u32, key: Option<KeyDraw>) -> CallId {
        self.calls.push(Call {
            route,
            program,
            key,
            policy: NO_POLICY,
            lookup: false,
        })
    }

    /// How a call to data of `keyspace` draws its own key, named by `path`.
    pub(super) fn key_draw(&mut self, keyspace: Option<KeyspaceId>, path: &str) -> Option<KeyDraw> {
        keyspace.map(|keyspace| KeyDraw {
            keyspace,
            stream: self.streams.register(&format!("{path}.key")),
        })
    }

    /// A `call` step's timeout and retries, drawing its jitter from
    /// `{path}.retry`, counted for the pool being compiled.
    fn call_policy(&mut self, keys: &CallKeys, target: Target, path: &str) -> PolicyId {
        let caller = self.call_policies.caller(&self.compiling_pool.clone());
        let scenario = self.scenario;
        let hedge = keys.hedge.map(|hedge| {
            let pool = &scenario.pools[scenario.entry_pool(target.entry)];
            let speed = scenario.pool_size(pool).speed;
            self.call_policies.hedges.add(caller);
            Hedging {
                delay: hedge_delay(hedge.after, &pool.endpoints[target.endpoint].service, speed),
                max: hedge.max,
                loser: hedge.loser,
            }
        });
        let scope = format!("call:{}->{}", self.compiling_pool, scenario.target_text(target));
        self.push_policy(&keys.guards, hedge, caller, scope, path)
    }

    /// A `read` or `write` step's timeout, retries, breaker and bulkhead on
    /// its database operation (as a call step's; its breaker's scope
    /// `call:<pool>-><database>/<read|write>`).
    fn data_policy(&mut self, guards: &Guards, database: DatabaseId, write: bool, path: &str) -> PolicyId {
        let caller = self.call_policies.caller(&self.compiling_pool.clone());
        let operation = if write { "write" } else { "read" };
        let database = &self.scenario.databases[database].name;
        let scope = format!("call:{}->{database}/{operation}", self.compiling_pool);
        self.push_policy(guards, None, caller, scope, path)
    }

    /// Compiles a guarded step's policy (its `guards`, and a call step's
    /// `hedge`) for `caller`, its breaker and bulkhead named by `scope`, its
    /// jitter drawn from `{path}.retry`.
    fn push_policy(
        &mut self,
        guards: &Guards,
        hedge: Option<Hedging>,
        caller: CallerId,
        scope: String,
        path: &str,
    ) -> PolicyId {
        let stream = self.streams.register(&format!("{path}.retry"));
        let breaker = guards.breaker.map(|config| {
            let breakers = &mut self.call_policies.breakers.breakers;
            breakers.push(Breaker::new(config, scope.clone()))
        });
        let bulkhead = guards.bulkhead.map(|config| {
            let bulkheads = &mut self.call_policies.bulkheads.bulkheads;
            bulkheads.push(Bulkhead::new(config.max_concurrent, scope.clone()))
        });
        let fallback = guards.fallback.is_some();
        if fallback {
            self.call_policies.callers[caller].falls_back = true;
        }
        self.call_policies.policies.push(CallPolicy {
            fallback,
            timeout: guards.timeout,
            lane: None,
            retry: guards.retry.clone(),
            budget: guards
                .retry
                .as_ref()
                .and_then(|retry| retry.budget.as_ref())
                .map(Budget::new),
            stream,
            caller,
            hedge,
            breaker,
            bulkhead,
            background: false,
        })
    }

    /// The database read of a cache's background program (a refresh or a
    /// warm-up read), as `read` (the step's read call) but bounded by
    /// `timeout` alone: a background read takes none of the step's retries,
    /// breaker, bulkhead or fallback, which are its pool's, and its timeouts
    /// are counted by the cache. Without a timeout, the step's call itself
    /// when it is unguarded (the same call as ever).
    fn background_read(&mut self, read: CallId, timeout: Option<SimDuration>, path: &str) -> CallId {
        let call = self.calls[read];
        let policy = match timeout {
            None if call.policy == NO_POLICY => return read,
            None => NO_POLICY,
            Some(timeout) => {
                let stream = self.streams.register(&format!("{path}.background"));
                self.call_policies.policies.push(CallPolicy {
                    fallback: false,
                    timeout: Some(timeout),
                    lane: None,
                    retry: None,
                    budget: None,
                    stream,
                    caller: NO_CALLER,
                    hedge: None,
                    breaker: None,
                    bulkhead: None,
                    background: true,
                })
            }
        };
        self.calls.push(Call { policy, ..call })
    }

    /// A call to `target`, its program resolved at the end.
    pub(super) fn endpoint_call(&mut self, target: Target) -> CallId {
        let route = self.route(target.entry);
        let pool = self.scenario.entry_pool(target.entry);
        let id = self.push_call(route, u32::MAX, None);
        self.pending_calls.push((id, pool, target.endpoint));
        id
    }

    /// A read or write of `database`, the part that holds only its
    /// connection drawn at `site` (the CPU part at the database's own).
    pub(super) fn database_call(&mut self, id: DatabaseId, write: bool, site: SiteId, path: &str) -> CallId {
        let op = if write {
            Op::DatabaseWrite { database: id }
        } else {
            Op::DatabaseRead { database: id }
        };
        let mut draft = self.database_work(id, write, site);
        draft.push(Draft::Op(op));
        let program = self.programs.place(draft);
        let route = if write {
            Route::DatabaseWrite(id)
        } else {
            Route::DatabaseRead(id)
        };
        let scenario = self.scenario;
        let keyspace = scenario.databases[id].keyspace;
        let key = self.key_draw(keyspace, path);
        self.push_call(route, program, key)
    }

    /// The work of one database operation at a node: its CPU part (a
    /// core, time / speed) and then the part that holds only its
    /// connection, drawn at `io`; either left out when it is zero.
    fn database_work(&self, id: DatabaseId, write: bool, io: SiteId) -> Vec<Draft> {
        let cpu = if write {
            self.database_write_cpu[id]
        } else {
            self.database_read_cpu[id]
        };
        let mut draft = Vec::new();
        if let Some(cpu) = cpu {
            draft.push(Draft::Op(Op::Compute(cpu)));
        }
        if !self.sites[io].sampler.is_zero() {
            draft.push(Draft::Op(Op::Delay(io)));
        }
        draft
    }

    /// A cache operation `op` on `cache`: its CPU part on one of the
    /// node's cores (time / speed), then the part that holds only its
    /// connection; either left out when it is zero.
    fn cache_call(&mut self, id: CacheId, op: Op, path: &str) -> CallId {
        let (cpu, latency) = self.cache_work[id];
        let mut draft = Vec::new();
        if let Some(cpu) = cpu {
            draft.push(Draft::Op(Op::Compute(cpu)));
        }
        if !self.sites[latency].sampler.is_zero() {
            draft.push(Draft::Op(Op::Delay(latency)));
        }
        draft.push(Draft::Op(op));
        let program = self.programs.place(draft);
        let scenario = self.scenario;
        let key = self.key_draw(Some(scenario.caches[id].keyspace), path);
        let lookup = matches!(op, Op::CacheLookup { .. });
        let call = self.push_call(Route::Cache(id), program, key);
        self.calls[call].lookup = lookup;
        call
    }

    fn compile_sequence(&mut self, steps: &[Step], path: &str) -> u32 {
        let mut draft = Vec::new();
        self.compile_into(&mut draft, steps, path);
        self.programs.place(draft)
    }

    fn compile_into(&mut self, draft: &mut Vec<Draft>, steps: &[Step], path: &str) {
        for (index, step) in steps.iter().enumerate() {
            let here = format!("{path}.steps[{index}]");
            match step {
                Step::Compute(dist) => {
                    let site = self.site(dist, &format!("{here}.compute"));
                    draft.push(Draft::Op(Op::Compute(site)));
                }
                Step::Delay(dist) => {
                    let site = self.site(dist, &format!("{here}.delay"));
                    draft.push(Draft::Op(Op::Delay(site)));
                }
                Step::Call { target, keys } => {
                    let call = self.endpoint_call(*target);
                    if !keys.is_plain() {
                        self.calls[call].policy = self.call_policy(keys, *target, &here);
                    }
                    draft.push(Draft::Op(Op::Call(call)));
                    self.push_fallback(draft, keys.guards.fallback.as_ref(), &here);
                }
                Step::Read { .. } | Step::Write { .. } => self.compile_data_step(draft, step, &here),
                Step::Parallel(branches) => {
                    let starts: Vec<u32> = branches
                        .iter()
                        .enumerate()
                        .map(|(branch, steps)| {
                            self.compile_sequence(steps, &format!("{here}.parallel[{branch}]"))
                        })
                        .collect();
                    let fork = self.programs.fork(&starts);
                    draft.push(Draft::Op(fork));
                }
                Step::Enqueue(queue) => {
                    let (queue, ack) = (*queue, self.queue_acks[*queue]);
                    draft.push(Draft::Op(Op::Enqueue { queue, ack }));
                }
                Step::Maybe { keys, steps } => {
                    let at = draft.len();
                    draft.push(Draft::Op(Op::End));
                    self.compile_into(draft, steps, &here);
                    let stream = self.streams.register(&format!("{here}.probability"));
                    draft[at] = Draft::MaybeRelative {
                        probability: keys.probability,
                        stream,
                        skip_relative: draft.len() as u32,
                    };
                }
            }
        }
    }

    /// After a guarded step's `Call`, its `fallback`: a jump over it (taken
    /// when the step succeeds) and its CPU part, where a step that failed
    /// for good goes on (`call_policy.rs`).
    fn push_fallback(&mut self, draft: &mut Vec<Draft>, fallback: Option<&Dist>, here: &str) {
        if let Some(dist) = fallback {
            let site = self.site(dist, &format!("{here}.fallback"));
            draft.push(Draft::JumpRelative {
                to_relative: draft.len() as u32 + 2,
            });
            draft.push(Draft::Op(Op::Compute(site)));
        }
    }

    /// A read or write, alone or with its cache:
    /// cache-aside read: `get; if hit skip; read; fill`;
    /// write with a cache: `write; invalidate` or `write; fill`.
    fn compile_data_step(&mut self, draft: &mut Vec<Draft>, step: &Step, here: &str) {
        let (Step::Read {
            database,
            cache,
            keys,
        }
        | Step::Write {
            database,
            cache,
            keys,
        }) = step
        else {
            unreachable!("only data steps come here");
        };
        let write = matches!(step, Step::Write { .. });
        let site = match &keys.service {
            Some(dist) => self.site(dist, &format!("{here}.service")),
            None if write => self.database_write[*database],
            None => self.database_read[*database],
        };
        let database_call = self.database_call(*database, write, site, here);
        if !keys.guards.is_none() {
            self.calls[database_call].policy = self.data_policy(&keys.guards, *database, write, here);
        }
        let fallback = keys.guards.fallback.as_ref();
        let Some(cache) = cache else {
            draft.push(Draft::Op(Op::Call(database_call)));
            self.push_fallback(draft, fallback, here);
            return;
        };
        let cache_id = *cache;
        if write {
            draft.push(Draft::Op(Op::Call(database_call)));
            self.push_fallback(draft, fallback, here);
            let policy = self.scenario.caches[cache_id].write_policy;
            let op = match policy {
                WritePolicy::Invalidate => Op::CacheInvalidate { cache: cache_id },
                WritePolicy::WriteThrough => Op::CacheFill { cache: cache_id },
            };
            let call = self.cache_call(cache_id, op, &format!("{here}.cache"));
            draft.push(Draft::Op(Op::Call(call)));
        } else {
            let cache = &self.scenario.caches[cache_id];
            let refresh = if cache.stale_while_revalidate.is_some() || cache.warm_restart.is_some() {
                let timeout = cache.background_timeout.or(keys.guards.timeout);
                let read = self.background_read(database_call, timeout, here);
                let program = self.programs.place(vec![
                    Draft::Op(Op::Call(read)),
                    Draft::Op(Op::CacheFill { cache: cache_id }),
                ]);
                self.cache_refresh[cache_id].get_or_insert((program, *database, timeout.is_some()));
                program
            } else {
                NO_REFRESH
            };
            let lookup = Op::CacheLookup {
                cache: cache_id,
                database: *database,
                refresh: if cache.stale_while_revalidate.is_some() {
                    refresh
                } else {
                    NO_REFRESH
                },
            };
            let get = self.cache_call(cache_id, lookup, &format!("{here}.cache"));
            let fill = self.cache_call(
                cache_id,
                Op::CacheFill { cache: cache_id },
                &format!("{here}.fill"),
            );
            draft.push(Draft::Op(Op::Call(get)));
            let jump_at = draft.len();
            draft.push(Draft::Op(Op::End));
            draft.push(Draft::Op(Op::Call(database_call)));
            self.push_fallback(draft, fallback, here);
            draft.push(Draft::Op(Op::Call(fill)));
            draft[jump_at] = Draft::JumpIfHitRelative {
                to_relative: draft.len() as u32,
            };
        }
    }

    /// Adds a station of `count` identical instances.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn station(
        &mut self,
        name: String,
        count: u32,
        workers: u32,
        queue_capacity: Option<u32>,
        cores: u32,
        speed: f64,
        price_per_hour: f64,
        async_waits: bool,
        role: impl Fn(MemberId) -> Role,
    ) -> StationId {
        let id = self.stations.next_id();
        let first_instance = self.instances.next_id();
        for index in 0..count {
            self.instances
                .push(Instance::new(id, workers, queue_capacity, cores, speed));
            self.roles.push(role(MemberId(index)));
        }
        self.stations.push(Station {
            name,
            first_instance,
            instance_count: count,
            workers_per_instance: workers,
            cores_per_instance: cores.min(workers),
            price_per_hour,
            async_waits,
            next: 0,
            shedding: None,
            host: None,
        });
        id
    }

    fn group(&mut self, name: &str, kind: StationKind, first_station: StationId) {
        self.groups.push(Group {
            name: name.to_owned(),
            kind,
            first_station,
            station_count: (self.stations.len() - first_station.index()) as u32,
        });
    }
}

/// Compiles `scenario`; `cache_visits` is each cache's traffic per request
/// (a warm cache's steady state depends on it; missing: none).
pub(super) fn compile(scenario: &Scenario, cache_visits: &IdVec<CacheId, CacheVisits>) -> Model {
    let mut builder = Builder {
        scenario,
        streams: Streams::new(scenario.seed),
        sites: IdVec::new(),
        programs: Programs::default(),
        calls: IdVec::new(),
        pending_calls: Vec::new(),
        call_policies: CallPolicies {
            client_budget: scenario.workload.retry.budget.as_ref().map(Budget::new),
            ..CallPolicies::default()
        },
        compiling_pool: String::new(),
        station_ids: IdVec::new(),
        database_read: IdVec::new(),
        database_write: IdVec::new(),
        database_read_cpu: IdVec::new(),
        database_write_cpu: IdVec::new(),
        cache_work: IdVec::new(),
        cache_refresh: IdVec::from_elem(None, scenario.caches.len()),
        queue_acks: IdVec::new(),
        network_internal: SiteId(0),
        stations: IdVec::new(),
        groups: Vec::new(),
        instances: IdVec::new(),
        roles: IdVec::new(),
    };
    let network_internal = builder.site(&scenario.network.default, "network.default");
    builder.network_internal = network_internal;
    let network_client = builder.site(&scenario.network.client, "network.client");
    let users = scenario.workload.arrivals.users();
    let mut keyspaces: IdVec<KeyspaceId, KeySampler> = IdVec::new();
    for keyspace in &scenario.keyspaces {
        keyspaces.push(KeySampler::new(keyspace, users));
    }

    build_pools(scenario, &mut builder);
    let databases = build_databases(scenario, &mut builder, &keyspaces);
    let mut caches = build_caches(scenario, &mut builder, &keyspaces, cache_visits);
    let hosts = super::host::place(&mut builder);
    let shared_stations = super::host::shared_stations(&builder, &hosts);
    let balancers = build_balancers(scenario, &mut builder);
    let cdns = super::compile_cdn::build_cdns(scenario, &mut builder, &keyspaces);
    let mut brokers = build_brokers(scenario, &mut builder);
    let dns: IdVec<DnsId, Dns> = scenario
        .dns
        .iter()
        .map(|dns| Dns {
            name: dns.name.clone(),
            ttl: dns.ttl,
            resolve: builder.site(&dns.resolve, &format!("dns.{}.resolve", dns.name)),
        })
        .collect();

    // Endpoint programs: the session read (with a session store), the
    // endpoint's own service, then its steps.
    let mut endpoint_starts: IdVec<PoolId, IdVec<EndpointId, u32>> = IdVec::new();
    for pool in &scenario.pools {
        let mut starts = IdVec::new();
        for endpoint in &pool.endpoints {
            let path = format!("pool.{}.endpoint.{}", pool.name, endpoint.name);
            builder.compiling_pool.clone_from(&pool.name);
            let mut draft = Vec::new();
            if let Some(read) = pool.session_read() {
                builder.compile_data_step(&mut draft, &read, &format!("{path}.session"));
            }
            if !Sampler::new(&endpoint.service).is_zero() {
                let site = builder.site(&endpoint.service, &format!("{path}.service"));
                draft.push(Draft::Op(Op::Compute(site)));
            }
            builder.compile_into(&mut draft, &endpoint.steps, &path);
            let start = builder.programs.place(draft);
            starts.push(start);
        }
        endpoint_starts.push(starts);
    }

    let classes: IdVec<ClassId, Class> = scenario
        .workload
        .mix
        .iter()
        .map(|class| Class {
            name: class.name.clone(),
            entry: match &class.call {
                ClassCall::Cdn { cdn, .. } => cdns[*cdn].1,
                ClassCall::Endpoint(target) => builder.endpoint_call(*target),
            },
            dns: match class.call.target().map(|target| target.entry) {
                Some(Entry::Dns(dns)) => Some(dns),
                _ => None,
            },
            key: builder.key_draw(class.key, &format!("workload.mix.{}", class.name)),
        })
        .collect();
    // A class through a geoDNS name has an entry call per target (none at
    // all without geoDNS names, so the per-request check is one compare).
    let mut class_entries: IdVec<ClassId, IdVec<DnsTargetId, CallId>> = scenario
        .workload
        .mix
        .iter()
        .map(|class| match class.call.target() {
            Some(
                call @ Target {
                    entry: Entry::Dns(dns),
                    ..
                },
            ) => match scenario.geo.dns(dns) {
                Some(geo) => (0..geo.targets.len())
                    .map(|index| builder.endpoint_call(scenario.geo_target(geo, index, call)))
                    .collect(),
                None => IdVec::new(),
            },
            _ => IdVec::new(),
        })
        .collect();
    if class_entries.iter().all(IdVec::is_empty) {
        class_entries = IdVec::new();
    }
    for (id, cluster) in caches.iter_enumerated_mut() {
        if let (Some(warmer), Some((program, database, timeout))) =
            (cluster.warm_restart.as_deref_mut(), builder.cache_refresh[id])
        {
            warmer.program = program;
            warmer.timeout = timeout;
            warmer.database = database;
            warmer.keyspace = scenario.caches[id].keyspace;
        }
    }
    for (call, pool, endpoint) in std::mem::take(&mut builder.pending_calls) {
        builder.calls[call].program = endpoint_starts[pool][endpoint];
    }
    for (pool_id, pool) in scenario.pools.iter_enumerated() {
        let station = builder.station_ids[pool_id];
        builder.stations[station].shedding = super::shedding::for_pool(pool, &endpoint_starts[pool_id]);
    }
    let mut station_queue = IdVec::from_elem(super::queues::NO_QUEUE, builder.stations.len());
    for ((index, broker), queue) in brokers.iter_enumerated_mut().zip(&scenario.queues) {
        let pool = scenario.entry_pool(queue.consumer.entry);
        broker.consumer = builder.station_ids[pool];
        broker.program = endpoint_starts[pool][queue.consumer.endpoint];
        let slot = &mut station_queue[broker.consumer];
        if *slot == super::queues::NO_QUEUE {
            *slot = index;
        }
    }
    let scalers = build_scalers(scenario, &mut builder, &station_queue);
    let mut billing: IdVec<StationId, Billing> = builder
        .stations
        .iter()
        .map(|station| {
            let running = builder.instances[station.instances()]
                .iter()
                .filter(|instance| instance.life.provisioned())
                .count();
            Billing::new(running as u64)
        })
        .collect();
    // The shard nodes a reshard adds are billed from the reshard on.
    for (database, state) in scenario.databases.iter().zip(&databases) {
        let Some(reshard) = &database.reshard else {
            continue;
        };
        for node in state.nodes.iter().filter(|node| node.shard.0 >= database.shards) {
            let station = builder.instances[node.instance].station;
            billing[station] = Billing::from(1, SimTime::ZERO + reshard.at);
        }
    }

    let source = match &scenario.workload.arrivals {
        Arrivals::Open { rate, keys } => Source::Open {
            profile: RateProfile::new(
                rate.per_second(),
                &scenario.workload.profile,
                scenario.workload.diurnal.as_ref(),
            ),
            last: 0.0,
            users: keys.users as u32,
        },
        Arrivals::Closed(closed) => Source::Closed {
            think: builder.site(&closed.think, "workload.think"),
        },
    };
    let uses_dns = classes.iter().any(|class| class.dns.is_some());
    // Per DNS name, when each user's cached answer expires: sparse for a
    // large population (only users who asked take memory).
    let dns_expiry = if uses_dns {
        (0..dns.len())
            .map(|_| KeyTable::new(users as u32, SimTime::ZERO))
            .collect()
    } else {
        IdVec::new()
    };
    let mut geo = super::geo_compile::build(
        scenario,
        &super::geo_compile::Arenas {
            stations: &builder.stations,
            station_ids: &builder.station_ids,
            instances: &builder.instances,
            databases: &databases,
            caches: &caches,
            balancers: &balancers,
        },
    );
    geo.class_entries = class_entries;
    super::compile_cdn::place_edges(&mut geo, &cdns, builder.instances.len());
    let traffic = super::traffic::Traffic::build(
        scenario,
        &builder.programs,
        &builder.calls,
        &endpoint_starts,
        &geo,
    );
    let mut fault_sources: IdVec<FaultSourceId, FaultSource> = (0..scenario.faults.len())
        .map(|index| {
            let instances = match &scenario.faults[index].target {
                FaultTarget::Cdn { cdn } | FaultTarget::CdnEdge { cdn, .. } => {
                    let edges = &cdns[*cdn].0.edges;
                    match &scenario.faults[index].target {
                        FaultTarget::CdnEdge { edge, .. } => vec![edges[EdgeId(*edge)]],
                        _ => edges.iter().copied().collect(),
                    }
                }
                target => fault_instances(target, &builder, &databases, &caches),
            };
            let mut source = FaultSource::new(scenario, index, instances, &mut builder.streams);
            if let FaultTarget::Queue { queue } = &scenario.faults[index].target {
                source.queue = Some(*queue);
            }
            source
        })
        .collect();
    super::geo_compile::attach_faults(scenario, &geo, &mut fault_sources);
    let mix_stream = builder.streams.register("workload.mix");
    let user_stream = builder.streams.register("workload.users");
    let arrival_stream = builder.streams.register("workload.arrivals");
    let retry_stream = builder.streams.register("workload.retry");
    let balancer_totals = balancers
        .iter()
        .map(|b| IdVec::from_elem(0, b.instance_count as usize))
        .collect();
    let station_count = builder.stations.len();
    let dns_count = dns.len();
    let falls_back = builder.call_policies.any_fallback();
    Model {
        hosts,
        streams: builder.streams,
        sites: builder.sites,
        programs: builder.programs,
        calls: builder.calls,
        mix: Mix::new(scenario.workload.mix.iter().map(|class| class.weight)),
        relogin: scenario.workload.relogin,
        must_login: KeyTable::new(
            scenario
                .workload
                .relogin
                .map_or(0, |_| scenario.workload.arrivals.users() as u32),
            false,
        ),
        per_class: classes.iter().map(|_| RequestScope::new(falls_back)).collect(),
        classes,
        mix_stream,
        user_stream,
        arrival_stream,
        retry_stream,
        source,
        retry: scenario.workload.retry.clone(),
        timeout: scenario.workload.timeout,
        timeout_lane: None,
        timeouts_kept: 0,
        call_policies: builder.call_policies,
        network_internal,
        network_client,
        stations: builder.stations,
        groups: builder.groups,
        instances: builder.instances,
        roles: builder.roles,
        keyspaces,
        databases,
        caches,
        cdns: cdns.into_iter().map(|(cdn, _)| cdn).collect(),
        fault_sources,
        health_checks: scenario
            .balancers
            .iter()
            .map(|b| b.health_check.clone())
            .collect(),
        drills: Vec::new(),
        drills_not_recorded: 0,
        window_history: Vec::new(),
        recovery: scenario.recovery.clone(),
        user_count: users as u32,
        balancer_names: scenario.balancers.iter().map(|b| b.name.clone()).collect(),
        balancer_unavailable: IdVec::from_elem(0, scenario.balancers.len()),
        balancer_unavailable_total: IdVec::from_elem(0, scenario.balancers.len()),
        balancers,
        balancer_totals,
        dns,
        dns_expiry,
        dns_window: IdVec::from_elem(DnsCounters::default(), dns_count),
        dns_totals: IdVec::from_elem(DnsCounters::default(), dns_count),
        requests: Slab::new(),
        frames: Slab::new(),
        ready: DrainFifo::new(),
        overall: RequestScope::new(falls_back),
        station_metrics: (0..station_count)
            .map(|index| {
                let mut metrics = StationMetrics::default();
                // On a processor-sharing host its CPU gauge counts shares.
                metrics.cpu_shared = shared_stations.contains(&StationId(index as u32));
                metrics
            })
            .collect(),
        station_totals: IdVec::from_elem(StationCounters::default(), station_count),
        max_in_flight: scenario.limits.max_in_flight,
        limit_hit: None,
        warmup: SimTime::ZERO + scenario.warmup,
        in_flight_at_warmup: None,
        kept_elapsed_ns: 0,
        events: Vec::new(),
        geo,
        brokers,
        station_queue,
        scalers,
        billing,
        traffic,
        trace: None,
    }
}

/// The instances a fault hits.
fn fault_instances(
    target: &FaultTarget,
    builder: &Builder,
    databases: &IdVec<DatabaseId, Database>,
    caches: &IdVec<CacheId, CacheCluster>,
) -> Vec<InstanceId> {
    match target {
        FaultTarget::Pool { pool } | FaultTarget::PoolInstance { pool, .. } => {
            let station = &builder.stations[builder.station_ids[*pool]];
            match target {
                FaultTarget::PoolInstance { instance, .. } => {
                    vec![MemberId(*instance).instance(station.first_instance)]
                }
                _ => station.instance_ids().collect(),
            }
        }
        FaultTarget::DatabasePrimary { database, shard }
        | FaultTarget::DatabaseReplica { database, shard, .. } => {
            let state = &databases[*database];
            let slot = NodeSlot(match target {
                FaultTarget::DatabaseReplica { replica, .. } => replica + 1,
                _ => 0,
            });
            let node = state
                .nodes
                .iter()
                .find(|node| node.shard == ShardId(*shard) && node.slot == slot)
                .expect("fault targets are checked at load");
            vec![node.instance]
        }
        FaultTarget::CacheNode { cache, node } => {
            vec![caches[*cache].nodes[CacheNodeId(*node)]]
        }
        // Filled in from the data centers' placements (`geo_compile`).
        FaultTarget::Datacenter { .. } | FaultTarget::Partition { .. } => Vec::new(),
        FaultTarget::Cdn { .. } | FaultTarget::CdnEdge { .. } | FaultTarget::CdnEdgeNamed { .. } => {
            unreachable!("CDN faults are resolved by the caller (named edges at load)")
        }
        // A broker is no instance; the fault source names its queue.
        FaultTarget::Queue { .. } => Vec::new(),
    }
}

fn build_pools(scenario: &Scenario, builder: &mut Builder) {
    for pool in &scenario.pools {
        let size = scenario.pool_size(pool);
        let first = builder.stations.next_id();
        // An autoscaled pool's arena holds its `max` from the start; those
        // beyond the starting count are stopped until launched.
        let arena = pool
            .autoscale
            .as_ref()
            .map_or(pool.instances, |scale| scale.max.max(pool.instances));
        let id = builder.station(
            pool.name.clone(),
            arena,
            pool.workers,
            pool.queue_capacity,
            size.cores,
            size.speed,
            size.price_per_hour,
            pool.concurrency == Concurrency::Async,
            |_| Role::Service,
        );
        builder.station_ids.push(id);
        builder.group(&pool.name, StationKind::Pool, first);
        let first_instance = builder.stations[id].first_instance;
        let stopped =
            MemberId(pool.instances).instance(first_instance)..MemberId(arena).instance(first_instance);
        for instance in &mut builder.instances[stopped] {
            instance.life = Life::Stopped;
        }
    }
}

fn build_databases(
    scenario: &Scenario,
    builder: &mut Builder,
    keyspaces: &IdVec<KeyspaceId, KeySampler>,
) -> IdVec<DatabaseId, Database> {
    let mut databases = IdVec::new();
    for database in &scenario.databases {
        let id = databases.next_id();
        let read = builder.site(&database.read, &format!("database.{}.read", database.name));
        let write = builder.site(&database.write, &format!("database.{}.write", database.name));
        builder.database_read.push(read);
        builder.database_write.push(write);
        for (dist, what) in [
            (&database.read_cpu, "read_cpu"),
            (&database.write_cpu, "write_cpu"),
        ] {
            let site = (!Sampler::new(dist).is_zero())
                .then(|| builder.site(dist, &format!("database.{}.{what}", database.name)));
            match what {
                "read_cpu" => builder.database_read_cpu.push(site),
                _ => builder.database_write_cpu.push(site),
            };
        }
        // Every node stands on the database's size: its cores bound the
        // CPU parts (and a replica's applies), whatever the connections.
        let size = scenario.database_size(database);
        let apply = builder.site(
            &database.replication.apply,
            &format!("database.{}.apply", database.name),
        );
        // Shard nodes exist for the larger of the shard counts before and
        // after a reshard; the extra ones idle until it.
        let shard_count = database
            .shards
            .max(database.reshard.as_ref().map_or(1, |r| r.shards));
        let first = builder.stations.next_id();
        let mut shards = IdVec::new();
        let mut nodes: IdVec<DatabaseNodeId, DatabaseNode> = IdVec::new();
        for shard in (0..shard_count).map(ShardId) {
            let mut members = Vec::new();
            for slot in 0..=database.replicas {
                let name = database.node_name(shard.0, slot);
                let node = nodes.next_id();
                // Each node billed by up-time at its size's price (0 without a size).
                let station = builder.station(
                    name,
                    1,
                    database.connections,
                    database.queue_capacity,
                    size.cores,
                    size.speed,
                    size.price_per_hour,
                    false,
                    move |_| Role::DatabaseNode { database: id, node },
                );
                if database.size.is_some() {
                    builder.stations[station].cores_per_instance = size.cores;
                    let instance = builder.stations[station].first_instance;
                    builder.instances[instance].cores_limit = true;
                }
                nodes.push(DatabaseNode {
                    instance: builder.stations[station].first_instance,
                    shard,
                    slot: NodeSlot(slot),
                    received: 0,
                    applied: 0,
                    applier: Applier::default(),
                    known_down: false,
                });
                members.push(node);
            }
            shards.push(Shard {
                primary: members[0],
                replicas: members[1..].to_vec(),
                next_replica: 0,
                epoch: 0,
                log: VecDeque::new(),
                next_seq: 1,
                promoting: false,
                degraded: false,
                catch_up_to: 0,
            });
        }
        builder.group(&database.name, StationKind::Database, first);
        let keys = database.keyspace.map_or(0, |keyspace| keyspaces[keyspace].keys());
        let tracked = database.keyspace.is_some();
        databases.push(Database {
            name: database.name.clone(),
            shards,
            nodes,
            layout: Layout::new(database.shards as usize, database.sharding),
            keys,
            reshard: database.reshard.as_ref().map(|reshard| ReshardPlan {
                shards: reshard.shards as usize,
                interval: SimDuration::from_secs_f64(1.0 / reshard.rate),
                read_program: {
                    let draft = builder.database_work(id, false, read);
                    builder.programs.place(draft)
                },
                write_program: {
                    let draft = builder.database_work(id, true, write);
                    builder.programs.place(draft)
                },
            }),
            migration: None,
            read_from: database.read_from,
            mode: database.replication.mode,
            apply,
            ship: match &database.replication.ship {
                Some(ship) => builder.site(ship, &format!("database.{}.ship", database.name)),
                None => builder.network_internal,
            },
            appliers_per_replica: database.replication.appliers,
            size,
            failover: database.failover.clone(),
            version: tracked.then(|| KeyTable::new(keys, 0)),
            last_writer: tracked.then(|| KeyTable::new(keys, u32::MAX)),
            // A slot per node of a shard, when there are replicas.
            applied: if database.replicas > 0 {
                (0..=database.replicas).map(|_| KeyTable::new(keys, 0)).collect()
            } else {
                IdVec::new()
            },
            window: DatabaseCounters::default(),
            total: DatabaseCounters::default(),
            lag: LatencyRecorder::default(),
        });
    }
    databases
}

fn build_caches(
    scenario: &Scenario,
    builder: &mut Builder,
    keyspaces: &IdVec<KeyspaceId, KeySampler>,
    cache_visits: &IdVec<CacheId, CacheVisits>,
) -> IdVec<CacheId, CacheCluster> {
    let mut caches = IdVec::new();
    for cache in &scenario.caches {
        let id = caches.next_id();
        let latency = builder.site(&cache.latency, &format!("cache.{}.latency", cache.name));
        let cpu = (!Sampler::new(&cache.cpu).is_zero())
            .then(|| builder.site(&cache.cpu, &format!("cache.{}.cpu", cache.name)));
        builder.cache_work.push((cpu, latency));
        // Every node computes on its `threads` of its size's cores, whatever
        // its connections (Redis executes commands on one thread).
        let cores = scenario.cache_cores(cache);
        let keyspace = cache.keyspace;
        let keys = keyspaces[keyspace].keys();
        // A cache node counts entries: with sizes that vary, a byte
        // capacity holds as many entries as values of the mean size fill.
        let value_bytes = scenario.keyspaces[cache.keyspace].value_size.mean().max(1.0) as u64;
        let capacity = match cache.capacity {
            CacheCapacity::Entries(entries) => entries,
            CacheCapacity::Bytes(bytes) => bytes / value_bytes,
        }
        .min(keys as u64) as u32;
        let first = builder.stations.next_id();
        let mut nodes = IdVec::new();
        let price_per_hour = cache.size.map_or(0.0, |size| scenario.sizes[size].price_per_hour);
        for node in (0..cache.nodes).map(CacheNodeId) {
            let station = builder.station(
                format!("{}.node[{node}]", cache.name),
                1,
                cache.connections,
                None,
                cores.cores,
                cores.speed,
                price_per_hour,
                false,
                move |_| Role::CacheNode { cache: id, node },
            );
            builder.stations[station].cores_per_instance = cores.cores;
            let instance = builder.stations[station].first_instance;
            builder.instances[instance].cores_limit = true;
            nodes.push(instance);
        }
        builder.group(&cache.name, StationKind::Cache, first);
        caches.push(CacheCluster {
            name: cache.name.clone(),
            ring: Ring::new(cache.nodes, cache.virtual_nodes),
            stores: (0..cache.nodes)
                .map(|_| {
                    CacheStore::new(
                        cache.eviction,
                        capacity,
                        keys,
                        cache.ttl,
                        cache.ttl_refresh_on_hit,
                    )
                })
                .collect(),
            up: IdVec::from_elem(true, nodes.len()),
            totals: IdVec::from_elem(CacheCounters::default(), nodes.len()),
            nodes,
            on_node_failure: cache.on_node_failure,
            cores: cores.cores,
            evict_stream: builder.streams.register(&format!("cache.{}.evict", cache.name)),
            unavailable_window: 0,
            unavailable_total: 0,
            coalesce: cache
                .coalesce
                .then(|| Box::new(SingleFlight::new(cache.lease_timeout))),
            revalidate: cache.stale_while_revalidate.map(|_| Box::default()),
            warm_restart: None,
        });
        if let Some(window) = cache.stale_while_revalidate {
            for store in caches[id].stores.iter_mut() {
                store.serve_stale_for(window);
            }
        }
        if let Some(warm) = &cache.warm_restart {
            let limit = warm.keys.unwrap_or(capacity).min(capacity);
            let ring = &caches[id].ring;
            let hottest = match warm.from {
                WarmFrom::Database => super::warm_restart::hottest_keys(
                    cache.nodes as usize,
                    limit,
                    keys,
                    |rank| keyspaces[keyspace].key_of_rank(rank),
                    |key| ring.owner(key, |_| true).unwrap_or(0) as usize,
                ),
                WarmFrom::Peer => vec![Vec::new(); cache.nodes as usize],
            };
            caches[id].warm_restart = Some(Box::new(Warmer::new(
                warm.from, warm.rate, limit, capacity, hottest,
            )));
        }
        if cache.warm {
            let visits = cache_visits.get(id).copied().unwrap_or_default();
            super::warm::warm_cache(
                scenario,
                cache,
                &keyspaces[keyspace],
                &mut caches[id],
                visits,
                starting_rate(scenario),
            );
        }
        debug_assert!(Eviction::ALL.contains(&cache.eviction));
    }
    caches
}

/// Requests per second at time 0: the open rate there, or a closed
/// workload's users over their mean think time.
fn starting_rate(scenario: &Scenario) -> f64 {
    match &scenario.workload.arrivals {
        Arrivals::Open { rate, .. } => RateProfile::new(
            rate.per_second(),
            &scenario.workload.profile,
            scenario.workload.diurnal.as_ref(),
        )
        .rate_per_second(SimTime::ZERO),
        Arrivals::Closed(closed) => closed.users as f64 / (closed.think.mean() / 1e9).max(1e-9),
    }
}

fn build_balancers(scenario: &Scenario, builder: &mut Builder) -> IdVec<BalancerId, Balancer> {
    let users = scenario.workload.arrivals.users() as u32;
    scenario
        .balancers
        .iter()
        .map(|balancer| {
            let pool = &builder.stations[builder.station_ids[balancer.pool]];
            let (first_instance, instance_count) = (pool.first_instance, pool.instance_count);
            Balancer {
                policy: balancer.policy,
                first_instance,
                instance_count,
                latency_site: builder.site(&balancer.latency, &format!("balancer.{}.latency", balancer.name)),
                stream: builder
                    .streams
                    .register(&format!("balancer.{}.pick", balancer.name)),
                next: 0,
                forwarded_window: IdVec::from_elem(0, instance_count as usize),
                in_rotation: IdVec::from_elem(true, instance_count as usize),
                probe_failures: IdVec::from_elem(0, instance_count as usize),
                probe_successes: IdVec::from_elem(0, instance_count as usize),
                sessions: balancer.sticky.as_ref().map(|sticky| {
                    let store = scenario.pools[balancer.pool].session_store;
                    Sessions::new(sticky.session_ttl, users, store.is_none())
                }),
                capacity: (balancer.cores.is_some() || balancer.max_connections.is_some())
                    .then(|| Box::new(Capacity::new(balancer.cores, balancer.max_connections))),
                price_per_hour: balancer.price_per_hour,
                ejection: balancer
                    .outlier_ejection
                    .map(|config| Box::new(Ejection::new(config, instance_count))),
            }
        })
        .collect()
}

fn build_brokers(scenario: &Scenario, builder: &mut Builder) -> IdVec<QueueId, Broker> {
    scenario
        .queues
        .iter()
        .map(|queue| {
            let ack = builder.site(&queue.latency, &format!("queue.{}.latency", queue.name));
            builder.queue_acks.push(ack);
            let mut broker = Broker::new(
                queue.name.clone(),
                queue.capacity,
                queue.when_full,
                queue.durable,
                ack,
            );
            broker.price_per_hour = queue.price_per_hour;
            if queue.max_deliveries.is_some() || queue.visibility_timeout.is_some() {
                broker.redelivery = Some(Redelivery {
                    max_deliveries: queue.max_deliveries.unwrap_or(u32::MAX),
                    visibility_timeout: queue.visibility_timeout,
                });
            }
            broker.dead_letter = queue.dead_letter;
            broker.poison = queue.poison.filter(|&share| share > 0.0).map(|share| Poison {
                share,
                stream: builder.streams.register(&format!("queue.{}.poison", queue.name)),
            });
            broker
        })
        .collect()
}

fn build_scalers(
    scenario: &Scenario,
    builder: &mut Builder,
    station_queue: &IdVec<StationId, QueueId>,
) -> IdVec<ScalerId, Scaler> {
    scenario
        .pools
        .iter_enumerated()
        .filter_map(|(id, pool)| pool.autoscale.as_ref().map(|scale| (id, pool, scale)))
        .map(|(id, pool, scale)| {
            let station = builder.station_ids[id];
            let mut serving = crate::metrics::TimeWeighted::default();
            serving.set(SimTime::ZERO, pool.instances as u64);
            Scaler {
                pool: pool.name.clone(),
                station,
                min: scale.min,
                max: scale.max,
                metric: scale.metric,
                target: scale.target,
                interval: scale.interval,
                cooldown: scale.cooldown,
                scale_in_cooldown: scale.scale_in_cooldown,
                boot: builder.site(&scale.boot, &format!("pool.{}.autoscale.boot", pool.name)),
                queue: station_queue[station],
                last_action: None,
                last_eval: SimTime::ZERO,
                launches: IdVec::from_elem(0, builder.stations[station].instance_count as usize),
                busy_closed: 0,
                busy_mark: 0,
                serving,
                serving_mark: 0,
                actions: 0,
            }
        })
        .collect()
}
