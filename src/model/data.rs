//! The data tier at work: choosing a database node, the ops that run at
//! database and cache nodes, and replication (asynchronous or
//! semi-synchronous) through each shard's log.

use super::cache::Lookup;
use super::database::LogEntry;
use super::frame::{Cause, InstanceId, MISS, NO_PARENT, Purpose};
use super::ids::{DatabaseId, DatabaseNodeId};
use super::instance::APPLIER;
use super::program::{NO_DATABASE, NO_REFRESH, Op};
use super::{Event, Model, Role};
use crate::engine::{EventQueue, SimDuration, SlabKey};
use crate::scenario::ReadFrom;

/// Where a database operation goes.
pub(super) enum Target {
    Node(InstanceId),
    /// Nowhere: the shard has no primary right now (failover under way).
    Unavailable,
}

impl Model {
    /// The node a read of `key` goes to: the shard's primary, or one of its
    /// replicas by the database's read policy, skipping replicas known to
    /// be down (the primary if none is left).
    pub(super) fn read_node(&mut self, database: DatabaseId, key: u32) -> Target {
        let state = &mut self.databases[database];
        let shard_index = state.shard_of(key);
        let shard = &mut state.shards[shard_index];
        let live = |node: &&DatabaseNodeId| !state.nodes[**node].known_down;
        let count = shard.replicas.iter().filter(live).count();
        let node = if count == 0 || state.read_from == ReadFrom::Primary {
            if shard.promoting {
                return Target::Unavailable;
            }
            shard.primary
        } else {
            let start = shard.next_replica as usize;
            shard.next_replica = shard.next_replica.wrapping_add(1);
            let mut candidates = shard
                .replicas
                .iter()
                .filter(live)
                .cycle()
                .skip(start % count)
                .take(count);
            match state.read_from {
                ReadFrom::LeastConnections => *candidates
                    .min_by_key(|node| self.instances[state.nodes[**node].instance].present)
                    .expect("a live replica"),
                _ => *candidates.next().expect("a live replica"),
            }
        };
        Target::Node(state.nodes[node].instance)
    }

    /// The node a write of `key` goes to: the shard's primary.
    pub(super) fn write_node(&self, database: DatabaseId, key: u32) -> Target {
        let state = &self.databases[database];
        let shard = &state.shards[state.shard_of(key)];
        if shard.promoting {
            return Target::Unavailable;
        }
        Target::Node(state.nodes[shard.primary].instance)
    }

    /// Runs a cache op or a database read at the frame's node. Returns
    /// true if the frame waits (a coalesced miss, `coalesce.rs`).
    #[inline(never)]
    pub(super) fn data_op(&mut self, key: SlabKey, op: Op, queue: &mut EventQueue<Event>) -> bool {
        let now = queue.now();
        let frame = self.frames.get_mut(key).expect("frame in flight");
        let role = self.roles[frame.instance];
        let carry = &mut frame.carry;
        match (op, role) {
            (
                Op::CacheLookup {
                    cache,
                    database,
                    refresh,
                },
                Role::CacheNode { node, .. },
            ) => {
                let store = &mut self.caches[cache].stores[node];
                let looked = store.look(carry.key, now);
                match looked {
                    Lookup::Fresh(version) | Lookup::Stale(version) => {
                        carry.value = version;
                        if database != NO_DATABASE
                            && self.databases[database].current_version(carry.key) > version
                        {
                            store.counters.stale_reads += 1;
                        }
                        if refresh != NO_REFRESH && matches!(looked, Lookup::Stale(_)) {
                            self.start_refresh(cache, key, refresh);
                        }
                    }
                    Lookup::Miss => {
                        carry.value = MISS;
                        if self.caches[cache].coalesce.is_some() {
                            return self.coalesce_miss(key, cache, now, queue);
                        }
                    }
                }
            }
            (Op::CacheFill { cache }, Role::CacheNode { node, .. }) => {
                // A background refresh or warm-up read whose node died
                // since it started fills nothing.
                let lost =
                    frame.purpose != Purpose::Call && self.instances[frame.instance].epoch != frame.epoch;
                if carry.value != MISS && !lost {
                    let (item, version) = (carry.key, carry.value);
                    let cluster = &mut self.caches[cache];
                    let rng = self.streams.get(cluster.evict_stream);
                    cluster.stores[node].fill(item, version, now, rng);
                    if cluster.coalesce.is_some() {
                        self.coalesce_filled(cache, item, version);
                    }
                }
            }
            (Op::CacheInvalidate { cache }, Role::CacheNode { node, .. }) => {
                self.caches[cache].stores[node].invalidate(carry.key, now);
            }
            (Op::DatabaseRead { .. }, Role::DatabaseNode { database, node }) => {
                let state = &mut self.databases[database];
                state.window.reads += 1;
                let seen = state.version_at(carry.key, node);
                if !state.is_primary(node) {
                    state.window.replica_reads += 1;
                    if seen < state.current_version(carry.key) {
                        state.window.stale_reads += 1;
                        if state.last_written_by(carry.key, carry.user) {
                            state.window.read_your_writes_violations += 1;
                        }
                    }
                }
                carry.value = seen;
            }
            (op, role) => unreachable!("{op:?} cannot run at {role:?}"),
        }
        false
    }

    /// Commits a write at a primary and ships it to the shard's replicas.
    /// Returns true if the frame must wait for semi-sync acks.
    #[inline(never)]
    pub(super) fn database_write(
        &mut self,
        key: SlabKey,
        database: DatabaseId,
        queue: &mut EventQueue<Event>,
    ) -> bool {
        let now = queue.now();
        let frame = self.frames.get_mut(key).expect("frame in flight");
        let Role::DatabaseNode { node, .. } = self.roles[frame.instance] else {
            unreachable!("writes run at database nodes");
        };
        let state = &mut self.databases[database];
        let shard_index = state.nodes[node].shard;
        if !state.is_primary(node) {
            // A write that reached an old primary after a failover.
            frame.failure = Some(Cause::Refused);
            return false;
        }
        state.window.writes += 1;
        let version = state.commit(frame.carry.key, frame.carry.user);
        frame.carry.value = version;
        let acks = self.semi_sync_wait(database, shard_index, key, queue);
        let frame = self.frames.get_mut(key).expect("frame in flight");
        if acks > 0 {
            frame.pending = acks;
        } else {
            frame.pc += 1;
        }
        let shard = &mut self.databases[database].shards[shard_index];
        let replica_count = shard.replicas.len();
        if replica_count == 0 {
            return false;
        }
        let seq = shard.next_seq;
        shard.next_seq += 1;
        shard.log.push_back(LogEntry {
            seq,
            key: frame.carry.key,
            version,
            committed: now,
            acked: acks == 0,
            waiter: if acks > 0 { key } else { NO_PARENT },
        });
        let epoch = shard.epoch;
        let ship = self.databases[database].ship;
        for index in 0..replica_count {
            let replica = self.databases[database].shards[shard_index].replicas[index];
            let hop = self.sample_duration(ship);
            let Some(link) = self.geo_ship(database, replica, seq) else {
                continue; // held back by a partition until it heals
            };
            let hop = hop + link;
            let applier = &mut self.databases[database].nodes[replica].applier;
            // The replication stream is ordered: a write never overtakes
            // the one before it.
            let arrival = (now + hop).max(applier.last_receive);
            applier.last_receive = arrival;
            queue.schedule_at(
                arrival,
                Event::ReplicaReceive {
                    database,
                    node: replica,
                    seq,
                    epoch,
                },
            );
        }
        acks > 0
    }

    /// A write reached a replica: ack it (semi-sync) and queue it to apply.
    #[inline(never)]
    pub(super) fn replica_receive(
        &mut self,
        database: DatabaseId,
        node: DatabaseNodeId,
        seq: u32,
        epoch: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let state = &mut self.databases[database];
        let replica = &state.nodes[node];
        let shard = &state.shards[replica.shard];
        let instance = replica.instance;
        let sender = state.nodes[shard.primary].instance;
        // Dropped: a stream from a replaced primary, a dead receiver, or a
        // write still on a primary that died — a replica pulls the log, so
        // what it had not received when the primary died is gone with it.
        if epoch != shard.epoch || !self.instances[instance].up || !self.instances[sender].up {
            return;
        }
        if self.geo_receive_blocked(database, node, seq) {
            return;
        }
        let state = &mut self.databases[database];
        let shard = &state.shards[state.nodes[node].shard];
        let waiter = shard.entry(seq).map_or(NO_PARENT, |entry| entry.waiter);
        let replica = &mut state.nodes[node];
        replica.received = replica.received.max(seq);
        let shard_index = replica.shard;
        self.semi_sync_caught_up(database, shard_index, queue.now());
        if waiter != NO_PARENT {
            let hop = self.sample_duration(self.network_internal);
            if let Some(link) = self.geo_ack(database, node) {
                queue.schedule_in(hop + link, Event::Ack { frame: waiter });
            }
        }
        let state = &mut self.databases[database];
        let applier = &mut state.nodes[node].applier;
        if applier.busy < state.appliers_per_replica {
            applier.busy += 1;
            self.start_apply(database, node, seq, epoch, queue);
        } else {
            applier.waiting.push_back(seq);
        }
    }

    /// An applier takes write `seq`: it computes now if it gets a core (or
    /// the node's cores are no limit), else waits in line for one with the
    /// reads' CPU parts.
    fn start_apply(
        &mut self,
        database: DatabaseId,
        node: DatabaseNodeId,
        seq: u32,
        epoch: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let instance_id = self.databases[database].nodes[node].instance;
        let instance = &mut self.instances[instance_id];
        if instance.cores_limit {
            let got = match instance.host {
                // Sharing the host's cores, it needs no core of its own.
                Some(host) if self.hosts[host].sharing.is_some() => true,
                Some(host) => self.hosts[host].acquire(instance_id, APPLIER, queue.now()),
                None => instance.acquire_core(APPLIER),
            };
            if !got {
                let applier = &mut self.databases[database].nodes[node].applier;
                applier.ready.push_back((seq, epoch, queue.now()));
                return;
            }
            self.station_metrics[instance.station].window.core_started += 1;
        }
        self.compute_apply(database, node, seq, epoch, queue);
    }

    /// A core of `instance_id` went to its first applier waiting for one:
    /// false if a promotion dropped that applier's write (the core is
    /// still to hand on).
    #[inline(never)]
    pub(super) fn apply_on_core(&mut self, instance_id: InstanceId, queue: &mut EventQueue<Event>) -> bool {
        let Role::DatabaseNode { database, node } = self.roles[instance_id] else {
            unreachable!("only database nodes apply writes");
        };
        let Some((seq, epoch, since)) = self.databases[database].nodes[node].applier.ready.pop_front() else {
            return false;
        };
        let counters = &mut self.station_metrics[self.instances[instance_id].station].window;
        counters.core_started += 1;
        counters.core_waited += 1;
        counters.core_wait_ns += queue.now().since(since).as_nanos() as u128;
        self.compute_apply(database, node, seq, epoch, queue);
        true
    }

    /// Applies write `seq` on a core: its CPU time (`apply`, / the node's
    /// speed, slowed like any computing) counts as the node's CPU busy.
    fn compute_apply(
        &mut self,
        database: DatabaseId,
        node: DatabaseNodeId,
        seq: u32,
        epoch: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let state = &mut self.databases[database];
        let instance_id = state.nodes[node].instance;
        state.nodes[node].applier.in_flight.push((seq, epoch));
        let apply = state.apply;
        let instance = &mut self.instances[instance_id];
        instance.computing += 1;
        let shared = instance.host.filter(|&host| self.hosts[host].sharing.is_some());
        if shared.is_none() {
            self.station_metrics[instance.station].cpu.increment(queue.now());
        }
        let (speed, factor, add) = (instance.speed, instance.slow_factor, instance.slow_add_ns);
        let demand = self.sample(apply);
        let work_ns = (demand * factor + add) / speed;
        let done = Event::ApplyDone {
            database,
            node,
            seq,
            epoch,
        };
        match shared {
            Some(host) => self.share_start(host, instance_id, work_ns, done, queue),
            None => queue.schedule_in(SimDuration::from_nanos_f64(work_ns), done),
        }
    }

    /// A replica applied a write: its core is free; unless a promotion
    /// came between, record the lag; the applier takes the next write.
    #[inline(never)]
    pub(super) fn apply_done(
        &mut self,
        database: DatabaseId,
        node: DatabaseNodeId,
        seq: u32,
        epoch: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let now = queue.now();
        let state = &mut self.databases[database];
        let instance_id = state.nodes[node].instance;
        // A crash freed the node's cores; an apply of a life that ended
        // (the node restored since) holds nothing.
        if !self.instances[instance_id].up || !state.nodes[node].applier.finish(seq, epoch) {
            return;
        }
        let instance = &mut self.instances[instance_id];
        instance.computing -= 1;
        // On a processor-sharing host it held no core, and `sharing.rs`
        // sets the CPU gauges.
        let shared = instance
            .host
            .is_some_and(|host| self.hosts[host].sharing.is_some());
        if !shared {
            self.station_metrics[instance.station].cpu.decrement(now);
            if instance.cores_limit {
                self.pass_core(instance_id, queue);
            }
        }
        let state = &mut self.databases[database];
        let shard_index = state.nodes[node].shard;
        let current = state.shards[shard_index].epoch;
        if epoch == current {
            if let Some(entry) = state.shards[shard_index].entry(seq).copied() {
                state.apply_entry(node, &entry);
                state.lag.record(now.since(entry.committed).as_nanos());
            }
            let replica = &mut state.nodes[node];
            replica.applied = replica.applied.max(seq);
        }
        let replica = &mut state.nodes[node];
        match replica.applier.waiting.pop_front() {
            Some(next) => self.start_apply(database, node, next, current, queue),
            None => replica.applier.busy -= 1,
        }
        if epoch == current {
            self.databases[database].prune_log(shard_index);
        }
    }

    /// A semi-sync ack reached its write (which may have all it needs).
    #[inline(never)]
    pub(super) fn ack(&mut self, key: SlabKey) {
        let Some(frame) = self.frames.get_mut(key) else {
            return;
        };
        if frame.pending == 0 {
            return;
        }
        frame.pending -= 1;
        if frame.pending > 0 {
            return;
        }
        frame.pc += 1;
        self.ready.push_back(key);
        // The write is acknowledged now: mark its log entry.
        if let Role::DatabaseNode { database, node } = self.roles[frame.instance] {
            let state = &mut self.databases[database];
            let shard = state.nodes[node].shard;
            if let Some(entry) = state.shards[shard]
                .log
                .iter_mut()
                .rev()
                .find(|entry| entry.waiter == key)
            {
                entry.acked = true;
                entry.waiter = NO_PARENT;
            }
        }
    }
}
