//! Compiling `[cdn.*]`: one instance and one byte-capacity store per edge,
//! the edge program (lookup, jump if hit, call the origin, fill), the
//! origin call (an endpoint, or a read of a database), the entry call that
//! classes naming the CDN use, object sizes and deploys.

use super::cache::CacheStore;
use super::cdn::{Cdn, CdnCounters, Deploy, ObjectSizes};
use super::compile::Builder;
use super::geo::{Geo, NO_REGION};
use super::ids::{CdnId, EdgeId, KeyspaceId, RegionId};
use super::keys::KeySampler;
use super::program::{CallId, Draft, Op};
use super::sampler::Sampler;
use super::{Role, Route};
use crate::engine::SimTime;
use crate::engine::id::IdVec;
use crate::engine::random::stream_state;
use crate::scenario::{CdnOrigin, DeployMode, Dist, Scenario};

/// Each CDN's state and the call that reaches it.
pub(super) fn build_cdns(
    scenario: &Scenario,
    builder: &mut Builder,
    keyspaces: &IdVec<KeyspaceId, KeySampler>,
) -> IdVec<CdnId, (Cdn, CallId)> {
    let mut cdns = IdVec::new();
    for cdn in &scenario.cdns {
        let id = cdns.next_id();
        let path = format!("cdn.{}", cdn.name);
        let keyspace = &scenario.keyspaces[cdn.keyspace];
        let objects = keyspaces[cdn.keyspace].keys();
        let origin = match &cdn.origin {
            CdnOrigin::Endpoint(target) => builder.endpoint_call(*target),
            CdnOrigin::Database(database) => {
                let database = *database;
                let read = builder.database_read[database];
                builder.database_call(database, false, read, &format!("{path}.origin"))
            }
        };
        let program = builder.programs.place(vec![
            Draft::Op(Op::CdnLookup { cdn: id }),
            Draft::JumpIfHitRelative { to_relative: 4 },
            Draft::Op(Op::Call(origin)),
            Draft::Op(Op::CdnFill { cdn: id }),
        ]);
        let key = builder.key_draw(Some(cdn.keyspace), &path);
        let entry = builder.push_call(Route::Cdn(id), program, key);
        let mut edges = IdVec::new();
        let mut edge_scopes = IdVec::new();
        for edge in (0..cdn.edges.count()).map(EdgeId) {
            let scope = cdn.edges.scope(&cdn.name, edge.0);
            // Edges serve from memory at network speed: no worker or CPU
            // limit is modelled, only their bytes.
            let workers = 1 << 30;
            let station = builder.station(
                scope.clone(),
                1,
                workers,
                None,
                workers,
                1.0,
                0.0,
                false,
                move |_| Role::CdnEdge { cdn: id, edge },
            );
            edges.push(builder.stations[station].first_instance);
            edge_scopes.push(scope);
        }
        let count = edges.len();
        let constant = match keyspace.value_size {
            Dist::Const { value } => Some(value),
            _ => None,
        };
        let sizes = ObjectSizes::new(
            Sampler::new(&keyspace.value_size),
            constant,
            stream_state(scenario.seed, &format!("keyspace.{}.value_size", keyspace.name)),
        );
        let deploys = cdn
            .deploys
            .iter()
            .enumerate()
            .map(|(number, deploy)| Deploy {
                at: SimTime::ZERO + deploy.at,
                mode: deploy.mode,
                share: deploy.share,
                propagation: deploy.propagation,
                salt: stream_state(scenario.seed, &format!("{path}.deploy[{number}]")) as u64,
            })
            .collect();
        // Every name an object can have: one more per versioned deploy
        // (the loader checks that they fit in 32 bits).
        let versioned = cdn
            .deploys
            .iter()
            .filter(|deploy| deploy.mode == DeployMode::Versioned)
            .count() as u32;
        let names = objects * (versioned + 1);
        let mut state = Cdn {
            name: cdn.name.clone(),
            region_edge: crate::scenario::cdn_regions::region_edges(scenario, cdn)
                .into_iter()
                .map(EdgeId)
                .collect(),
            edge_region: crate::scenario::cdn_regions::edge_regions(scenario, cdn)
                .into_iter()
                .map(RegionId)
                .collect(),
            edge_scopes,
            stores: (0..count)
                .map(|_| CacheStore::with_bytes(cdn.eviction, cdn.capacity, names, cdn.ttl, false))
                .collect(),
            edges,
            objects,
            sizes,
            deploys,
            latency: builder.site(&cdn.latency, &format!("{path}.latency")),
            origin,
            fallback: cdn.fallback,
            detection: cdn.detection,
            health_check: cdn.health_check.clone(),
            known_down: IdVec::from_elem(false, count),
            price_per_gb: cdn.price_per_gb,
            evict_stream: builder.streams.register(&format!("{path}.evict")),
            window: IdVec::from_elem(CdnCounters::default(), count),
            totals: IdVec::from_elem(CdnCounters::default(), count),
            fallback_window: 0,
            fallback_total: 0,
            unavailable_window: 0,
            unavailable_total: 0,
        };
        if cdn.warm {
            super::warm::warm_cdn(scenario, cdn, &keyspaces[cdn.keyspace], &mut state);
        }
        cdns.push((state, entry));
    }
    cdns
}

/// Stands each edge in its region, for the latency between users, edges
/// and the origin (edges are in no data center: no partition reaches them).
pub(super) fn place_edges(geo: &mut Geo, cdns: &IdVec<CdnId, (Cdn, CallId)>, instances: usize) {
    geo.instance_region = IdVec::from_elem(NO_REGION, instances);
    for (cdn, _) in cdns {
        for (&edge, &region) in cdn.edges.iter().zip(&cdn.edge_region) {
            geo.instance_region[edge] = region;
        }
    }
}
