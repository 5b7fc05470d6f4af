//! A database: shards, each a primary and its replicas (instances of the
//! model's arena), the versions of every key, replication, and failover.
//!
//! Versions make staleness measurable: `version[key]` counts the writes the
//! key's primary has committed; each node keeps, in the table of its slot,
//! the newest version it has applied. A read on a replica is stale when its
//! applied version is behind the primary's; it violates read-your-writes
//! when the reader is also the key's last writer.
//!
//! Each shard keeps a log of the writes not yet applied by every live
//! replica, numbered by a sequence. The stream to each replica is FIFO (the
//! network keeps its order) into the replica's appliers, so lag grows as
//! writes approach the apply capacity. When a primary dies the log says
//! which acknowledged writes the most up-to-date replica never received:
//! those are lost when it is promoted (RPO).
//!
//! Slots: a shard's nodes occupy slots 0..=replicas; slot tables are shared
//! across shards (a key lives on one shard), so memory is (replicas + 1) ×
//! keys, not nodes × keys. A promoted replica keeps its slot.

use std::collections::VecDeque;

use super::frame::{InstanceId, NO_PARENT};
use super::ids::{DatabaseNodeId, NodeSlot, ShardId};
use super::keys::{KeyTable, mix64};
use super::program::SiteId;
use super::ring::Ring;
use crate::engine::SimTime;
use crate::engine::id::IdVec;
use crate::metrics::LatencyRecorder;
use crate::scenario::{ReadFrom, ReplicationMode, Sharding};

/// How keys map to shards.
#[derive(Debug)]
pub struct Layout {
    pub shards: usize,
    pub sharding: Sharding,
    pub ring: Option<Ring>,
}

impl Layout {
    pub fn new(shards: usize, sharding: Sharding) -> Self {
        let ring = match sharding {
            Sharding::Consistent(ring) => Some(Ring::new(shards as u32, ring.virtual_nodes)),
            _ => None,
        };
        Layout {
            shards,
            sharding,
            ring,
        }
    }

    pub fn shard_of(&self, key: u32, keys: u32) -> ShardId {
        let shards = self.shards as u64;
        if shards == 1 {
            return ShardId(0);
        }
        ShardId(match self.sharding {
            Sharding::Hash => (mix64(key as u64) % shards) as u32,
            Sharding::Range => (key as u64 * shards / keys.max(1) as u64) as u32,
            Sharding::Consistent(_) => {
                let ring = self.ring.as_ref().expect("consistent sharding has a ring");
                ring.owner(key, |_| true).expect("every shard is on the ring")
            }
        })
    }
}

/// A reshard the scenario schedules: the new shard count, the pace, and
/// the programs of one key's copy (a read on the old primary, a write on
/// the new one).
#[derive(Debug, Clone, Copy)]
pub struct ReshardPlan {
    pub shards: usize,
    pub interval: crate::engine::SimDuration,
    pub read_program: u32,
    pub write_program: u32,
}

/// Moving keys to a new layout: the keys that change shard, in key order,
/// each copied (a read on its old primary, a write on its new one) at a
/// fixed rate; a key is served from its old shard until its copy is done.
#[derive(Debug)]
pub struct Migration {
    pub old: Layout,
    pub moved: Vec<u32>,
    /// Per key: index in `moved`, or `u32::MAX` if the key stays put.
    pub positions: KeyTable,
    pub migrated: Vec<bool>,
    /// Next key to start copying.
    pub next: usize,
    pub done: usize,
}

impl Migration {
    pub fn position(&self, key: u32) -> Option<usize> {
        let position = self.positions.get(key);
        (position != u32::MAX).then_some(position as usize)
    }
}

/// A write in a shard's replication log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub seq: u32,
    pub key: u32,
    pub version: u32,
    pub committed: SimTime,
    /// Acknowledged to the writer (at commit under async; once enough
    /// replicas received it under semi-sync).
    pub acked: bool,
    /// A semi-sync write waiting for acks, or `NO_PARENT`.
    pub waiter: crate::engine::SlabKey,
}

/// A replica's apply side: its appliers and the writes waiting for them.
/// An apply is CPU work: on a node whose cores are a limit it takes one of
/// them, in turn with the reads' CPU parts (`ready` holds the writes whose
/// applier waits for a core, in the order of the instance's core queue).
#[derive(Debug, Default)]
pub struct Applier {
    pub busy: u32,
    pub waiting: VecDeque<u32>,
    /// Applies computing now: (seq, shard epoch), each with its
    /// `ApplyDone` pending. One whose event finds it gone belongs to a
    /// life of the node that ended (restored since) and holds nothing.
    pub in_flight: Vec<(u32, u32)>,
    /// Appliers waiting for a core: (seq, shard epoch, since when).
    pub ready: VecDeque<(u32, u32, SimTime)>,
    /// When the last write reached it (the stream stays in order).
    pub last_receive: SimTime,
    /// The first write a partition held back from it (0: none); writes
    /// from there on are shipped when the partition heals.
    pub held_from: u32,
}

/// One node of a database (primary or replica at any given time).
#[derive(Debug)]
pub struct Node {
    pub instance: InstanceId,
    pub shard: ShardId,
    pub slot: NodeSlot,
    /// Highest log sequence received and applied.
    pub received: u32,
    pub applied: u32,
    pub applier: Applier,
    /// Clients and the failover manager know it is down.
    pub known_down: bool,
}

#[derive(Debug)]
pub struct Shard {
    pub primary: DatabaseNodeId,
    pub replicas: Vec<DatabaseNodeId>,
    pub next_replica: u32,
    /// Bumped at each promotion: writes shipped by an old primary are dropped.
    pub epoch: u32,
    pub log: VecDeque<LogEntry>,
    pub next_seq: u32,
    /// A promotion is under way: writes are refused as unavailable.
    pub promoting: bool,
    /// Semi-sync gave up waiting for acks: writes are acknowledged at
    /// commit (asynchronous) until enough replicas have caught up.
    pub degraded: bool,
    /// While degraded: the last write committed when it fell back; a live
    /// replica that has received it has caught up.
    pub catch_up_to: u32,
}

impl Applier {
    /// A promotion re-points the replica at a new primary: the writes not
    /// yet applied are dropped, but the applies already computing finish
    /// (they hold cores) and keep their appliers busy until then.
    pub fn restart(&mut self) {
        self.waiting.clear();
        self.ready.clear();
        self.busy = self.in_flight.len() as u32;
        self.last_receive = SimTime::ZERO;
        self.held_from = 0;
    }

    /// Whether the apply of (`seq`, `epoch`) is computing in this life of
    /// the node; if so it is done now.
    pub fn finish(&mut self, seq: u32, epoch: u32) -> bool {
        match self.in_flight.iter().position(|&entry| entry == (seq, epoch)) {
            Some(index) => {
                self.in_flight.swap_remove(index);
                true
            }
            None => false,
        }
    }
}

impl Shard {
    pub fn entry(&self, seq: u32) -> Option<&LogEntry> {
        let front = self.log.front()?.seq;
        self.log.get(seq.checked_sub(front)? as usize)
    }
}

/// Counts of one window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DatabaseCounters {
    pub reads: u64,
    pub writes: u64,
    pub replica_reads: u64,
    pub stale_reads: u64,
    pub read_your_writes_violations: u64,
    pub lost_writes: u64,
    /// Times a semi-sync shard fell back to asynchronous replication.
    pub semi_sync_fallbacks: u64,
    /// Writes acknowledged without the acks semi-sync asks for (while
    /// degraded, or released by the fallback): the ones a failover can lose.
    pub degraded_writes: u64,
}

impl DatabaseCounters {
    pub fn merge(&mut self, other: &DatabaseCounters) {
        self.reads += other.reads;
        self.writes += other.writes;
        self.replica_reads += other.replica_reads;
        self.stale_reads += other.stale_reads;
        self.read_your_writes_violations += other.read_your_writes_violations;
        self.lost_writes += other.lost_writes;
        self.semi_sync_fallbacks += other.semi_sync_fallbacks;
        self.degraded_writes += other.degraded_writes;
    }
}

#[derive(Debug)]
pub struct Database {
    pub name: String,
    pub shards: IdVec<ShardId, Shard>,
    pub nodes: IdVec<DatabaseNodeId, Node>,
    pub layout: Layout,
    pub keys: u32,
    /// The reshard to come, if any.
    pub reshard: Option<ReshardPlan>,
    /// A reshard in progress, or done.
    pub migration: Option<Migration>,
    pub read_from: ReadFrom,
    pub mode: ReplicationMode,
    pub apply: SiteId,
    /// The time to ship a write to a replica.
    pub ship: SiteId,
    pub appliers_per_replica: u32,
    /// Every node's size: cores and speed (on its instance), memory and
    /// price (not yet counted in `cost_usd`).
    pub size: crate::scenario::Size,
    pub failover: Option<crate::scenario::Failover>,
    /// Per key: committed version on its primary (tracking databases only).
    pub version: Option<KeyTable>,
    /// Per key: the user who wrote the current version.
    pub last_writer: Option<KeyTable>,
    /// Per slot, per key: the newest version the node in that slot applied.
    pub applied: IdVec<NodeSlot, KeyTable>,
    pub window: DatabaseCounters,
    pub total: DatabaseCounters,
    pub lag: LatencyRecorder,
}

impl Database {
    /// The shard holding `key`: by the current layout, except for a key
    /// still waiting to be migrated during a reshard, which stays where the
    /// old layout put it.
    pub fn shard_of(&self, key: u32) -> ShardId {
        if let Some(migration) = &self.migration
            && let Some(position) = migration.position(key)
            && !migration.migrated[position]
        {
            return migration.old.shard_of(key, self.keys);
        }
        self.layout.shard_of(key, self.keys)
    }

    pub fn is_semi_sync(&self) -> bool {
        matches!(self.mode, ReplicationMode::SemiSync(_))
    }

    pub fn is_primary(&self, node: DatabaseNodeId) -> bool {
        self.shards[self.nodes[node].shard].primary == node
    }

    /// The version of `key` that `node` holds.
    pub fn version_at(&self, key: u32, node: DatabaseNodeId) -> u32 {
        match &self.version {
            None => 0,
            Some(version) if self.is_primary(node) => version.get(key),
            Some(_) => self.applied[self.nodes[node].slot].get(key),
        }
    }

    /// The current committed version of `key`.
    pub fn current_version(&self, key: u32) -> u32 {
        self.version.as_ref().map_or(0, |version| version.get(key))
    }

    /// Commits a new version of `key` by `user`; returns it.
    pub fn commit(&mut self, key: u32, user: u32) -> u32 {
        let Some(version) = &mut self.version else {
            return 0;
        };
        let next = version.get(key).wrapping_add(1);
        version.set(key, next);
        if let Some(writers) = &mut self.last_writer {
            writers.set(key, user);
        }
        next
    }

    /// Records that `node` applied `entry`.
    pub fn apply_entry(&mut self, node: DatabaseNodeId, entry: &LogEntry) {
        let table = &mut self.applied[self.nodes[node].slot];
        if table.get(entry.key) < entry.version {
            table.set(entry.key, entry.version);
        }
    }

    /// Whether `user` wrote the current version of `key`.
    pub fn last_written_by(&self, key: u32, user: u32) -> bool {
        self.last_writer
            .as_ref()
            .is_some_and(|writers| writers.get(key) == user)
    }

    /// Drops log entries every live replica of `shard` has applied, up to
    /// the first write still waiting for semi-sync acks (a replica that
    /// comes back acks it).
    pub fn prune_log(&mut self, shard: ShardId) {
        let applied = self.shards[shard]
            .replicas
            .iter()
            .filter(|&&node| !self.nodes[node].known_down)
            .map(|&node| self.nodes[node].applied)
            .min()
            .unwrap_or(u32::MAX);
        let log = &mut self.shards[shard].log;
        while log
            .front()
            .is_some_and(|entry| entry.seq <= applied && entry.waiter == NO_PARENT)
        {
            log.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_apply_finishes_once_and_only_in_its_life() {
        let mut applier = Applier::default();
        applier.in_flight.extend([(5, 0), (6, 0)]);
        applier.busy = 2;
        assert!(applier.finish(6, 0));
        assert!(!applier.finish(6, 0), "done already");
        assert!(!applier.finish(5, 1), "same write, another primary's stream");
        // A restored node starts afresh: the old life's applies hold nothing.
        applier = Applier::default();
        assert!(!applier.finish(5, 0));
    }

    #[test]
    fn a_promotion_drops_the_waiting_writes_but_not_the_applies_computing() {
        let mut applier = Applier::default();
        applier.in_flight.push((7, 0));
        applier.waiting.extend([8, 9]);
        applier.ready.push_back((10, 0, SimTime::ZERO));
        applier.busy = 3;
        applier.restart();
        assert_eq!(applier.busy, 1, "the apply computing keeps its applier");
        assert!(applier.waiting.is_empty() && applier.ready.is_empty());
        assert!(applier.finish(7, 0));
    }
}
