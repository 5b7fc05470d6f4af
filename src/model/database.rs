//! A database: shards, each a primary and its replicas (instances of the
//! model's arena), the versions of every key, and asynchronous replication.
//!
//! Versions make staleness measurable: the primary's `version[key]` counts
//! committed writes; each replica rank keeps `applied[rank][key]`, the
//! newest version it has applied. A read on a replica is stale when its
//! applied version is behind the primary's; it violates read-your-writes
//! when the reader is also the key's last writer. Replication is a FIFO per
//! replica (the network keeps the stream's order) into the replica's
//! appliers, so lag grows as writes approach the apply capacity.

use std::collections::VecDeque;

use super::frame::InstanceId;
use super::keys::{KeyTable, mix64};
use super::program::SiteId;
use super::ring::Ring;
use crate::engine::SimTime;
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
            Sharding::Consistent { virtual_nodes } => Some(Ring::new(shards as u32, virtual_nodes)),
            _ => None,
        };
        Layout {
            shards,
            sharding,
            ring,
        }
    }

    pub fn shard_of(&self, key: u32, keys: u32) -> usize {
        let shards = self.shards as u64;
        if shards == 1 {
            return 0;
        }
        match self.sharding {
            Sharding::Hash => (mix64(key as u64) % shards) as usize,
            Sharding::Range => (key as u64 * shards / keys.max(1) as u64) as usize,
            Sharding::Consistent { .. } => {
                let ring = self.ring.as_ref().expect("consistent sharding has a ring");
                ring.owner(key, |_| true).expect("every shard is on the ring") as usize
            }
        }
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

/// One write on its way to, or being applied by, a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub key: u32,
    pub version: u32,
    pub committed: SimTime,
}

/// A replica's apply side: its appliers and the changes waiting for them.
#[derive(Debug, Default)]
pub struct Applier {
    pub busy: u32,
    pub waiting: VecDeque<Change>,
    /// When the last change reached it (the stream stays in order).
    pub last_receive: SimTime,
}

#[derive(Debug)]
pub struct Shard {
    pub primary: InstanceId,
    pub replicas: Vec<InstanceId>,
    pub next_replica: u32,
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
}

impl DatabaseCounters {
    pub fn merge(&mut self, other: &DatabaseCounters) {
        self.reads += other.reads;
        self.writes += other.writes;
        self.replica_reads += other.replica_reads;
        self.stale_reads += other.stale_reads;
        self.read_your_writes_violations += other.read_your_writes_violations;
        self.lost_writes += other.lost_writes;
    }
}

#[derive(Debug)]
pub struct Database {
    pub name: String,
    pub shards: Vec<Shard>,
    pub layout: Layout,
    pub keys: u32,
    /// The reshard to come, if any.
    pub reshard: Option<ReshardPlan>,
    /// A reshard in progress, or done.
    pub migration: Option<Migration>,
    pub read_from: ReadFrom,
    pub mode: ReplicationMode,
    pub apply: SiteId,
    pub appliers_per_replica: u32,
    /// Per key: committed version on its primary (tracking databases only).
    pub version: Option<KeyTable>,
    /// Per key: the user who wrote the current version.
    pub last_writer: Option<KeyTable>,
    /// Per replica rank, per key: the newest version applied.
    pub applied: Vec<KeyTable>,
    /// Per replica (shard × replicas + rank).
    pub appliers: Vec<Applier>,
    pub window: DatabaseCounters,
    pub total: DatabaseCounters,
    pub lag: LatencyRecorder,
}

impl Database {
    /// The shard holding `key`: by the current layout, except for a key
    /// still waiting to be migrated during a reshard, which stays where the
    /// old layout put it.
    pub fn shard_of(&self, key: u32) -> usize {
        if let Some(migration) = &self.migration
            && let Some(position) = migration.position(key)
            && !migration.migrated[position]
        {
            return migration.old.shard_of(key, self.keys);
        }
        self.layout.shard_of(key, self.keys)
    }

    /// Index of a replica in `appliers`.
    pub fn applier_index(&self, shard: usize, rank: usize) -> usize {
        shard * self.shards[0].replicas.len() + rank
    }

    /// The version of `key` a node holds.
    pub fn version_at(&self, key: u32, replica_rank: Option<usize>) -> u32 {
        match (replica_rank, &self.version) {
            (_, None) => 0,
            (None, Some(version)) => version.get(key),
            (Some(rank), Some(_)) => self.applied[rank].get(key),
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

    /// Records that a replica applied a change.
    pub fn applied(&mut self, rank: usize, change: Change) {
        let table = &mut self.applied[rank];
        if table.get(change.key) < change.version {
            table.set(change.key, change.version);
        }
    }

    /// Whether `user` wrote the current version of `key`.
    pub fn last_written_by(&self, key: u32, user: u32) -> bool {
        self.last_writer
            .as_ref()
            .is_some_and(|writers| writers.get(key) == user)
    }
}
