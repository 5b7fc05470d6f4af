//! A cache cluster: nodes on a consistent-hash ring, each with its own
//! store. When a node dies, clients either drop it from the ring (its keys
//! move to the next node, cold there) or keep it (its keys miss and go to
//! the database); a restarted node comes back empty.

use super::cache::{CacheCounters, CacheStore};
use super::frame::InstanceId;
use super::ring::Ring;
use crate::engine::StreamId;
use crate::scenario::NodeFailure;

#[derive(Debug)]
pub struct CacheCluster {
    pub name: String,
    pub ring: Ring,
    pub nodes: Vec<InstanceId>,
    pub stores: Vec<CacheStore>,
    pub up: Vec<bool>,
    pub on_node_failure: NodeFailure,
    /// Draws for random eviction.
    pub evict_stream: StreamId,
    /// Per node, counts of kept windows.
    pub totals: Vec<CacheCounters>,
    /// Lookups that found their node down (they miss), this window.
    pub unavailable_window: u64,
    pub unavailable_total: u64,
}

impl CacheCluster {
    /// The node a key's operations go to, or `None` when that node (or,
    /// with rehashing, every node) is down.
    pub fn node_for(&self, key: u32) -> Option<usize> {
        let owner = match self.on_node_failure {
            NodeFailure::Rehash => self.ring.owner(key, |node| self.up[node as usize])?,
            NodeFailure::Miss => self.ring.owner(key, |_| true)?,
        } as usize;
        self.up[owner].then_some(owner)
    }

    /// Kills node `index`: it is down and loses its contents.
    pub fn kill(&mut self, index: usize) {
        self.up[index] = false;
        self.stores[index].clear();
    }

    /// Restarts node `index`, empty.
    pub fn restore(&mut self, index: usize) {
        self.stores[index].clear();
        self.up[index] = true;
    }
}
