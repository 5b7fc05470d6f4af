//! Compiling a resolved scenario into a model: arenas of stations,
//! instances, balancers and DNS names; one sampling site (sampler + named
//! stream) per place that draws; one step program per endpoint.
//!
//! Names become typed ids here, once. Stream names follow the scenario's
//! field paths (`pool.web.endpoint.get_item.steps[0].compute`), so adding a
//! component or a step never changes another site's draws.

use std::collections::{BTreeMap, VecDeque};

use super::balancer::Balancer;
use super::frame::{DnsId, StationId};
use super::instance::Instance;
use super::program::{CallId, Draft, Op, Programs, SiteId};
use super::sampler::{Sampler, Site};
use super::workload::{Mix, RateProfile};
use super::{Call, Class, Dns, DnsCounters, Model, RequestScope, Route, Source, Station, StationKind};
use crate::engine::{SimTime, Slab, Streams};
use crate::metrics::{StationCounters, StationMetrics};
use crate::scenario::{Arrivals, Dist, Scenario, Step};

struct Builder<'s> {
    scenario: &'s Scenario,
    streams: Streams,
    sites: Vec<Site>,
    programs: Programs,
    calls: Vec<Call>,
    /// Calls whose program is the endpoint (pool, endpoint), filled in last.
    pending_calls: Vec<(CallId, String, String)>,
    station_ids: BTreeMap<String, StationId>,
    balancer_ids: BTreeMap<String, u32>,
    database_read: BTreeMap<String, SiteId>,
    database_write: BTreeMap<String, SiteId>,
}

impl Builder<'_> {
    fn site(&mut self, dist: &Dist, stream: &str) -> SiteId {
        let stream = self.streams.register(stream);
        self.sites.push(Site {
            sampler: Sampler::new(dist),
            stream,
        });
        SiteId::from_index(self.sites.len() - 1)
    }

    /// The route to a DNS name, balancer or pool, following DNS targets.
    fn route(&self, component: &str) -> Route {
        if let Some(dns) = self.scenario.dns_name(component) {
            return self.route(&dns.target);
        }
        if let Some(&balancer) = self.balancer_ids.get(component) {
            return Route::Balancer(balancer);
        }
        Route::Pool(self.station_ids[component])
    }

    /// A call to `component/endpoint`, its program resolved at the end.
    fn endpoint_call(&mut self, component: &str, endpoint: &str) -> CallId {
        let route = self.route(component);
        let pool = self.scenario.pool_behind(component).expect("checked at load");
        self.calls.push(Call {
            route,
            program: u32::MAX,
        });
        let id = CallId::from_index(self.calls.len() - 1);
        self.pending_calls
            .push((id, pool.name.clone(), endpoint.to_owned()));
        id
    }

    fn database_call(&mut self, database: &str, site: SiteId) -> CallId {
        let program = self.programs.place(vec![Draft::Op(Op::Compute(site))]);
        let station = self.station_ids[database];
        self.calls.push(Call {
            route: Route::Database(station),
            program,
        });
        CallId::from_index(self.calls.len() - 1)
    }

    fn compile_sequence(&mut self, steps: &[Step], path: &str) -> u32 {
        let mut draft = Vec::new();
        self.compile_into(&mut draft, steps, path);
        self.programs.place(draft)
    }

    fn compile_into(&mut self, draft: &mut Vec<Draft>, steps: &[Step], path: &str) {
        for (index, step) in steps.iter().enumerate() {
            let here = format!("{path}.steps[{index}]");
            let op = match step {
                Step::Compute(dist) => Op::Compute(self.site(dist, &format!("{here}.compute"))),
                Step::Delay(dist) => Op::Delay(self.site(dist, &format!("{here}.delay"))),
                Step::Call(target) => Op::Call(self.endpoint_call(&target.component, &target.endpoint)),
                Step::Read { database, service } | Step::Write { database, service } => {
                    let site = match service {
                        Some(dist) => self.site(dist, &format!("{here}.service")),
                        None if matches!(step, Step::Read { .. }) => self.database_read[database],
                        None => self.database_write[database],
                    };
                    Op::Call(self.database_call(database, site))
                }
                Step::Parallel(branches) => {
                    let starts: Vec<u32> = branches
                        .iter()
                        .enumerate()
                        .map(|(branch, steps)| {
                            self.compile_sequence(steps, &format!("{here}.parallel[{branch}]"))
                        })
                        .collect();
                    self.programs.fork(&starts)
                }
                Step::Maybe { probability, steps } => {
                    let at = draft.len();
                    draft.push(Draft::Op(Op::End));
                    self.compile_into(draft, steps, &here);
                    let stream = self.streams.register(&format!("{here}.probability"));
                    draft[at] = Draft::MaybeRelative {
                        probability: *probability,
                        stream,
                        skip_relative: draft.len() as u32,
                    };
                    continue;
                }
            };
            draft.push(Draft::Op(op));
        }
    }
}

pub(super) fn compile(scenario: &Scenario) -> Model {
    let mut builder = Builder {
        scenario,
        streams: Streams::new(scenario.seed),
        sites: Vec::new(),
        programs: Programs::default(),
        calls: Vec::new(),
        pending_calls: Vec::new(),
        station_ids: BTreeMap::new(),
        balancer_ids: BTreeMap::new(),
        database_read: BTreeMap::new(),
        database_write: BTreeMap::new(),
    };
    let network_internal = builder.site(&scenario.network.default, "network.default");
    let network_client = builder.site(&scenario.network.client, "network.client");

    let (stations, instances) = build_stations(scenario, &mut builder);
    let balancers = build_balancers(scenario, &mut builder, &stations);
    let dns: Vec<Dns> = scenario
        .dns
        .iter()
        .map(|dns| Dns {
            name: dns.name.clone(),
            ttl: dns.ttl,
            resolve: builder.site(&dns.resolve, &format!("dns.{}.resolve", dns.name)),
        })
        .collect();
    for database in &scenario.databases {
        if let Some(read) = &database.read {
            let site = builder.site(read, &format!("database.{}.read", database.name));
            builder.database_read.insert(database.name.clone(), site);
        }
        if let Some(write) = &database.write {
            let site = builder.site(write, &format!("database.{}.write", database.name));
            builder.database_write.insert(database.name.clone(), site);
        }
    }

    // Endpoint programs: the endpoint's own service first, then its steps.
    let mut endpoint_starts: BTreeMap<(String, String), u32> = BTreeMap::new();
    for pool in &scenario.pools {
        for endpoint in &pool.endpoints {
            let path = format!("pool.{}.endpoint.{}", pool.name, endpoint.name);
            let mut draft = Vec::new();
            if !Sampler::new(&endpoint.service).is_zero() {
                let site = builder.site(&endpoint.service, &format!("{path}.service"));
                draft.push(Draft::Op(Op::Compute(site)));
            }
            builder.compile_into(&mut draft, &endpoint.steps, &path);
            let start = builder.programs.place(draft);
            endpoint_starts.insert((pool.name.clone(), endpoint.name.clone()), start);
        }
    }

    let classes: Vec<Class> = scenario
        .workload
        .mix
        .iter()
        .map(|class| Class {
            name: class.name.clone(),
            entry: builder.endpoint_call(&class.call.component, &class.call.endpoint),
            dns: scenario
                .dns
                .iter()
                .position(|dns| dns.name == class.call.component)
                .map(DnsId::from_index),
        })
        .collect();
    for (call, pool, endpoint) in std::mem::take(&mut builder.pending_calls) {
        builder.calls[call.index()].program = endpoint_starts[&(pool, endpoint)];
    }

    let (source, users) = match &scenario.workload.arrivals {
        Arrivals::Open { rate, users } => (
            Source::Open {
                profile: RateProfile::new(
                    rate.per_second(),
                    &scenario.workload.profile,
                    scenario.workload.diurnal.as_ref(),
                ),
                last: 0.0,
                users: *users as u32,
            },
            *users,
        ),
        Arrivals::Closed { users, think } => (
            Source::Closed {
                think: builder.site(think, "workload.think"),
            },
            *users,
        ),
    };
    let uses_dns = classes.iter().any(|class| class.dns.is_some());
    let dns_expiry = if uses_dns {
        vec![SimTime::ZERO; users as usize * dns.len()]
    } else {
        Vec::new()
    };
    let mix_stream = builder.streams.register("workload.mix");
    let user_stream = builder.streams.register("workload.users");
    let arrival_stream = builder.streams.register("workload.arrivals");
    let retry_stream = builder.streams.register("workload.retry");
    let balancer_totals = balancers
        .iter()
        .map(|b| vec![0; b.instance_count as usize])
        .collect();
    let station_count = stations.len();
    let dns_count = dns.len();
    Model {
        streams: builder.streams,
        sites: builder.sites,
        programs: builder.programs,
        calls: builder.calls,
        mix: Mix::new(scenario.workload.mix.iter().map(|class| class.weight)),
        per_class: classes.iter().map(|_| RequestScope::default()).collect(),
        classes,
        mix_stream,
        user_stream,
        arrival_stream,
        retry_stream,
        source,
        retry: scenario.workload.retry.clone(),
        timeout: scenario.workload.timeout,
        timeout_lane: None,
        network_internal,
        network_client,
        stations,
        instances,
        balancer_names: scenario.balancers.iter().map(|b| b.name.clone()).collect(),
        balancers,
        balancer_totals,
        dns,
        dns_expiry,
        dns_window: vec![DnsCounters::default(); dns_count],
        dns_totals: vec![DnsCounters::default(); dns_count],
        requests: Slab::new(),
        frames: Slab::new(),
        ready: VecDeque::new(),
        overall: RequestScope::default(),
        station_metrics: (0..station_count).map(|_| StationMetrics::default()).collect(),
        station_totals: vec![StationCounters::default(); station_count],
        max_in_flight: scenario.limits.max_in_flight,
        limit_hit: None,
        warmup: SimTime::ZERO + scenario.warmup,
        in_flight_at_warmup: None,
        kept_elapsed_ns: 0,
        events: Vec::new(),
    }
}

fn build_stations(scenario: &Scenario, builder: &mut Builder) -> (Vec<Station>, Vec<Instance>) {
    let mut stations = Vec::new();
    let mut instances = Vec::new();
    for pool in &scenario.pools {
        let size = scenario.pool_size(pool);
        let id = StationId::from_index(stations.len());
        builder.station_ids.insert(pool.name.clone(), id);
        let first_instance = instances.len() as u32;
        for _ in 0..pool.instances {
            instances.push(Instance::new(
                id,
                pool.workers,
                pool.queue_capacity,
                size.cores,
                size.speed,
            ));
        }
        stations.push(Station {
            name: pool.name.clone(),
            kind: StationKind::Pool,
            first_instance,
            instance_count: pool.instances,
            workers_per_instance: pool.workers,
            cores_per_instance: size.cores.min(pool.workers),
            price_per_hour: size.price_per_hour,
            async_waits: pool.concurrency == crate::scenario::Concurrency::Async,
            next: 0,
        });
    }
    for database in &scenario.databases {
        let id = StationId::from_index(stations.len());
        builder.station_ids.insert(database.name.clone(), id);
        let first_instance = instances.len() as u32;
        instances.push(Instance::new(
            id,
            database.connections,
            database.queue_capacity,
            database.connections,
            1.0,
        ));
        stations.push(Station {
            name: database.name.clone(),
            kind: StationKind::Database,
            first_instance,
            instance_count: 1,
            workers_per_instance: database.connections,
            cores_per_instance: database.connections,
            price_per_hour: 0.0,
            async_waits: false,
            next: 0,
        });
    }
    (stations, instances)
}

fn build_balancers(scenario: &Scenario, builder: &mut Builder, stations: &[Station]) -> Vec<Balancer> {
    scenario
        .balancers
        .iter()
        .enumerate()
        .map(|(index, balancer)| {
            builder.balancer_ids.insert(balancer.name.clone(), index as u32);
            let pool = &stations[builder.station_ids[&balancer.pool].index()];
            Balancer {
                policy: balancer.policy,
                first_instance: pool.first_instance,
                instance_count: pool.instance_count,
                latency_site: builder.site(&balancer.latency, &format!("balancer.{}.latency", balancer.name)),
                stream: builder
                    .streams
                    .register(&format!("balancer.{}.pick", balancer.name)),
                next: 0,
                forwarded_window: vec![0; pool.instance_count as usize],
            }
        })
        .collect()
}
