//! The data tier at work: choosing a database node, the ops that run at
//! database and cache nodes, asynchronous and semi-synchronous replication,
//! and scheduled faults.

use super::database::{Change, Layout, Migration};
use super::frame::{Carry, Frame, InstanceId, MISS, NO_BALANCER, NO_KEYSPACE, NO_PARENT, Purpose};
use super::keys::KeyTable;
use super::program::{NO_DATABASE, Op};
use super::{Event, Model, Role};
use crate::engine::{EventQueue, SimTime, SlabKey};
use crate::scenario::{FaultAction, FaultTarget, ReadFrom, ReplicationMode};

impl Model {
    /// The node a read of `key` goes to: the shard's primary, or one of its
    /// replicas by the database's read policy.
    pub(super) fn read_node(&mut self, database: u32, key: u32) -> InstanceId {
        let database = &mut self.databases[database as usize];
        let shard_index = database.shard_of(key);
        let shard = &mut database.shards[shard_index];
        if shard.replicas.is_empty() {
            return shard.primary;
        }
        match database.read_from {
            ReadFrom::Primary => shard.primary,
            ReadFrom::RoundRobin => {
                let replica = shard.replicas[shard.next_replica as usize % shard.replicas.len()];
                shard.next_replica = shard.next_replica.wrapping_add(1);
                replica
            }
            ReadFrom::LeastConnections => {
                let start = shard.next_replica as usize;
                shard.next_replica = shard.next_replica.wrapping_add(1);
                let count = shard.replicas.len();
                (0..count)
                    .map(|offset| shard.replicas[(start + offset) % count])
                    .min_by_key(|replica| self.instances[replica.index()].present)
                    .expect("a shard with replicas has one")
            }
        }
    }

    /// Runs a cache op or a database read at the frame's node.
    pub(super) fn data_op(&mut self, key: SlabKey, op: Op, now: SimTime) {
        let frame = self.frames.get_mut(key).expect("frame in flight");
        let role = self.roles[frame.instance.index()];
        let carry = &mut frame.carry;
        match (op, role) {
            (Op::CacheLookup { cache, database }, Role::CacheNode { node, .. }) => {
                let store = &mut self.caches[cache as usize].stores[node as usize];
                match store.lookup(carry.key, now) {
                    Some(version) => {
                        carry.value = version;
                        if database != NO_DATABASE
                            && self.databases[database as usize].current_version(carry.key) > version
                        {
                            store.counters.stale_reads += 1;
                        }
                    }
                    None => carry.value = MISS,
                }
            }
            (Op::CacheFill { cache }, Role::CacheNode { node, .. }) => {
                if carry.value != MISS {
                    let cluster = &mut self.caches[cache as usize];
                    let rng = self.streams.get(cluster.evict_stream);
                    cluster.stores[node as usize].fill(carry.key, carry.value, now, rng);
                }
            }
            (Op::CacheInvalidate { cache }, Role::CacheNode { node, .. }) => {
                self.caches[cache as usize].stores[node as usize].invalidate(carry.key);
            }
            (Op::DatabaseRead { .. }, Role::Primary { database, .. }) => {
                let database = &mut self.databases[database as usize];
                database.window.reads += 1;
                carry.value = database.version_at(carry.key, None);
            }
            (Op::DatabaseRead { .. }, Role::Replica { database, rank, .. }) => {
                let database = &mut self.databases[database as usize];
                database.window.reads += 1;
                database.window.replica_reads += 1;
                let seen = database.version_at(carry.key, Some(rank as usize));
                if seen < database.current_version(carry.key) {
                    database.window.stale_reads += 1;
                    if database.last_written_by(carry.key, carry.user) {
                        database.window.read_your_writes_violations += 1;
                    }
                }
                carry.value = seen;
            }
            (op, role) => unreachable!("{op:?} cannot run at {role:?}"),
        }
    }

    /// Commits a write at a primary and ships it to the shard's replicas.
    /// Returns true if the frame must wait for semi-sync acks.
    pub(super) fn database_write(
        &mut self,
        key: SlabKey,
        database: u32,
        queue: &mut EventQueue<Event>,
    ) -> bool {
        let now = queue.now();
        let frame = self.frames.get_mut(key).expect("frame in flight");
        let Role::Primary { shard, .. } = self.roles[frame.instance.index()] else {
            unreachable!("writes run at primaries");
        };
        let state = &mut self.databases[database as usize];
        state.window.writes += 1;
        let version = state.commit(frame.carry.key, frame.carry.user);
        frame.carry.value = version;
        let replicas = state.shards[shard as usize].replicas.len() as u32;
        let acks = match state.mode {
            ReplicationMode::SemiSync { acks } => acks.min(replicas),
            ReplicationMode::Async => 0,
        };
        let waiter = if acks > 0 { key } else { NO_PARENT };
        let change = Change {
            key: frame.carry.key,
            version,
            committed: now,
        };
        if acks > 0 {
            frame.pending = acks;
        } else {
            frame.pc += 1;
        }
        for rank in 0..replicas as usize {
            let hop = self.sample_duration(self.network_internal);
            let state = &mut self.databases[database as usize];
            let replica = state.shards[shard as usize].replicas[rank];
            let index = state.applier_index(shard as usize, rank);
            let applier = &mut state.appliers[index];
            // The replication stream is ordered: a change never overtakes
            // the one before it.
            let arrival = (now + hop).max(applier.last_receive);
            applier.last_receive = arrival;
            queue.schedule_at(
                arrival,
                Event::ReplicaReceive {
                    replica,
                    key: change.key,
                    version: change.version,
                    committed: change.committed,
                    waiter,
                },
            );
        }
        acks > 0
    }

    /// A change reached a replica: ack it (semi-sync) and queue it to apply.
    pub(super) fn replica_receive(
        &mut self,
        replica: InstanceId,
        change: Change,
        waiter: SlabKey,
        queue: &mut EventQueue<Event>,
    ) {
        if waiter != NO_PARENT {
            let hop = self.sample_duration(self.network_internal);
            queue.schedule_in(hop, Event::Ack { frame: waiter });
        }
        let Role::Replica {
            database,
            shard,
            rank,
        } = self.roles[replica.index()]
        else {
            unreachable!("changes go to replicas");
        };
        let state = &mut self.databases[database as usize];
        let index = state.applier_index(shard as usize, rank as usize);
        let applier = &mut state.appliers[index];
        if applier.busy < state.appliers_per_replica {
            applier.busy += 1;
            let site = state.apply;
            self.start_apply(replica, change, site, queue);
        } else {
            applier.waiting.push_back(change);
        }
    }

    fn start_apply(
        &mut self,
        replica: InstanceId,
        change: Change,
        site: super::SiteId,
        queue: &mut EventQueue<Event>,
    ) {
        let duration = self.sample_duration(site);
        queue.schedule_in(
            duration,
            Event::ApplyDone {
                replica,
                key: change.key,
                version: change.version,
                committed: change.committed,
            },
        );
    }

    /// A replica applied a change: record the lag, start the next one.
    pub(super) fn apply_done(&mut self, replica: InstanceId, change: Change, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let Role::Replica {
            database,
            shard,
            rank,
        } = self.roles[replica.index()]
        else {
            unreachable!("changes go to replicas");
        };
        let state = &mut self.databases[database as usize];
        state.applied(rank as usize, change);
        state.lag.record(now.since(change.committed).as_nanos());
        let index = state.applier_index(shard as usize, rank as usize);
        let site = state.apply;
        let applier = &mut state.appliers[index];
        match applier.waiting.pop_front() {
            Some(next) => self.start_apply(replica, next, site, queue),
            None => applier.busy -= 1,
        }
    }

    /// A semi-sync ack reached its write (which may have all it needs).
    pub(super) fn ack(&mut self, key: SlabKey) {
        let Some(frame) = self.frames.get_mut(key) else {
            return;
        };
        if frame.pending == 0 {
            return;
        }
        frame.pending -= 1;
        if frame.pending == 0 {
            frame.pc += 1;
            self.ready.push_back(key);
        }
    }

    /// Applies scheduled fault `index`.
    pub(super) fn fault(&mut self, index: usize, queue: &mut EventQueue<Event>) {
        let fault = self.faults[index].clone();
        let FaultTarget::CacheNode { cache, node } = &fault.target;
        let cluster = self
            .caches
            .iter_mut()
            .find(|cluster| &cluster.name == cache)
            .expect("fault targets are checked at load");
        match fault.action {
            FaultAction::Kill => cluster.kill(*node as usize),
            FaultAction::Restore => cluster.restore(*node as usize),
        }
        let kind = match fault.action {
            FaultAction::Kill => "kill",
            FaultAction::Restore => "restore",
        };
        self.log(queue.now(), kind, &fault.target.to_string(), String::new());
    }
}

impl Model {
    /// Switches a database to its new shard count and starts migrating the
    /// keys that move.
    pub(super) fn reshard(&mut self, database: u32, queue: &mut EventQueue<Event>) {
        let state = &mut self.databases[database as usize];
        let plan = state.reshard.expect("a reshard event has a plan");
        let new = Layout::new(plan.shards, state.layout.sharding);
        let old = std::mem::replace(&mut state.layout, new);
        let mut positions = KeyTable::new(state.keys, u32::MAX);
        let moved: Vec<u32> = (0..state.keys)
            .filter(|&key| old.shard_of(key, state.keys) != state.layout.shard_of(key, state.keys))
            .collect();
        for (position, &key) in moved.iter().enumerate() {
            positions.set(key, position as u32);
        }
        let detail = format!(
            "{} → {} shards, {} of {} keys to move",
            old.shards,
            plan.shards,
            moved.len(),
            state.keys
        );
        let finished = moved.is_empty();
        state.migration = Some(Migration {
            old,
            migrated: vec![false; moved.len()],
            moved,
            positions,
            next: 0,
            done: 0,
        });
        let name = state.name.clone();
        self.log(queue.now(), "reshard_start", &name, detail);
        if finished {
            self.log(queue.now(), "reshard_done", &name, String::new());
        } else {
            self.migrate(database, queue);
        }
    }

    /// Starts copying the next key, and schedules the one after.
    pub(super) fn migrate(&mut self, database: u32, queue: &mut EventQueue<Event>) {
        let state = &mut self.databases[database as usize];
        let plan = state.reshard.expect("migrations follow a plan");
        let migration = state.migration.as_mut().expect("a reshard started");
        let Some(&key) = migration.moved.get(migration.next) else {
            return;
        };
        let position = migration.next as u32;
        migration.next += 1;
        let more = migration.next < migration.moved.len();
        let primary = state.shards[migration.old.shard_of(key, state.keys)].primary;
        self.start_migration_step(
            primary,
            plan.read_program,
            key,
            position,
            Purpose::MigrationRead { database },
            queue,
        );
        if more {
            queue.schedule_in(plan.interval, Event::Migrate { database });
        }
    }

    /// Starts one half of a key's copy at `instance`.
    fn start_migration_step(
        &mut self,
        instance: InstanceId,
        program: u32,
        key: u32,
        position: u32,
        purpose: Purpose,
        queue: &mut EventQueue<Event>,
    ) {
        let frame = self.frames.insert(Frame {
            request: NO_PARENT,
            attempt: 0,
            parent: NO_PARENT,
            instance,
            balancer: NO_BALANCER,
            pc: program,
            pending: 0,
            failure: None,
            holds_worker: false,
            holds_core: false,
            is_branch: false,
            admitted: false,
            arrived: SimTime::ZERO,
            queued_since: SimTime::ZERO,
            carry: Carry {
                key,
                keyspace: NO_KEYSPACE,
                user: u32::MAX,
                value: position,
            },
            purpose,
        });
        self.arrive_instance(frame, queue);
    }

    /// A copy step finished: read → write on the new shard; write → done.
    /// A rejected step is tried again after the migration's interval.
    pub(super) fn migration_step_done(&mut self, frame: Frame, queue: &mut EventQueue<Event>) {
        let (database, retry) = match frame.purpose {
            Purpose::MigrationRead { database } | Purpose::MigrationWrite { database } => {
                (database, frame.failure.is_some())
            }
            Purpose::Call => unreachable!("only migration frames come here"),
        };
        let state = &mut self.databases[database as usize];
        let plan = state.reshard.expect("migrations follow a plan");
        let key = frame.carry.key;
        let position = frame.carry.value;
        if retry {
            // Start the same step again at the same node.
            let program = match frame.purpose {
                Purpose::MigrationRead { .. } => plan.read_program,
                _ => plan.write_program,
            };
            self.start_migration_step(frame.instance, program, key, position, frame.purpose, queue);
            return;
        }
        match frame.purpose {
            Purpose::MigrationRead { .. } => {
                let primary = state.shards[state.layout.shard_of(key, state.keys)].primary;
                let purpose = Purpose::MigrationWrite { database };
                self.start_migration_step(primary, plan.write_program, key, position, purpose, queue);
            }
            _ => {
                let migration = state.migration.as_mut().expect("a reshard started");
                migration.migrated[position as usize] = true;
                migration.done += 1;
                if migration.done == migration.moved.len() {
                    let name = state.name.clone();
                    self.log(queue.now(), "reshard_done", &name, String::new());
                }
            }
        }
    }
}
