//! A cache cluster: nodes on a consistent-hash ring, each with its own
//! store. When a node dies, clients either drop it from the ring (its keys
//! move to the next node, cold there) or keep it (its keys miss and go to
//! the database); a restarted node comes back empty, and rejoins at once
//! or, with `warm_restart`, once warm (`warm_restart.rs`).

use super::cache::{CacheCounters, CacheStore};
use super::coalesce::SingleFlight;
use super::frame::InstanceId;
use super::ids::CacheNodeId;
use super::ring::Ring;
use super::stale::Revalidate;
use super::warm_restart::Warmer;
use crate::engine::id::IdVec;
use crate::engine::{SimTime, StreamId};
use crate::scenario::NodeFailure;

#[derive(Debug)]
pub struct CacheCluster {
    pub name: String,
    pub ring: Ring,
    pub nodes: IdVec<CacheNodeId, InstanceId>,
    pub stores: IdVec<CacheNodeId, CacheStore>,
    pub up: IdVec<CacheNodeId, bool>,
    pub on_node_failure: NodeFailure,
    /// Cores each node computes on (its `threads`, at most its size's).
    pub cores: u32,
    /// Draws for random eviction.
    pub evict_stream: StreamId,
    /// Per node, counts of kept windows.
    pub totals: IdVec<CacheNodeId, CacheCounters>,
    /// Lookups that found their node down (they miss), this window.
    pub unavailable_window: u64,
    pub unavailable_total: u64,
    /// Single flight per key on a miss (`coalesce = true`).
    pub coalesce: Option<Box<SingleFlight>>,
    /// Stale hits' background refreshes (`stale_while_revalidate`).
    pub revalidate: Option<Box<Revalidate>>,
    /// Warming a restarted node before it rejoins (`warm_restart`).
    pub warm_restart: Option<Box<Warmer>>,
}

impl CacheCluster {
    /// The node a key's operations go to, or `None` when that node (or,
    /// with rehashing, every node) is down.
    pub fn node_for(&self, key: u32) -> Option<CacheNodeId> {
        let owner = CacheNodeId(match self.on_node_failure {
            NodeFailure::Rehash => self.ring.owner(key, |node| self.up[CacheNodeId(node)])?,
            NodeFailure::Miss => self.ring.owner(key, |_| true)?,
        });
        self.up[owner].then_some(owner)
    }

    /// Kills `node`: it is down and loses its contents.
    pub fn kill(&mut self, node: CacheNodeId, now: SimTime) {
        self.up[node] = false;
        if let Some(warmer) = self.warm_restart.as_deref_mut() {
            warmer.node_died(node, &self.stores[node]);
        }
        self.stores[node].clear(now);
    }

    /// Restarts `node`, empty.
    pub fn restore(&mut self, node: CacheNodeId, now: SimTime) {
        self.stores[node].clear(now);
        self.up[node] = true;
    }
}
