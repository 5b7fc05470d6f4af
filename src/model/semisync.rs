//! Semi-synchronous replication's ack policy: how many acks a write waits
//! for, the `semi_sync_timeout` after which the primary acknowledges it
//! anyway and falls back to asynchronous replication (MySQL's
//! `rpl_semi_sync_master_timeout`), and the return to semi-sync once enough
//! live replicas have caught up. With `semi_sync_timeout = "never"` a write
//! waits until its replicas answer, however long (PostgreSQL's
//! `synchronous_standby_names`).
//!
//! It owns the shard's `degraded` flag and the `semi_sync_fallbacks` and
//! `degraded_writes` counters; the write path, acks and replica logs stay in
//! `data.rs`. A shard that knows (failover detection) it has fewer live
//! replicas than it needs acks from falls back at once instead of waiting
//! on dead nodes — e.g. a promoted primary whose only replica is the old,
//! dead primary.

use super::frame::NO_PARENT;
use super::ids::{DatabaseId, DatabaseNodeId, ShardId};
use super::{Event, Model};
use crate::engine::{EventQueue, SimTime, SlabKey};
use crate::scenario::{ReplicationMode, SemiSync};

/// What a semi-sync write does at commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Commit {
    /// Acknowledged now, as semi-sync asks (no replica to wait for).
    AtOnce,
    /// Acknowledged now: the shard is degraded (asynchronous).
    Degraded,
    /// Acknowledged now, and the shard falls back: too few live replicas.
    FallBack,
    /// Waits for this many acks.
    Wait(u32),
}

/// The decision for a write needing `acks` on a shard with `members`
/// replicas, `live` of them not known down. Without a timeout (`"never"`)
/// it waits even for replicas known down: they ack when they return.
fn decide(acks: u32, has_timeout: bool, members: u32, live: u32, degraded: bool) -> Commit {
    let wanted = acks.min(members);
    if wanted == 0 {
        Commit::AtOnce
    } else if degraded {
        Commit::Degraded
    } else if live < wanted && has_timeout {
        Commit::FallBack
    } else {
        Commit::Wait(wanted)
    }
}

impl Model {
    /// The acks a semi-sync write just committed on `shard` waits for (0:
    /// acknowledged at commit), arming its timeout. Writes acknowledged
    /// without the acks semi-sync asks for are counted as degraded.
    pub(super) fn semi_sync_wait(
        &mut self,
        database: DatabaseId,
        shard: ShardId,
        frame: SlabKey,
        queue: &mut EventQueue<Event>,
    ) -> u32 {
        let state = &self.databases[database];
        let ReplicationMode::SemiSync(SemiSync { acks, timeout }) = state.mode else {
            return 0;
        };
        let shard_state = &state.shards[shard];
        let members = shard_state.replicas.len() as u32;
        let degraded = shard_state.degraded;
        let live = self.live_replicas(database, shard);
        match decide(acks, timeout.is_some(), members, live, degraded) {
            Commit::AtOnce => 0,
            Commit::Degraded => {
                self.databases[database].window.degraded_writes += 1;
                0
            }
            Commit::FallBack => {
                let wanted = acks.min(members);
                let reason = format!("{live} live replicas, {wanted} acks needed");
                self.fall_back(database, shard, queue.now(), reason);
                self.databases[database].window.degraded_writes += 1;
                0
            }
            Commit::Wait(wanted) => {
                if let Some(timeout) = timeout {
                    queue.schedule_in(
                        timeout,
                        Event::SemiSyncTimeout {
                            frame,
                            database,
                            shard,
                        },
                    );
                }
                wanted
            }
        }
    }

    /// Replicas of `shard` not known to be down.
    fn live_replicas(&self, database: DatabaseId, shard: ShardId) -> u32 {
        let state = &self.databases[database];
        let shard = &state.shards[shard];
        shard
            .replicas
            .iter()
            .filter(|&&node| !state.nodes[node].known_down)
            .count() as u32
    }

    /// A write's ack timeout ran out: if it is still waiting, the shard
    /// falls back to asynchronous replication.
    #[inline(never)]
    pub(super) fn semi_sync_timeout(
        &mut self,
        frame: SlabKey,
        database: DatabaseId,
        shard: ShardId,
        now: SimTime,
    ) {
        let waiting = self.frames.get(frame).is_some_and(|frame| frame.pending > 0);
        let state = &self.databases[database];
        if !waiting || !state.shards[shard].log.iter().any(|entry| entry.waiter == frame) {
            return;
        }
        let ReplicationMode::SemiSync(SemiSync {
            timeout: Some(timeout),
            ..
        }) = state.mode
        else {
            unreachable!("only semi-sync writes with a timeout arm one");
        };
        self.fall_back(database, shard, now, format!("no ack within {timeout}"));
    }

    /// The shard acknowledges every waiting write now and, until enough
    /// replicas catch up, every new write at commit.
    fn fall_back(&mut self, database: DatabaseId, shard: ShardId, now: SimTime, reason: String) {
        let state = &mut self.databases[database];
        state.shards[shard].degraded = true;
        state.shards[shard].catch_up_to = state.shards[shard].next_seq - 1;
        state.window.semi_sync_fallbacks += 1;
        let log = &mut state.shards[shard].log;
        for entry in log.iter_mut().filter(|entry| entry.waiter != NO_PARENT) {
            // A waiter whose frame is gone was reset with its primary: its
            // write was never acknowledged.
            let waiter = std::mem::replace(&mut entry.waiter, NO_PARENT);
            let Some(frame) = self.frames.get_mut(waiter) else {
                continue;
            };
            if frame.pending == 0 {
                continue;
            }
            entry.acked = true;
            frame.pending = 0;
            frame.pc += 1;
            self.ready.push_back(waiter);
            state.window.degraded_writes += 1;
        }
        let name = state.name.clone();
        let detail = format!("shard {shard}: asynchronous from now: {reason}");
        self.log(now, "semi_sync_fallback", &name, detail);
    }

    /// A replica of a degraded shard received a write: back to semi-sync
    /// once enough live replicas hold every write committed up to the
    /// fallback (MySQL's rule; they need not have caught up with the writes
    /// since, which would never happen under a steady stream over a long
    /// link).
    pub(super) fn semi_sync_caught_up(&mut self, database: DatabaseId, shard: ShardId, now: SimTime) {
        let state = &self.databases[database];
        let ReplicationMode::SemiSync(SemiSync { acks, .. }) = state.mode else {
            return;
        };
        let shard_state = &state.shards[shard];
        if !shard_state.degraded {
            return;
        }
        let target = shard_state.catch_up_to;
        let caught_up = shard_state
            .replicas
            .iter()
            .map(|&node| &state.nodes[node])
            .filter(|node| !node.known_down && self.instances[node.instance].up && node.received >= target)
            .count() as u32;
        let wanted = acks.min(shard_state.replicas.len() as u32);
        if caught_up < wanted {
            return;
        }
        let state = &mut self.databases[database];
        state.shards[shard].degraded = false;
        let name = state.name.clone();
        let detail =
            format!("shard {shard}: {caught_up} of {wanted} replicas caught up, semi-synchronous again");
        self.log(now, "semi_sync_recovered", &name, detail);
    }

    /// A replica came back holding everything up to the shard's latest
    /// write (it caught up from a snapshot): it acks the writes still
    /// waiting that it had not received — what unblocks `"never"`.
    pub(super) fn semi_sync_rejoined(
        &mut self,
        database: DatabaseId,
        node: DatabaseNodeId,
        received_before: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let state = &self.databases[database];
        if !matches!(state.mode, ReplicationMode::SemiSync(_)) || state.is_primary(node) {
            return;
        }
        let shard = state.nodes[node].shard;
        for index in 0..state.shards[shard].log.len() {
            let entry = self.databases[database].shards[shard].log[index];
            if entry.waiter == NO_PARENT || entry.seq <= received_before {
                continue;
            }
            let hop = self.sample_duration(self.network_internal);
            if let Some(link) = self.geo_ack(database, node) {
                queue.schedule_in(hop + link, Event::Ack { frame: entry.waiter });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Commit, decide};

    #[test]
    fn writes_wait_for_the_acks_their_live_replicas_can_give() {
        assert_eq!(decide(1, true, 2, 2, false), Commit::Wait(1));
        assert_eq!(decide(2, true, 2, 2, false), Commit::Wait(2));
        // Asking for more acks than there are replicas waits for them all.
        assert_eq!(decide(3, true, 2, 1, false), Commit::FallBack);
        assert_eq!(decide(3, true, 2, 2, false), Commit::Wait(2));
        // One replica known down, the other enough: wait on the live one.
        assert_eq!(decide(1, true, 2, 1, false), Commit::Wait(1));
    }

    #[test]
    fn too_few_live_replicas_fall_back_unless_the_timeout_is_never() {
        assert_eq!(decide(1, true, 1, 0, false), Commit::FallBack);
        assert_eq!(decide(2, true, 3, 1, false), Commit::FallBack);
        assert_eq!(decide(1, false, 1, 0, false), Commit::Wait(1));
    }

    #[test]
    fn a_degraded_shard_acknowledges_at_commit_and_no_replicas_mean_no_wait() {
        assert_eq!(decide(1, true, 1, 1, true), Commit::Degraded);
        assert_eq!(decide(1, false, 1, 0, true), Commit::Degraded);
        assert_eq!(decide(1, true, 0, 0, false), Commit::AtOnce);
    }
}
