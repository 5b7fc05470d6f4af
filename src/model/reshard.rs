//! Resharding a database while it serves: switch to the new layout, copy
//! the keys that move at a fixed pace (a read on the old primary, a write on
//! the new one, real load on both), and keep serving each key from its old
//! shard until its copy is done.

use super::database::{Layout, Migration};
use super::frame::{Carry, Frame, InstanceId, NO_KEYSPACE, Purpose};
use super::ids::DatabaseId;
use super::keys::KeyTable;
use super::{Event, Model};
use crate::engine::EventQueue;

impl Model {
    /// Switches a database to its new shard count and starts migrating the
    /// keys that move.
    #[inline(never)]
    pub(super) fn reshard(&mut self, database: DatabaseId, queue: &mut EventQueue<Event>) {
        let state = &mut self.databases[database];
        let plan = state.reshard.expect("a reshard event has a plan");
        let new = Layout::new(plan.shards, state.layout.sharding);
        let old = std::mem::replace(&mut state.layout, new);
        let old_shards = old.shards;
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
        // The nodes of the shards added start now, and their billing.
        let added: Vec<_> = self.databases[database]
            .nodes
            .iter()
            .filter(|node| node.shard.0 as usize >= old_shards)
            .map(|node| self.instances[node.instance].station)
            .collect();
        for station in added {
            self.rebill(station, queue.now());
        }
        self.log(queue.now(), "reshard_start", &name, detail);
        if finished {
            self.log(queue.now(), "reshard_done", &name, String::new());
        } else {
            self.migrate(database, queue);
        }
    }

    /// Starts copying the next key, and schedules the one after.
    #[inline(never)]
    pub(super) fn migrate(&mut self, database: DatabaseId, queue: &mut EventQueue<Event>) {
        let state = &mut self.databases[database];
        let plan = state.reshard.expect("migrations follow a plan");
        let migration = state.migration.as_mut().expect("a reshard started");
        let Some(&key) = migration.moved.get(migration.next) else {
            return;
        };
        let position = migration.next as u32;
        migration.next += 1;
        let more = migration.next < migration.moved.len();
        let primary = state.nodes[state.shards[migration.old.shard_of(key, state.keys)].primary].instance;
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
        let carry = Carry {
            key,
            keyspace: NO_KEYSPACE,
            user: u32::MAX,
            value: position,
        };
        let frame = self
            .frames
            .insert(Frame::background(instance, program, carry, purpose));
        self.arrive_instance(frame, queue);
    }

    /// A copy step finished: read → write on the new shard; write → done.
    /// A rejected step is tried again after the migration's interval.
    #[inline(never)]
    pub(super) fn migration_step_done(&mut self, frame: Frame, queue: &mut EventQueue<Event>) {
        let (database, retry) = match frame.purpose {
            Purpose::MigrationRead { database } | Purpose::MigrationWrite { database } => {
                (database, frame.failure.is_some())
            }
            _ => unreachable!("only migration frames come here"),
        };
        let state = &mut self.databases[database];
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
                let primary =
                    state.nodes[state.shards[state.layout.shard_of(key, state.keys)].primary].instance;
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
