//! Bytes on the wire and what they cost: traffic between regions (per
//! pair of regions that each hold a data center, priced per GB by the
//! link's `price_per_gb` or the network's `price_per_gb_between_regions`)
//! and bytes a balancer processes (priced by its `price_per_gb`).
//!
//! A message's size is known when it is compiled: a call sends its
//! endpoint's `request_size` and its reply carries the `response_size`; a
//! database read's reply and a write's request carry the keyspace's mean
//! `value_size`, and so does each write a replica receives; a cache get's
//! reply carries the value only on a hit, a fill sends it. Sizes are looked
//! up by the op index a program starts or ends at (`MessageBytes`), so the
//! event loop only adds to counters: no allocation, and nothing at all
//! without geography (`Geo::enabled`) or sizes (`counts_balancer_bytes`).
//!
//! Only traffic between two data centers is counted: a user's requests
//! come over the internet, and a component in no data center (a CDN edge
//! standing in a region, a balancer placed nowhere) stands everywhere, as
//! it adds no latency either.

use super::frame::{InstanceId, MISS, NO_PARENT};
use super::geo::{Geo, NO_DC};
use super::ids::{BalancerId, DatabaseId, DatacenterId, RegionId};
use super::program::{Op, Programs};
use super::{Call, Model, Route};
use crate::engine::SlabKey;
use crate::engine::id::IdVec;
use crate::metrics::catalog as metric;
use crate::metrics::{Summary, Timeseries};
use crate::scenario::ids::{EndpointId, PoolId};
use crate::scenario::{Dist, Scenario};

/// Bytes in a GB, as clouds bill them.
const BYTES_PER_GB: f64 = 1e9;
/// No pair: a region with itself, or a region without data centers.
const NO_PAIR: u32 = u32::MAX;

/// The sizes of the messages of the program starting or ending at an op.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MessageBytes {
    /// At a program's first op: what a call to it sends.
    pub request: u64,
    /// At a program's first op: what its reply carries (a balancer counts
    /// it when it forwards the call).
    pub response: u64,
    /// At a program's `End`: what its reply carries.
    pub reply: u64,
    /// The reply carries `reply` only when it holds a value (a cache hit).
    pub reply_on_hit: bool,
}

/// Two regions' traffic, both ways.
#[derive(Debug)]
pub struct Pair {
    /// `link:<a>/<b>`.
    pub name: String,
    pub price_per_gb: f64,
    pub window: u64,
    pub total: u64,
}

#[derive(Debug, Default)]
pub struct Traffic {
    /// Per op index of `Programs::ops`.
    pub at: Vec<MessageBytes>,
    /// Per database: the bytes a replica receives per write.
    pub replicated: IdVec<DatabaseId, u64>,
    /// Region pairs (regions × regions) → index in `pairs`, or `NO_PAIR`.
    pair_of: Vec<u32>,
    regions: usize,
    pub pairs: Vec<Pair>,
    /// Some endpoint has a size: balancers count processed bytes.
    pub counts_balancer_bytes: bool,
    pub balancer_price_per_gb: IdVec<BalancerId, f64>,
    pub processed_window: IdVec<BalancerId, u64>,
    pub processed_total: IdVec<BalancerId, u64>,
}

/// A keyspace's value size in bytes: its mean, rounded.
fn value_bytes(size: &Dist) -> u64 {
    size.mean().max(0.0).round() as u64
}

/// The first `End` at or after `start`: the program's own (a `parallel`
/// step's branches are placed before the program that forks them).
fn end_of(programs: &Programs, start: u32) -> usize {
    let mut pc = start as usize;
    while programs.ops[pc] != Op::End {
        pc += 1;
    }
    pc
}

impl Traffic {
    pub(super) fn build(
        scenario: &Scenario,
        programs: &Programs,
        calls: &IdVec<super::program::CallId, Call>,
        endpoint_starts: &IdVec<PoolId, IdVec<EndpointId, u32>>,
        geo: &Geo,
    ) -> Traffic {
        let mut at = vec![MessageBytes::default(); programs.ops.len()];
        let mut set = |start: u32, request: u64, reply: u64, reply_on_hit: bool| {
            let first = &mut at[start as usize];
            first.request = request;
            first.response = reply;
            let end = &mut at[end_of(programs, start)];
            end.reply = reply;
            end.reply_on_hit = reply_on_hit;
        };
        let mut sized = false;
        for (pool, starts) in scenario.pools.iter().zip(endpoint_starts) {
            for (endpoint, &start) in pool.endpoints.iter().zip(starts) {
                let (request, response) = (endpoint.request_size, endpoint.response_size);
                sized |= request.is_some() || response.is_some();
                set(start, request.unwrap_or(0), response.unwrap_or(0), false);
            }
        }
        let database_bytes = |database: DatabaseId| {
            scenario.databases[database].keyspace.map_or(0, |keyspace| {
                value_bytes(&scenario.keyspaces[keyspace].value_size)
            })
        };
        for call in calls {
            match call.route {
                Route::DatabaseRead(database) => set(call.program, 0, database_bytes(database), false),
                Route::DatabaseWrite(database) => set(call.program, database_bytes(database), 0, false),
                Route::Cache(cache) => {
                    let bytes = value_bytes(&scenario.keyspaces[scenario.caches[cache].keyspace].value_size);
                    let end = end_of(programs, call.program);
                    match programs.ops[end - 1] {
                        Op::CacheLookup { .. } => set(call.program, 0, bytes, true),
                        Op::CacheFill { .. } => set(call.program, bytes, 0, false),
                        _ => {}
                    }
                }
                Route::Pool(_) | Route::Balancer(_) | Route::Cdn(_) => {}
            }
        }
        let regions = geo.regions.len();
        let mut holds_dc = vec![false; regions];
        for &region in geo.dc_region.iter() {
            holds_dc[region.index()] = true;
        }
        let mut pair_of = vec![NO_PAIR; regions * regions];
        let mut pairs = Vec::new();
        let default = scenario.network.price_per_gb_between_regions;
        for a in 0..regions {
            for b in a + 1..regions {
                if !(holds_dc[a] && holds_dc[b]) {
                    continue;
                }
                let (ra, rb) = (RegionId::from_index(a), RegionId::from_index(b));
                pair_of[a * regions + b] = pairs.len() as u32;
                pair_of[b * regions + a] = pairs.len() as u32;
                pairs.push(Pair {
                    name: format!("link:{}/{}", geo.regions[a], geo.regions[b]),
                    price_per_gb: scenario.geo.price_per_gb(ra, rb, default),
                    window: 0,
                    total: 0,
                });
            }
        }
        let balancers = scenario.balancers.len();
        Traffic {
            at,
            replicated: scenario.databases.ids().map(database_bytes).collect(),
            pair_of,
            regions,
            pairs,
            counts_balancer_bytes: sized,
            balancer_price_per_gb: scenario.balancers.iter().map(|b| b.price_per_gb).collect(),
            processed_window: IdVec::from_elem(0, balancers),
            processed_total: IdVec::from_elem(0, balancers),
        }
    }

    /// Counts `bytes` sent from data center `from` to `to` (in `geo`):
    /// nothing within a region or outside data centers.
    pub fn count(&mut self, geo: &Geo, from: DatacenterId, to: DatacenterId, bytes: u64) {
        if bytes == 0 || from == NO_DC || to == NO_DC {
            return;
        }
        let (a, b) = (geo.dc_region[from].index(), geo.dc_region[to].index());
        let pair = self.pair_of[a * self.regions + b];
        if pair != NO_PAIR {
            self.pairs[pair as usize].window += bytes;
        }
    }

    /// The cost of a pair's kept traffic.
    fn pair_cost(pair: &Pair) -> f64 {
        pair.total as f64 / BYTES_PER_GB * pair.price_per_gb
    }

    /// A balancer's per-GB cost over the kept windows.
    pub fn balancer_cost(&self, balancer: BalancerId) -> f64 {
        self.processed_total[balancer] as f64 / BYTES_PER_GB * self.balancer_price_per_gb[balancer]
    }

    /// Every pair's cost over the kept windows.
    pub fn links_cost(&self) -> f64 {
        self.pairs.iter().map(Traffic::pair_cost).sum()
    }
}

impl Model {
    /// Counts the request of a call from `parent` (at data center `from`)
    /// to data center `to` whose program starts at `program`.
    pub(super) fn count_call_bytes(&mut self, parent: SlabKey, to: DatacenterId, program: u32) {
        if parent == NO_PARENT {
            return; // from a user: over the internet
        }
        let from = self.frame_dc(parent);
        let bytes = self.traffic.at[program as usize].request;
        self.traffic.count(&self.geo, from, to, bytes);
    }

    /// Counts the request a balancer forwards to `instance`, the frame's
    /// program at its first op `pc`.
    pub(super) fn count_forward_bytes(&mut self, balancer: BalancerId, instance: InstanceId, pc: u32) {
        let bytes = self.traffic.at[pc as usize].request;
        let (from, to) = (self.geo.balancer_dc[balancer], self.geo.dc_of(instance));
        self.traffic.count(&self.geo, from, to, bytes);
    }

    /// Counts the reply of frame `key` to its caller. Out of line: only
    /// runs with geography.
    #[inline(never)]
    pub(super) fn count_reply_bytes(&mut self, key: SlabKey) {
        let Some(frame) = self.frames.get(key) else {
            return;
        };
        if frame.is_root() || frame.failure.is_some() {
            return;
        }
        let sizes = self.traffic.at[frame.pc as usize];
        if sizes.reply == 0 || (sizes.reply_on_hit && frame.carry.value == MISS) {
            return;
        }
        let from = self.dc_of_frame(frame);
        let to = self.frame_dc(frame.parent);
        self.traffic.count(&self.geo, from, to, sizes.reply);
    }

    /// Counts a write shipped from data center `from` to a replica at `to`.
    pub(super) fn count_replicated_bytes(
        &mut self,
        database: DatabaseId,
        from: DatacenterId,
        to: DatacenterId,
    ) {
        let bytes = self.traffic.replicated[database];
        self.traffic.count(&self.geo, from, to, bytes);
    }

    /// Counts what balancer `balancer` processes for the call in frame
    /// `key` (its program at its first op). Out of line: only with sizes.
    #[inline(never)]
    pub(super) fn count_processed_bytes(&mut self, key: SlabKey, balancer: BalancerId) {
        let pc = self.frames.get(key).expect("frame in flight").pc;
        let sizes = self.traffic.at[pc as usize];
        self.traffic.processed_window[balancer] += sizes.request + sizes.response;
    }

    /// The traffic rows of the window ending at `time_s`: bytes per region
    /// pair and per balancer (with sizes), kept in the totals after warm-up.
    pub(super) fn close_traffic_window(&mut self, keep: bool, time_s: f64, series: &mut Timeseries) {
        for pair in &mut self.traffic.pairs {
            let bytes = std::mem::take(&mut pair.window);
            let scope = series.scope(&pair.name);
            series.push(time_s, scope, metric::CROSS_REGION_BYTES, bytes as f64);
            if keep {
                pair.total += bytes;
            }
        }
        if !self.traffic.counts_balancer_bytes {
            return;
        }
        for (balancer, name) in self.balancer_names.iter_enumerated() {
            let bytes = std::mem::take(&mut self.traffic.processed_window[balancer]);
            let scope = series.scope(name);
            series.push(time_s, scope, metric::PROCESSED_BYTES, bytes as f64);
            if keep {
                self.traffic.processed_total[balancer] += bytes;
            }
        }
    }

    /// Each region pair's bytes and cost over the kept windows.
    pub(super) fn summary_traffic(&self, summary: &mut Summary, elapsed: u128) {
        for pair in &self.traffic.pairs {
            summary.push(&pair.name, metric::CROSS_REGION_BYTES, pair.total as f64);
            super::observe::summary_cost(summary, &pair.name, Traffic::pair_cost(pair), elapsed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;
    use crate::scenario::geo::{Link, LinkKeys, Region};

    fn geo(link_price: Option<f64>) -> crate::scenario::geo::Geo {
        let region = |name: &str| Region {
            name: name.into(),
            users: 1.0,
        };
        crate::scenario::geo::Geo {
            regions: IdVec::from_vec(vec![region("us"), region("eu"), region("ap")]),
            links: vec![Link {
                a: RegionId(0),
                b: RegionId(1),
                keys: LinkKeys {
                    latency: SimDuration::from_millis(80),
                    price_per_gb: link_price,
                },
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_link_price_overrides_the_network_default_and_a_region_is_free() {
        let priced = geo(Some(0.05));
        assert_eq!(priced.price_per_gb(RegionId(0), RegionId(1), 0.02), 0.05);
        assert_eq!(priced.price_per_gb(RegionId(1), RegionId(0), 0.02), 0.05);
        assert_eq!(priced.price_per_gb(RegionId(0), RegionId(2), 0.02), 0.02);
        assert_eq!(priced.price_per_gb(RegionId(1), RegionId(1), 0.02), 0.0);
        assert_eq!(geo(None).price_per_gb(RegionId(0), RegionId(1), 0.02), 0.02);
    }

    #[test]
    fn value_sizes_are_whole_bytes_of_the_mean() {
        assert_eq!(value_bytes(&Dist::Const { value: 1024.0 }), 1024);
        assert_eq!(value_bytes(&Dist::Exp { mean: 2047.6 }), 2048);
    }
}
