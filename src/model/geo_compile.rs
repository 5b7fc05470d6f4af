//! Compiling the scenario's geography into the model's `Geo` tables: the
//! latency matrix by region id, each instance's, station's and balancer's
//! data center, each geoDNS name's targets, and what data-center and
//! partition faults hit. A balancer with no `datacenter` of its own stands
//! with its pool.

use super::Station;
use super::balancer::Balancer;
use super::cluster::CacheCluster;
use super::database::Database;
use super::faults::FaultSource;
use super::frame::{InstanceId, NO_BALANCER, StationId};
use super::geo::{DnsTarget, Geo, NO_DC};
use super::ids::{BalancerId, CacheId, DatabaseId, DatacenterId, FaultSourceId};
use crate::engine::id::IdVec;
use crate::scenario::geo::Placed;
use crate::scenario::{self, FaultTarget, Scenario};

/// What `build` needs from the compiled arenas.
pub(super) struct Arenas<'a> {
    pub stations: &'a IdVec<StationId, Station>,
    pub station_ids: &'a IdVec<crate::scenario::ids::PoolId, StationId>,
    pub instances: &'a IdVec<InstanceId, super::instance::Instance>,
    pub databases: &'a IdVec<DatabaseId, Database>,
    pub caches: &'a IdVec<CacheId, CacheCluster>,
    pub balancers: &'a IdVec<BalancerId, Balancer>,
}

pub(super) fn build(scenario: &Scenario, arenas: &Arenas) -> Geo {
    let geo = &scenario.geo;
    let regions: Vec<(String, f64)> = geo.regions.iter().map(|r| (r.name.clone(), r.users)).collect();
    let mut link_ns = Vec::with_capacity(regions.len() * regions.len());
    for a in geo.regions.ids() {
        for b in geo.regions.ids() {
            link_ns.push(geo.latency(a, b).as_nanos());
        }
    }
    let datacenters = geo
        .datacenters
        .iter()
        .map(|dc| (dc.name.clone(), dc.region))
        .collect();
    let mut state = Geo::new(regions, link_ns, datacenters);
    state.instance_dc = IdVec::from_elem(NO_DC, arenas.instances.len());
    state.station_dc = IdVec::from_elem(NO_DC, arenas.stations.len());
    let place = |state: &mut Geo, station: StationId, dc: Option<DatacenterId>| {
        let dc = dc.unwrap_or(NO_DC);
        state.station_dc[station] = dc;
        state.instance_dc[arenas.stations[station].instances()].fill(dc);
    };
    for pool in scenario.pools.ids() {
        place(
            &mut state,
            arenas.station_ids[pool],
            geo.datacenter_of(Placed::Pool(pool)),
        );
    }
    for (id, database) in arenas.databases.iter_enumerated() {
        for node in &database.nodes {
            let dc = match node.slot.0 {
                0 => geo.datacenter_of(Placed::Database(id)),
                slot => geo.replica_datacenter(id, slot - 1),
            };
            place(&mut state, arenas.instances[node.instance].station, dc);
        }
    }
    for (id, cache) in arenas.caches.iter_enumerated() {
        let dc = geo.datacenter_of(Placed::Cache(id));
        for node in &cache.nodes {
            place(&mut state, arenas.instances[*node].station, dc);
        }
    }
    state.balancer_dc = arenas
        .balancers
        .iter_enumerated()
        .map(|(id, balancer)| match geo.datacenter_of(Placed::Balancer(id)) {
            Some(dc) => dc,
            None => state.instance_dc[balancer.first_instance],
        })
        .collect();
    state.balancer_down = IdVec::from_elem(None, arenas.balancers.len());
    state.balancer_refused_window = IdVec::from_elem(0, arenas.balancers.len());
    state.balancer_refused_total = IdVec::from_elem(0, arenas.balancers.len());
    let users = scenario.workload.arrivals.users() as u32;
    state.dns = scenario
        .dns
        .ids()
        .map(|dns| {
            let spec = geo.dns(dns)?;
            let targets = spec
                .targets
                .iter()
                .map(|&answer| target(scenario, arenas, &state, answer))
                .collect();
            Some(state.dns_state(targets, spec.keys.health_check.clone(), users))
        })
        .collect();
    state
}

fn target(scenario: &Scenario, arenas: &Arenas, state: &Geo, answer: scenario::DnsTarget) -> DnsTarget {
    let (balancer, first_instance, instance_count, datacenter) = match answer {
        scenario::DnsTarget::Balancer(id) => {
            let balancer = &arenas.balancers[id];
            (
                id,
                balancer.first_instance,
                balancer.instance_count,
                state.balancer_dc[id],
            )
        }
        scenario::DnsTarget::Pool(pool) => {
            let station = arenas.station_ids[pool];
            let pool = &arenas.stations[station];
            (
                NO_BALANCER,
                pool.first_instance,
                pool.instance_count,
                state.station_dc[station],
            )
        }
    };
    DnsTarget {
        name: scenario.dns_target_name(answer).to_owned(),
        datacenter,
        balancer,
        first_instance,
        instance_count,
        healthy: true,
        failures: 0,
        successes: 0,
        answers_window: 0,
        answers_total: 0,
    }
}

/// Fills in what data-center kills and partitions hit: every instance and
/// balancer of the data center(s).
pub(super) fn attach_faults(scenario: &Scenario, geo: &Geo, sources: &mut IdVec<FaultSourceId, FaultSource>) {
    for (fault, source) in scenario.faults.iter().zip(sources) {
        let dcs: Vec<DatacenterId> = match &fault.target {
            FaultTarget::Datacenter { datacenter } => vec![*datacenter],
            FaultTarget::Partition { a, b } => {
                source.partition = Some((*a, *b));
                vec![*a, *b]
            }
            _ => continue,
        };
        source.instances = geo
            .instance_dc
            .iter_enumerated()
            .filter(|(_, dc)| dcs.contains(dc))
            .map(|(instance, _)| instance)
            .collect();
        if source.partition.is_none() {
            source.balancers = geo
                .balancer_dc
                .iter_enumerated()
                .filter(|(_, dc)| dcs.contains(dc))
                .map(|(balancer, _)| balancer)
                .collect();
        }
    }
}
