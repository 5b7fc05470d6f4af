//! Replication between data centers: each write shipped to a replica in
//! another region pays the latency between the regions, so cross-DC lag
//! comes out of the model; a partition between the primary's and a
//! replica's data centers holds the stream back (the replica falls behind,
//! its lag grows), and the heal ships everything held, in order.

use super::frame::InstanceId;
use super::ids::{DatabaseId, DatabaseNodeId};
use super::{Event, Model};
use crate::engine::{EventQueue, SimDuration, SlabKey};
use crate::scenario::ReadFrom;

impl Model {
    /// With `read_from = "nearest"`: the live node of the key's shard
    /// nearest the caller's data center, in turn among equally near ones.
    /// `None` leaves the choice to the database's usual routing.
    pub(super) fn geo_read_node(
        &mut self,
        database: DatabaseId,
        key: u32,
        caller: SlabKey,
    ) -> Option<InstanceId> {
        if !self.geo.enabled || self.databases[database].read_from != ReadFrom::Nearest {
            return None;
        }
        let from = self.frame_dc(caller);
        let state = &mut self.databases[database];
        let shard_index = state.shard_of(key);
        let shard = &state.shards[shard_index];
        let primary = (!shard.promoting).then_some(shard.primary);
        let live = shard
            .replicas
            .iter()
            .copied()
            .filter(|&node| !state.nodes[node].known_down)
            .chain(primary);
        let distance = |node: DatabaseNodeId| {
            self.geo
                .dc_latency(from, self.geo.dc_of(state.nodes[node].instance))
        };
        let best = live.clone().map(distance).min()?;
        let count = live.clone().filter(|&node| distance(node) == best).count();
        let turn = shard.next_replica as usize % count;
        let chosen = live.filter(|&node| distance(node) == best).nth(turn)?;
        let instance = state.nodes[chosen].instance;
        let shard = &mut state.shards[shard_index];
        shard.next_replica = shard.next_replica.wrapping_add(1);
        Some(instance)
    }

    /// The latency replication adds from a shard's primary to replica
    /// `node` for write `seq`, or `None` when the write is held back (a
    /// partition, or earlier writes already held: the stream stays in
    /// order).
    pub(super) fn geo_ship(
        &mut self,
        database: DatabaseId,
        node: DatabaseNodeId,
        seq: u32,
    ) -> Option<SimDuration> {
        if !self.geo.enabled {
            return Some(SimDuration::ZERO);
        }
        let state = &self.databases[database];
        let replica = &state.nodes[node];
        let primary = state.nodes[state.shards[replica.shard].primary].instance;
        let (from, to) = (self.geo.dc_of(primary), self.geo.dc_of(replica.instance));
        if replica.applier.held_from != 0 {
            return None;
        }
        if self.geo.partitioned(from, to) {
            self.hold_replication(database, node, seq);
            return None;
        }
        self.count_replicated_bytes(database, from, to);
        Some(self.geo.dc_latency(from, to))
    }

    /// Marks replica `node` as held back from write `seq` on.
    pub(super) fn hold_replication(&mut self, database: DatabaseId, node: DatabaseNodeId, seq: u32) {
        let applier = &mut self.databases[database].nodes[node].applier;
        if applier.held_from == 0 || seq < applier.held_from {
            applier.held_from = seq;
        }
    }

    /// Whether write `seq` reaching replica `node` is cut off by a
    /// partition (then it is held, to be shipped again at the heal).
    pub(super) fn geo_receive_blocked(
        &mut self,
        database: DatabaseId,
        node: DatabaseNodeId,
        seq: u32,
    ) -> bool {
        if !self.geo.enabled {
            return false;
        }
        let state = &self.databases[database];
        let replica = &state.nodes[node];
        let primary = state.nodes[state.shards[replica.shard].primary].instance;
        let blocked = replica.applier.held_from != 0 && seq >= replica.applier.held_from
            || self
                .geo
                .partitioned(self.geo.dc_of(primary), self.geo.dc_of(replica.instance));
        if blocked {
            self.hold_replication(database, node, seq);
        }
        blocked
    }

    /// The latency of a semi-sync ack from replica `node` back to its
    /// primary, or `None` when a partition drops it.
    pub(super) fn geo_ack(&self, database: DatabaseId, node: DatabaseNodeId) -> Option<SimDuration> {
        if !self.geo.enabled {
            return Some(SimDuration::ZERO);
        }
        let state = &self.databases[database];
        let replica = &state.nodes[node];
        let primary = state.nodes[state.shards[replica.shard].primary].instance;
        let (from, to) = (self.geo.dc_of(replica.instance), self.geo.dc_of(primary));
        (!self.geo.partitioned(from, to)).then(|| self.geo.dc_latency(from, to))
    }

    /// After a heal: every replica held back and no longer cut off gets
    /// the writes it missed, in order, over its link.
    pub(super) fn reship_held(&mut self, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        for database in self.databases.ids() {
            for node in self.databases[database].nodes.ids() {
                let state = &self.databases[database];
                let replica = &state.nodes[node];
                let held_from = replica.applier.held_from;
                let shard = &state.shards[replica.shard];
                if held_from == 0 || shard.primary == node {
                    continue;
                }
                let primary = state.nodes[shard.primary].instance;
                let (from, to) = (self.geo.dc_of(primary), self.geo.dc_of(replica.instance));
                if self.geo.partitioned(from, to) {
                    continue;
                }
                let link = self.geo.dc_latency(from, to);
                let epoch = shard.epoch;
                let seqs: Vec<u32> = shard
                    .log
                    .iter()
                    .map(|entry| entry.seq)
                    .filter(|&seq| seq >= held_from)
                    .collect();
                self.databases[database].nodes[node].applier.held_from = 0;
                let ship = self.databases[database].ship;
                for seq in seqs {
                    self.count_replicated_bytes(database, from, to);
                    let hop = self.sample_duration(ship) + link;
                    let applier = &mut self.databases[database].nodes[node].applier;
                    let arrival = (now + hop).max(applier.last_receive);
                    applier.last_receive = arrival;
                    let event = Event::ReplicaReceive {
                        database,
                        node,
                        seq,
                        epoch,
                    };
                    queue.schedule_at(arrival, event);
                }
            }
        }
    }
}
