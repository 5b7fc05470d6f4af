//! Geography at run time: which region each user is in, which data center
//! each instance and balancer stands in, the latency each hop adds between
//! regions, partitions between data centers, dead balancers (a data center
//! down), and geoDNS: answering each user with the nearest healthy target
//! and remembering the answer in the user's cached record.
//!
//! Everything here is fixed-size tables indexed by ids (regions ×
//! regions latencies, data centers × data centers partitions, one entry
//! per instance, balancer and DNS target); a user's region is a hash of the
//! user id against the cumulative shares, computed when needed instead of
//! stored. A model without regions has `enabled == false` and every hook
//! returns at once, so scenarios without regions run exactly as before.

use super::frame::{Frame, InstanceId, NO_BALANCER};
use super::ids::{BalancerId, ClassId, DatacenterId, DnsId, DnsTargetId, FaultSourceId, RegionId, StationId};
use super::keys::{KeyTable, mix64};
use super::program::CallId;
use super::{Event, Model, RequestScope};
use crate::engine::id::IdVec;
use crate::engine::{EventQueue, SimDuration, SimTime, SlabKey};
use crate::scenario::{HealthCheck, KillMode};

/// An instance or balancer standing in no data center (everywhere).
pub const NO_DC: DatacenterId = DatacenterId(u16::MAX);
/// A user in no region (the scenario has none).
pub const NO_REGION: RegionId = RegionId(u16::MAX);

/// A user's region hash is salted so it is independent of key draws.
const REGION_SALT: u64 = 0x0005_EED0_F9E0_u64;

/// One answer a geoDNS name can give.
#[derive(Debug)]
pub struct DnsTarget {
    pub name: String,
    pub datacenter: DatacenterId,
    /// The balancer answering, or `NO_BALANCER` for a pool named directly.
    pub balancer: BalancerId,
    pub first_instance: InstanceId,
    pub instance_count: u32,
    /// As the DNS health check sees it.
    pub healthy: bool,
    pub failures: u32,
    pub successes: u32,
    pub answers_window: u64,
    pub answers_total: u64,
}

/// A DNS name's targets and health checks.
#[derive(Debug)]
pub struct GeoDns {
    pub targets: IdVec<DnsTargetId, DnsTarget>,
    /// Per user region (the last row: users without one), target indexes
    /// nearest first, the listed order breaking ties.
    order: Vec<Vec<DnsTargetId>>,
    pub check: Option<HealthCheck>,
    /// Per user: the target of the cached record (sparse for many users;
    /// the default, target 0, takes no memory).
    pub answer: KeyTable<DnsTargetId>,
}

#[derive(Debug, Default)]
pub struct Geo {
    pub enabled: bool,
    pub regions: Vec<String>,
    /// Cumulative user shares, the last one 1.
    cumulative: Vec<f64>,
    /// One-way latency between regions, regions × regions, nanoseconds.
    link_ns: Vec<u64>,
    pub datacenters: IdVec<DatacenterId, String>,
    pub dc_region: IdVec<DatacenterId, RegionId>,
    pub instance_dc: IdVec<InstanceId, DatacenterId>,
    /// The region of an instance standing in a region but in no data
    /// center (a CDN edge); `NO_REGION` for every other instance.
    pub instance_region: IdVec<InstanceId, RegionId>,
    pub station_dc: IdVec<StationId, DatacenterId>,
    pub balancer_dc: IdVec<BalancerId, DatacenterId>,
    /// A dead balancer (its data center is down), and how it died.
    pub balancer_down: IdVec<BalancerId, Option<KillMode>>,
    /// Requests refused by a dead balancer, this window and kept.
    pub balancer_refused_window: IdVec<BalancerId, u64>,
    pub balancer_refused_total: IdVec<BalancerId, u64>,
    /// Partitions in force between two data centers (dc × dc, counts so
    /// overlapping faults nest).
    partitions: Vec<u16>,
    /// Calls that could not cross a partition, per source data center.
    pub partitioned_window: IdVec<DatacenterId, u64>,
    pub partitioned_total: IdVec<DatacenterId, u64>,
    /// Per model DNS name: its geoDNS state, if it has several targets or
    /// a health check.
    pub dns: IdVec<DnsId, Option<GeoDns>>,
    /// Per class: its entry call per target of its DNS name; empty when no
    /// class goes through a geoDNS name.
    pub class_entries: IdVec<ClassId, IdVec<DnsTargetId, CallId>>,
    /// Request metrics per user region.
    pub per_region: IdVec<RegionId, RequestScope>,
}

impl Geo {
    pub fn new(regions: Vec<(String, f64)>, link_ns: Vec<u64>, datacenters: Vec<(String, RegionId)>) -> Geo {
        let total: f64 = regions.iter().map(|(_, share)| share).sum();
        let mut running = 0.0;
        let mut cumulative: Vec<f64> = regions
            .iter()
            .map(|(_, share)| {
                running += share / total;
                running
            })
            .collect();
        if let Some(last) = cumulative.last_mut() {
            *last = 1.0;
        }
        let dcs = datacenters.len();
        Geo {
            enabled: !regions.is_empty(),
            per_region: regions.iter().map(|_| RequestScope::default()).collect(),
            regions: regions.into_iter().map(|(name, _)| name).collect(),
            cumulative,
            link_ns,
            dc_region: datacenters.iter().map(|(_, region)| *region).collect(),
            datacenters: datacenters.into_iter().map(|(name, _)| name).collect(),
            partitions: vec![0; dcs * dcs],
            partitioned_window: IdVec::from_elem(0, dcs),
            partitioned_total: IdVec::from_elem(0, dcs),
            ..Geo::default()
        }
    }

    /// The region of `user`: a fixed function of the user id.
    #[inline]
    pub fn region_of_user(&self, user: u32) -> RegionId {
        if self.cumulative.is_empty() {
            return NO_REGION;
        }
        let unit = (mix64(user as u64 ^ REGION_SALT) >> 11) as f64 / (1u64 << 53) as f64;
        RegionId::from_index(
            self.cumulative
                .iter()
                .position(|&edge| unit < edge)
                .unwrap_or(self.cumulative.len() - 1),
        )
    }

    #[inline]
    fn region_of_dc(&self, dc: DatacenterId) -> RegionId {
        if dc == NO_DC {
            NO_REGION
        } else {
            self.dc_region[dc]
        }
    }

    /// One-way latency between two regions (zero if either is unknown).
    #[inline]
    pub fn region_latency(&self, a: RegionId, b: RegionId) -> SimDuration {
        if a == NO_REGION || b == NO_REGION {
            return SimDuration::ZERO;
        }
        SimDuration(self.link_ns[a.index() * self.regions.len() + b.index()])
    }

    /// One-way latency between two data centers' regions.
    #[inline]
    pub fn dc_latency(&self, a: DatacenterId, b: DatacenterId) -> SimDuration {
        self.region_latency(self.region_of_dc(a), self.region_of_dc(b))
    }

    #[inline]
    pub fn partitioned(&self, a: DatacenterId, b: DatacenterId) -> bool {
        a != NO_DC && b != NO_DC && self.partitions[a.index() * self.datacenters.len() + b.index()] > 0
    }

    /// Starts (`cut`) or ends a partition between two data centers.
    pub fn set_partition(&mut self, a: DatacenterId, b: DatacenterId, cut: bool) {
        let n = self.datacenters.len();
        for index in [a.index() * n + b.index(), b.index() * n + a.index()] {
            let count = &mut self.partitions[index];
            *count = if cut { *count + 1 } else { count.saturating_sub(1) };
        }
    }

    #[inline]
    pub fn dc_of(&self, instance: InstanceId) -> DatacenterId {
        self.instance_dc[instance]
    }

    /// The region of a place: data center `dc`'s, or else `instance`'s own
    /// (a CDN edge's), or `NO_REGION` (everywhere).
    #[inline]
    pub fn region_at(&self, dc: DatacenterId, instance: InstanceId) -> RegionId {
        if dc != NO_DC {
            return self.dc_region[dc];
        }
        if instance.0 == u32::MAX {
            return NO_REGION;
        }
        self.instance_region.get(instance).copied().unwrap_or(NO_REGION)
    }

    /// Builds the geoDNS state of a name; `targets[i].datacenter` must be set.
    pub fn dns_state(
        &self,
        targets: IdVec<DnsTargetId, DnsTarget>,
        check: Option<HealthCheck>,
        users: u32,
    ) -> GeoDns {
        let rows = self.regions.len() + 1;
        let order = (0..rows)
            .map(|region| {
                let region = if region == self.regions.len() {
                    NO_REGION
                } else {
                    RegionId::from_index(region)
                };
                let mut indexes: Vec<DnsTargetId> = targets.ids().collect();
                indexes.sort_by_key(|&target| {
                    self.region_latency(region, self.region_of_dc(targets[target].datacenter))
                });
                indexes
            })
            .collect();
        GeoDns {
            targets,
            order,
            check,
            answer: KeyTable::new(users, DnsTargetId(0)),
        }
    }
}

impl GeoDns {
    /// The nearest healthy target for a user in `region` (the nearest of
    /// all when none is healthy: DNS answers something).
    pub fn nearest(&self, region: RegionId) -> DnsTargetId {
        let row = if region == NO_REGION {
            self.order.len() - 1
        } else {
            region.index()
        };
        let order = &self.order[row];
        order
            .iter()
            .copied()
            .find(|&target| self.targets[target].healthy)
            .unwrap_or(order[0])
    }
}

impl Model {
    /// The request metrics of `user`'s region, when there are regions.
    #[inline]
    pub(super) fn region_scope(&mut self, user: u32) -> Option<&mut RequestScope> {
        if !self.geo.enabled {
            return None;
        }
        self.region_scope_enabled(user)
    }

    #[inline(never)]
    fn region_scope_enabled(&mut self, user: u32) -> Option<&mut RequestScope> {
        let region = self.geo.region_of_user(user);
        self.geo.per_region.get_mut(region)
    }

    /// Whether a partition stands between a balancer and an instance.
    pub(super) fn balancer_cut(&self, balancer: BalancerId, instance: InstanceId) -> bool {
        self.geo.enabled
            && self
                .geo
                .partitioned(self.geo.balancer_dc[balancer], self.geo.dc_of(instance))
    }

    /// The latency from a balancer to the instance it picked, or `None`
    /// when a partition stands between them (counted against the
    /// balancer's data center). Out of line: only runs with geography.
    #[inline(never)]
    pub(super) fn geo_balancer_hop(
        &mut self,
        balancer: BalancerId,
        instance: InstanceId,
        key: SlabKey,
    ) -> Option<SimDuration> {
        let (from, to) = (self.geo.balancer_dc[balancer], self.geo.dc_of(instance));
        if self.geo.partitioned(from, to) {
            self.geo.partitioned_window[from] += 1;
            return None;
        }
        let pc = self.frames.get(key).expect("frame in flight").pc;
        self.count_forward_bytes(balancer, instance, pc);
        Some(self.geo.dc_latency(from, to))
    }

    /// The data center a frame is at: its instance's, or its balancer's
    /// before it picked one.
    pub(super) fn frame_dc(&self, key: SlabKey) -> DatacenterId {
        match self.frames.get(key) {
            Some(frame) => self.dc_of_frame(frame),
            None => NO_DC,
        }
    }

    pub(super) fn dc_of_frame(&self, frame: &Frame) -> DatacenterId {
        if frame.instance.0 != u32::MAX {
            self.geo.dc_of(frame.instance)
        } else if frame.balancer != NO_BALANCER {
            self.geo.balancer_dc[frame.balancer]
        } else {
            NO_DC
        }
    }

    /// The region a frame is at (see `Geo::region_at`).
    fn frame_region(&self, key: SlabKey) -> RegionId {
        match self.frames.get(key) {
            Some(frame) => self.geo.region_at(self.dc_of_frame(frame), frame.instance),
            None => NO_REGION,
        }
    }

    /// The latency a call from `parent` (the user `user` when it is the
    /// root) to `instance`, or to `balancer` when it is not `NO_BALANCER`,
    /// adds to its hop, or `None` when a partition stands between them;
    /// the call's request (its program starting at `program`) is counted
    /// in the traffic between regions. Kept out of line: without geography the caller never comes here, and
    /// inlined, its hashing of the user was hoisted above the check.
    #[inline(never)]
    pub(super) fn geo_call_hop(
        &mut self,
        parent: SlabKey,
        user: u32,
        instance: InstanceId,
        balancer: BalancerId,
        program: u32,
    ) -> Option<SimDuration> {
        let to = if balancer == NO_BALANCER {
            self.geo.dc_of(instance)
        } else {
            self.geo.balancer_dc[balancer]
        };
        let to_region = self.geo.region_at(to, instance);
        let latency = self.geo_call_latency(parent, user, to, to_region)?;
        self.count_call_bytes(parent, to, program);
        Some(latency)
    }

    /// The latency a call from `parent` (the user `user` when it is the
    /// root) to data center `to` in region `to_region` adds to its hop, or
    /// `None` when a partition stands between them.
    pub(super) fn geo_call_latency(
        &mut self,
        parent: SlabKey,
        user: u32,
        to: DatacenterId,
        to_region: RegionId,
    ) -> Option<SimDuration> {
        if parent == super::frame::NO_PARENT {
            return Some(self.geo.region_latency(self.geo.region_of_user(user), to_region));
        }
        let from = self.frame_dc(parent);
        if self.geo.partitioned(from, to) {
            self.geo.partitioned_window[from] += 1;
            return None;
        }
        Some(self.geo.region_latency(self.frame_region(parent), to_region))
    }

    /// The latency a reply from frame `key` to its caller adds (the user,
    /// for a root frame).
    #[inline]
    pub(super) fn geo_reply_latency(&self, frame: &Frame) -> SimDuration {
        if !self.geo.enabled {
            return SimDuration::ZERO;
        }
        self.geo_reply_latency_enabled(frame)
    }

    #[inline(never)]
    fn geo_reply_latency_enabled(&self, frame: &Frame) -> SimDuration {
        let from = self.geo.region_at(self.dc_of_frame(frame), frame.instance);
        if frame.is_root() {
            self.geo
                .region_latency(self.geo.region_of_user(frame.carry.user), from)
        } else {
            self.geo.region_latency(from, self.frame_region(frame.parent))
        }
    }

    /// A user's DNS lookup of name `dns` at a geoDNS name: the nearest
    /// healthy target goes into the user's cached record.
    pub(super) fn geo_resolve(&mut self, dns: DnsId, user: u32) {
        let region = self.geo.region_of_user(user);
        let Some(state) = self.geo.dns.get_mut(dns).and_then(Option::as_mut) else {
            return;
        };
        let target = state.nearest(region);
        state.answer.set(user, target);
        state.targets[target].answers_window += 1;
    }

    /// The entry call of a request of class `class` by `user`: the one of
    /// the target in the user's cached record, for a geoDNS name.
    #[inline]
    pub(super) fn geo_entry(&self, class: ClassId, dns: Option<DnsId>, user: u32) -> Option<CallId> {
        if self.geo.class_entries.is_empty() {
            return None; // no geoDNS name: no call on the request's path
        }
        self.geo_entry_by_answer(class, dns, user)
    }

    #[inline(never)]
    fn geo_entry_by_answer(&self, class: ClassId, dns: Option<DnsId>, user: u32) -> Option<CallId> {
        let entries = self.geo.class_entries.get(class)?;
        let state = self.geo.dns.get(dns?)?.as_ref()?;
        entries.get(state.answer.get(user)).copied()
    }

    /// Health checks of every checked geoDNS name start one interval in.
    pub(super) fn schedule_dns_checks(&mut self, queue: &mut EventQueue<Event>) {
        for (dns, state) in self.geo.dns.iter_enumerated() {
            if let Some(check) = state.as_ref().and_then(|state| state.check.as_ref()) {
                queue.schedule_in(check.interval, Event::DnsCheck { dns });
            }
        }
    }

    /// Whether a target answers a probe: its balancer (if any) is up and
    /// an instance behind it is up. `Some(true)`: fails by timing out.
    fn probe(&self, target: &DnsTarget) -> (bool, bool) {
        if target.balancer != NO_BALANCER
            && let Some(mode) = self.geo.balancer_down[target.balancer]
        {
            return (false, mode == KillMode::Hang);
        }
        let instances = &self.instances
            [target.first_instance..InstanceId(target.first_instance.0 + target.instance_count)];
        let up = instances.iter().any(|instance| instance.up);
        let hung = instances.iter().any(|instance| instance.hung);
        (up, !up && hung)
    }

    /// Probes every target of a geoDNS name.
    #[inline(never)]
    pub(super) fn dns_check(&mut self, dns: DnsId, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let state = self.geo.dns[dns].as_ref().expect("checked names only");
        let (interval, timeout) = {
            let check = state.check.as_ref().expect("checked names only");
            (check.interval, check.timeout)
        };
        for target in state.targets.ids() {
            let state = self.geo.dns[dns].as_ref().expect("checked names only");
            let (ok, times_out) = self.probe(&state.targets[target]);
            if ok || !times_out {
                self.dns_probe_result(dns, target, ok, now);
            } else {
                queue.schedule_in(timeout, Event::DnsProbeFailed { dns, target });
            }
        }
        queue.schedule_in(interval, Event::DnsCheck { dns });
    }

    /// One probe's outcome: enough failures in a row stop answers with the
    /// target; enough successes bring it back.
    #[inline(never)]
    pub(super) fn dns_probe_result(&mut self, dns: DnsId, target: DnsTargetId, ok: bool, now: SimTime) {
        let state = self.geo.dns[dns].as_mut().expect("checked names only");
        let check = state.check.as_ref().expect("checked names only");
        let (healthy_threshold, unhealthy_threshold) = (check.healthy_threshold, check.unhealthy_threshold);
        let entry = &mut state.targets[target];
        if ok {
            entry.failures = 0;
            entry.successes += 1;
            if !entry.healthy && entry.successes >= healthy_threshold {
                entry.healthy = true;
                let detail = format!("target {} answers again", entry.name);
                let name = self.dns[dns].name.clone();
                self.log(now, "dns_target_back", &name, detail);
            }
        } else {
            entry.successes = 0;
            entry.failures += 1;
            if entry.healthy && entry.failures >= unhealthy_threshold {
                entry.healthy = false;
                let detail = format!("target {} is unhealthy", entry.name);
                let instance = entry.first_instance;
                let name = self.dns[dns].name.clone();
                self.log(now, "detected", &name, detail);
                self.note_detection(instance, now);
            }
        }
    }

    /// Kills (`Some`) or restores (`None`) the balancers a fault source hits.
    pub(super) fn set_balancers_down(&mut self, source: FaultSourceId, mode: Option<KillMode>) {
        for index in 0..self.fault_sources[source].balancers.len() {
            let balancer = self.fault_sources[source].balancers[index];
            self.geo.balancer_down[balancer] = mode;
        }
    }

    /// A balancer in a dead data center got a call: a crashed one refuses
    /// it, a hung one never answers. Returns true if it handled the frame.
    pub(super) fn dead_balancer(
        &mut self,
        key: SlabKey,
        balancer: BalancerId,
        queue: &mut EventQueue<Event>,
    ) -> bool {
        let Some(mode) = self.geo.balancer_down.get(balancer).copied().flatten() else {
            return false;
        };
        match mode {
            KillMode::Hang => {
                let frame = self.frames.remove(key).expect("frame in flight");
                if frame.balancer_connection {
                    self.release_balancer_connection(balancer, queue.now());
                }
            }
            KillMode::Crash => {
                self.geo.balancer_refused_window[balancer] += 1;
                let frame = self.frames.get_mut(key).expect("frame in flight");
                frame.failure = Some(super::frame::Cause::Refused);
                self.reply(key, queue);
            }
        }
        true
    }

    /// Starts or heals the partition of a fault source; a heal re-ships
    /// the replication held back by it.
    pub(super) fn partition(&mut self, source: FaultSourceId, heal: bool, queue: &mut EventQueue<Event>) {
        let Some((a, b)) = self.fault_sources[source].partition else {
            return;
        };
        self.geo.set_partition(a, b, !heal);
        if heal {
            self.reship_held(queue);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo() -> Geo {
        let regions = vec![("us".to_owned(), 3.0), ("eu".to_owned(), 1.0)];
        // us–eu 80 ms one way.
        let link_ns = vec![0, 80_000_000, 80_000_000, 0];
        Geo::new(
            regions,
            link_ns,
            vec![
                ("dc-us".to_owned(), RegionId(0)),
                ("dc-eu".to_owned(), RegionId(1)),
            ],
        )
    }

    #[test]
    fn users_spread_over_regions_by_their_shares_and_always_the_same_way() {
        let geo = geo();
        let users = 100_000;
        let in_us = (0..users)
            .filter(|&user| geo.region_of_user(user) == RegionId(0))
            .count();
        let share = in_us as f64 / users as f64;
        // Binomial standard deviation at n = 100 000: 0.0014.
        assert!((share - 0.75).abs() < 0.006, "us share {share}");
        // A pure function of the user id (pinned: changing it reshuffles
        // every scenario's users).
        let first: Vec<u16> = (0..12).map(|user| geo.region_of_user(user).0).collect();
        assert_eq!(first, [0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1]);
        assert!(Geo::default().region_of_user(7) == NO_REGION);
    }

    #[test]
    fn latencies_come_from_the_regions_of_the_data_centers() {
        let geo = geo();
        assert_eq!(
            geo.dc_latency(DatacenterId(0), DatacenterId(1)),
            SimDuration::from_millis(80)
        );
        assert_eq!(
            geo.dc_latency(DatacenterId(1), DatacenterId(1)),
            SimDuration::ZERO
        );
        assert_eq!(geo.dc_latency(NO_DC, DatacenterId(1)), SimDuration::ZERO);
    }

    #[test]
    fn partitions_nest_and_never_reach_components_without_a_data_center() {
        let mut geo = geo();
        geo.set_partition(DatacenterId(0), DatacenterId(1), true);
        geo.set_partition(DatacenterId(1), DatacenterId(0), true);
        assert!(
            geo.partitioned(DatacenterId(0), DatacenterId(1))
                && geo.partitioned(DatacenterId(1), DatacenterId(0))
        );
        assert!(
            !geo.partitioned(DatacenterId(0), DatacenterId(0)) && !geo.partitioned(NO_DC, DatacenterId(1))
        );
        geo.set_partition(DatacenterId(0), DatacenterId(1), false);
        assert!(
            geo.partitioned(DatacenterId(1), DatacenterId(0)),
            "one of two overlapping partitions is still on"
        );
        geo.set_partition(DatacenterId(0), DatacenterId(1), false);
        assert!(!geo.partitioned(DatacenterId(0), DatacenterId(1)));
    }

    #[test]
    fn geodns_answers_the_nearest_healthy_target() {
        let geo = geo();
        let target = |name: &str, datacenter: u16| DnsTarget {
            name: name.to_owned(),
            datacenter: DatacenterId(datacenter),
            balancer: NO_BALANCER,
            first_instance: InstanceId(0),
            instance_count: 1,
            healthy: true,
            failures: 0,
            successes: 0,
            answers_window: 0,
            answers_total: 0,
        };
        let mut dns = geo.dns_state(IdVec::from_vec(vec![target("us", 0), target("eu", 1)]), None, 10);
        assert_eq!(
            (
                dns.nearest(RegionId(0)).0,
                dns.nearest(RegionId(1)).0,
                dns.nearest(NO_REGION).0
            ),
            (0, 1, 0)
        );
        dns.targets[DnsTargetId(1)].healthy = false;
        assert_eq!(dns.nearest(RegionId(1)).0, 0, "Europeans move to dc-us");
        dns.targets[DnsTargetId(0)].healthy = false;
        assert_eq!(
            dns.nearest(RegionId(1)).0,
            1,
            "nothing healthy: the nearest of all"
        );
    }
}
