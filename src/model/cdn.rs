//! The CDN at work: which edge a user reaches, the edge's lookup and fill
//! (each edge one `CacheStore` with a byte capacity, so the hit ratio comes
//! from the traffic), the catalog's object sizes and versions, deploys
//! (versioned names or invalidation with a propagation delay), and the
//! outage path (refused until detected, then the fallback).
//!
//! An edge is an instance (role `CdnEdge`) running a four-op program —
//! lookup, jump if hit, call the origin, fill — so a miss is an ordinary
//! downstream call and the origin's load shows in its own metrics. Edges
//! have no modelled CPU or worker limit: a CDN's edge capacity is bytes.
//!
//! Versions are computed, not stored: an object's version at time t is the
//! number of deploys up to t that changed it, and whether a deploy changes
//! an object is a fixed hash of (deploy, object) against its share. So no
//! per-object state exists beyond the edges' stores. Edges store objects by
//! *name*: a versioned deploy gives a changed object a new name (`object +
//! objects × g`, g its versioned changes so far), so the old copy stays in
//! the edges, never asked for again, until it is evicted or expires — the
//! way `app.3f2a.js` lingers after `app.9c1b.js` replaced it. An
//! invalidating deploy keeps the name and changes the content: an edge's
//! copy older than the origin's is served stale until the purge.

use super::cache::CacheStore;
use super::frame::{InstanceId, MISS};
use super::ids::{CdnId, DeployId, EdgeId, RegionId};
use super::keys::mix64;
use super::program::{CallId, Op, SiteId};
use super::sampler::Sampler;
use super::{Event, Model, Role};
use crate::engine::id::IdVec;
use crate::engine::{EventQueue, SimDuration, SimTime, SlabKey, Stream, StreamId};
use crate::scenario::{CdnFallback, DeployMode};

/// Counts of one edge over a window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CdnCounters {
    pub requests: u64,
    pub hits: u64,
    pub misses: u64,
    pub origin_requests: u64,
    pub egress_bytes: u64,
    pub stale_reads: u64,
    pub evictions: u64,
    /// Objects whose TTL ran out while the edge held them.
    pub expired: u64,
}

impl CdnCounters {
    pub fn merge(&mut self, other: &CdnCounters) {
        self.requests += other.requests;
        self.hits += other.hits;
        self.misses += other.misses;
        self.origin_requests += other.origin_requests;
        self.egress_bytes += other.egress_bytes;
        self.stale_reads += other.stale_reads;
        self.evictions += other.evictions;
        self.expired += other.expired;
    }

    pub fn hit_ratio(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.hits as f64 / self.requests as f64
        }
    }
}

/// Every object's size, drawn once per object: a generator seeded by
/// (stream, object) so an object always has the same size, whichever
/// request asks first.
#[derive(Debug)]
pub struct ObjectSizes {
    sampler: Sampler,
    constant: Option<u32>,
    seed: u128,
}

impl ObjectSizes {
    pub fn new(sampler: Sampler, constant: Option<f64>, seed: u128) -> Self {
        ObjectSizes {
            sampler,
            constant: constant.map(|bytes| bytes.clamp(1.0, u32::MAX as f64) as u32),
            seed,
        }
    }

    #[inline]
    pub fn of(&self, key: u32) -> u32 {
        if let Some(bytes) = self.constant {
            return bytes;
        }
        let mixed = mix64(key as u64 ^ (self.seed as u64));
        let mut rng = Stream::new(self.seed ^ (((mixed as u128) << 64) | key as u128));
        self.sampler
            .sample(&mut rng)
            .round()
            .clamp(1.0, crate::scenario::bounds::MAX_OBJECT_BYTES as f64) as u32
    }
}

/// A compiled deploy.
#[derive(Clone, Copy, Debug)]
pub struct Deploy {
    pub at: SimTime,
    pub mode: DeployMode,
    pub share: f64,
    pub propagation: SimDuration,
    /// Hash salt: which objects this deploy changes.
    pub salt: u64,
}

impl Deploy {
    /// Whether this deploy changes object `key`.
    #[inline]
    pub fn changes(&self, key: u32) -> bool {
        let unit = (mix64(key as u64 ^ self.salt) >> 11) as f64 / (1u64 << 53) as f64;
        unit < self.share
    }
}

/// A CDN's state.
#[derive(Debug)]
pub struct Cdn {
    pub name: String,
    /// Output scope of each edge.
    pub edge_scopes: IdVec<EdgeId, String>,
    /// The instance of each edge.
    pub edges: IdVec<EdgeId, InstanceId>,
    /// Per user region: the edge that serves it (its own, or the nearest).
    /// Empty without regions: users spread over the edges by a hash.
    pub region_edge: IdVec<RegionId, EdgeId>,
    /// Per edge: the region it stands in (empty without regions).
    pub edge_region: IdVec<EdgeId, RegionId>,
    pub stores: IdVec<EdgeId, CacheStore>,
    /// Objects in the catalog.
    pub objects: u32,
    pub sizes: ObjectSizes,
    pub deploys: IdVec<DeployId, Deploy>,
    /// Client ↔ edge, one way.
    pub latency: SiteId,
    /// The call to the origin, for clients falling back to it.
    pub origin: CallId,
    pub fallback: CdnFallback,
    pub detection: SimDuration,
    /// Probes that detect a dead edge instead of `detection`, if configured.
    pub health_check: Option<crate::scenario::HealthCheck>,
    /// Per edge: clients know it is down and use the fallback.
    pub known_down: IdVec<EdgeId, bool>,
    pub price_per_gb: f64,
    pub evict_stream: StreamId,
    pub window: IdVec<EdgeId, CdnCounters>,
    pub totals: IdVec<EdgeId, CdnCounters>,
    /// Requests sent straight to the origin (edge down), this window.
    pub fallback_window: u64,
    pub fallback_total: u64,
    /// Requests failed as unavailable (edge down, no fallback), this window.
    pub unavailable_window: u64,
    pub unavailable_total: u64,
}

impl Cdn {
    /// The edge that serves `user`, who is in `region`: the region's edge
    /// when edges stand in regions, else a fixed hash of the user id.
    #[inline]
    pub fn edge_for_user(&self, user: u32, region: RegionId) -> EdgeId {
        match self.region_edge.get(region) {
            Some(&edge) => edge,
            None => EdgeId((mix64(user as u64) % self.edges.len() as u64) as u32),
        }
    }

    /// The version of `key` the origin serves at `now`.
    #[inline]
    pub fn version(&self, key: u32, now: SimTime) -> u32 {
        self.deploys
            .iter()
            .take_while(|deploy| deploy.at <= now)
            .filter(|deploy| deploy.changes(key))
            .count() as u32
    }

    /// The name edges store `key` under at `now`: a new one after each
    /// versioned deploy that changed it.
    #[inline]
    pub fn name(&self, key: u32, now: SimTime) -> u32 {
        let renames = self
            .deploys
            .iter()
            .take_while(|deploy| deploy.at <= now)
            .filter(|deploy| deploy.mode == DeployMode::Versioned && deploy.changes(key))
            .count() as u32;
        key + self.objects * renames
    }

    /// Egress cost of `bytes`, in US dollars.
    pub fn cost_usd(&self, bytes: u64) -> f64 {
        bytes as f64 / 1e9 * self.price_per_gb
    }
}

/// Where a request to a CDN goes.
pub(super) enum CdnRoute {
    /// To its edge (which refuses it if it died unnoticed).
    Edge(InstanceId, SiteId),
    /// Straight to the origin (its edge is known to be down).
    Origin(CallId),
    Unavailable,
}

impl Model {
    /// Where `user`'s request to CDN `cdn` goes now. Out of line: inlined
    /// into `start_call`, its hashing of the user was hoisted above the
    /// route match and paid by every call.
    #[inline(never)]
    pub(super) fn cdn_route(&mut self, cdn: CdnId, user: u32) -> CdnRoute {
        let region = self.geo.region_of_user(user);
        let state = &mut self.cdns[cdn];
        let edge = state.edge_for_user(user, region);
        if !state.known_down[edge] {
            return CdnRoute::Edge(state.edges[edge], state.latency);
        }
        match state.fallback {
            CdnFallback::Origin => {
                state.fallback_window += 1;
                CdnRoute::Origin(state.origin)
            }
            CdnFallback::None => {
                state.unavailable_window += 1;
                CdnRoute::Unavailable
            }
        }
    }

    /// The one-way hop between a user and `instance`: a CDN edge's latency,
    /// or the network's client hop.
    pub(super) fn client_hop(&self, instance: InstanceId) -> SiteId {
        if instance.0 != u32::MAX
            && let Role::CdnEdge { cdn, .. } = self.roles[instance]
        {
            return self.cdns[cdn].latency;
        }
        self.network_client
    }

    /// Runs a CDN op of frame `key` at its edge.
    #[inline(never)]
    pub(super) fn cdn_op(&mut self, key: SlabKey, op: Op, now: SimTime) {
        let frame = self.frames.get_mut(key).expect("frame in flight");
        let Role::CdnEdge { cdn, edge } = self.roles[frame.instance] else {
            unreachable!("CDN ops run at CDN edges");
        };
        let object = frame.carry.key;
        let state = &mut self.cdns[cdn];
        let current = state.version(object, now);
        let name = state.name(object, now);
        match op {
            Op::CdnLookup { .. } => {
                let counters = &mut state.window[edge];
                counters.requests += 1;
                let served = state.stores[edge].lookup(name, now);
                let counters = &mut state.window[edge];
                if let Some(version) = served {
                    // The same name with older content: an invalidating
                    // deploy whose purge has not reached the edge yet.
                    if version < current {
                        counters.stale_reads += 1;
                    }
                    counters.hits += 1;
                    counters.egress_bytes += state.sizes.of(object) as u64;
                    frame.carry.value = version;
                } else {
                    counters.misses += 1;
                    counters.origin_requests += 1;
                    frame.carry.value = MISS;
                }
            }
            Op::CdnFill { .. } => {
                let size = state.sizes.of(object);
                let rng = self.streams.get(state.evict_stream);
                state.stores[edge].fill_sized(name, current, size, now, rng);
                state.window[edge].egress_bytes += size as u64;
                frame.carry.value = current;
            }
            _ => unreachable!("only CDN ops come here"),
        }
    }

    /// Logs each CDN deploy and schedules the invalidations.
    pub(super) fn schedule_cdn_deploys(&mut self, queue: &mut EventQueue<Event>) {
        for cdn in self.cdns.ids() {
            for index in self.cdns[cdn].deploys.ids() {
                let deploy = self.cdns[cdn].deploys[index];
                let name = self.cdns[cdn].name.clone();
                let detail = format!(
                    "{} deploy of {:.1}% of the catalog",
                    deploy.mode.name(),
                    deploy.share * 100.0
                );
                self.log(deploy.at, "cdn_deploy", &name, detail);
                if deploy.mode == DeployMode::Invalidate {
                    queue.schedule_at(
                        deploy.at + deploy.propagation,
                        Event::CdnInvalidate { cdn, deploy: index },
                    );
                }
            }
        }
    }

    /// An invalidation reached every edge: they drop the objects it names
    /// (under their current names).
    #[inline(never)]
    pub(super) fn cdn_invalidate(&mut self, cdn: CdnId, deploy: DeployId, now: SimTime) {
        let state = &mut self.cdns[cdn];
        let deploy = state.deploys[deploy];
        let mut purged = 0u64;
        for object in (0..state.objects).filter(|&object| deploy.changes(object)) {
            let name = state.name(object, now);
            for store in &mut state.stores {
                let before = store.len();
                store.invalidate(name, now);
                purged += (before - store.len()) as u64;
            }
        }
        let name = state.name.clone();
        self.log(
            now,
            "cdn_invalidated",
            &name,
            format!("{purged} cached copies purged from the edges"),
        );
    }

    /// A CDN edge died: it loses its contents; clients notice after the
    /// CDN's detection time.
    pub(super) fn cdn_edge_killed(&mut self, cdn: CdnId, edge: EdgeId, queue: &mut EventQueue<Event>) {
        let state = &mut self.cdns[cdn];
        state.stores[edge].clear(queue.now());
        let delay = match &state.health_check {
            Some(check) => check.notice_after(
                queue.now().since(SimTime::ZERO),
                check.unhealthy_threshold,
                self.instances[state.edges[edge]].hung,
            ),
            None => state.detection,
        };
        queue.schedule_in(delay, Event::CdnDetected { cdn, edge });
    }

    /// A CDN edge is back: empty, and clients use it again at once.
    pub(super) fn cdn_edge_restored(&mut self, cdn: CdnId, edge: EdgeId, now: SimTime) {
        let state = &mut self.cdns[cdn];
        state.stores[edge].clear(now);
        state.known_down[edge] = false;
    }

    /// Clients learn that an edge is down (if it still is).
    #[inline(never)]
    pub(super) fn cdn_detected(&mut self, cdn: CdnId, edge: EdgeId, now: SimTime) {
        let state = &mut self.cdns[cdn];
        let instance = state.edges[edge];
        if self.instances[instance].up || state.known_down[edge] {
            return;
        }
        state.known_down[edge] = true;
        let (scope, fallback) = (state.edge_scopes[edge].clone(), state.fallback);
        let detail = match fallback {
            CdnFallback::Origin => "down; clients go to the origin",
            CdnFallback::None => "down; requests fail as unavailable",
        };
        self.log(now, "detected", &scope, detail.to_owned());
        self.note_detection(instance, now);
    }

    /// Egress cost of every CDN over the kept windows, in US dollars.
    pub(super) fn cdn_cost_usd(&self) -> f64 {
        self.cdns
            .iter()
            .map(|cdn| {
                let bytes: u64 = cdn.totals.iter().map(|totals| totals.egress_bytes).sum();
                cdn.cost_usd(bytes)
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Dist;

    fn deploy(at_s: u64, mode: DeployMode, share: f64, salt: u64) -> Deploy {
        Deploy {
            at: SimTime::ZERO + SimDuration::from_secs(at_s),
            mode,
            share,
            propagation: SimDuration::ZERO,
            salt,
        }
    }

    #[test]
    fn a_deploy_changes_its_share_of_the_objects() {
        let d = deploy(0, DeployMode::Versioned, 0.2, 7);
        let changed = (0..100_000).filter(|&key| d.changes(key)).count();
        assert!((changed as f64 / 100_000.0 - 0.2).abs() < 0.005, "{changed}");
        assert!((0..1000).all(|key| !deploy(0, DeployMode::Versioned, 0.0, 7).changes(key)));
        assert!((0..1000).all(|key| deploy(0, DeployMode::Versioned, 1.0, 7).changes(key)));
    }

    #[test]
    fn object_sizes_are_fixed_per_object_and_follow_the_distribution() {
        let dist = Dist::Exp { mean: 50_000.0 };
        let sizes = ObjectSizes::new(Sampler::new(&dist), None, 12345);
        let first: Vec<u32> = (0..20_000).map(|key| sizes.of(key)).collect();
        let again: Vec<u32> = (0..20_000).map(|key| sizes.of(key)).collect();
        assert_eq!(first, again);
        let mean = first.iter().map(|&s| s as f64).sum::<f64>() / first.len() as f64;
        assert!((mean / 50_000.0 - 1.0).abs() < 0.03, "mean {mean}");
        let constant = ObjectSizes::new(Sampler::new(&Dist::Const { value: 4096.0 }), Some(4096.0), 1);
        assert_eq!(constant.of(17), 4096);
    }
}
