//! Request coalescing at a cache (`coalesce = true`): single flight per key
//! on a miss, as memcached's leases do it (Nishtala et al., "Scaling
//! Memcache at Facebook", NSDI 2013).
//!
//! The first lookup that misses a key takes a lease on it and goes to the
//! database as before. A lookup that misses a key someone holds a lease on
//! does not: it waits at the node, holding nothing (its connection is
//! released), until the lease holder's fill arrives, and then answers with
//! the filled value, as a hit would. A lease ends at its key's fill, or
//! after `lease_timeout` (the holder failed or died): then its waiters
//! answer a miss and go to the database themselves. A waiter whose node
//! crashed wakes to find it dead and fails like any call there (the cache
//! client treats that as a miss).
//!
//! The table holds only keys with a lease, so it is bounded by the keys in
//! flight, not by the run's length: a `HashMap` with a fixed hasher (no
//! iteration ever reaches a result) and the waiters in a pool of nodes
//! linked per key with a free list; both keep their high-water capacity,
//! so a steady state allocates nothing.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::frame::MISS;
use super::ids::CacheId;
use super::keys::KeyHasher;
use super::{Event, Model};
use crate::engine::{EventQueue, Lane, SimDuration, SimTime, SlabKey};
use crate::metrics::Tally;

/// End of a waiter list.
const NONE: u32 = u32::MAX;

/// A key's lease: its number (so a stale expiry does nothing) and its
/// waiters, first and last.
#[derive(Clone, Copy, Debug)]
struct Lease {
    number: u32,
    first: u32,
    last: u32,
}

#[derive(Clone, Copy, Debug)]
struct Waiter {
    frame: SlabKey,
    next: u32,
}

/// One cache's leases and what they did.
#[derive(Debug)]
pub struct SingleFlight {
    leases: HashMap<u32, Lease, BuildHasherDefault<KeyHasher>>,
    waiters: Vec<Waiter>,
    free: u32,
    next_number: u32,
    pub lease_timeout: SimDuration,
    pub lane: Option<Lane>,
    /// Lookups that waited for another's fill instead of reading the
    /// database, and leases that ended by their timeout.
    pub coalesced: Tally<u64>,
    pub expired: Tally<u64>,
}

/// What a missed lookup does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Miss {
    /// It took the lease (number): it reads the database and fills.
    Lease(u32),
    /// Someone holds the lease: it waits for the fill.
    Wait,
}

impl SingleFlight {
    pub fn new(lease_timeout: SimDuration) -> Self {
        SingleFlight {
            leases: HashMap::with_capacity_and_hasher(1024, Default::default()),
            waiters: Vec::with_capacity(1024),
            free: NONE,
            next_number: 0,
            lease_timeout,
            lane: None,
            coalesced: Tally::default(),
            expired: Tally::default(),
        }
    }

    /// A lookup by `frame` missed `key`.
    pub fn miss(&mut self, key: u32, frame: SlabKey) -> Miss {
        if self.leases.contains_key(&key) {
            let slot = self.take_slot(frame);
            let lease = self.leases.get_mut(&key).expect("just seen");
            if lease.last == NONE {
                lease.first = slot;
            } else {
                self.waiters[lease.last as usize].next = slot;
            }
            lease.last = slot;
            self.coalesced.window += 1;
            return Miss::Wait;
        }
        let number = self.next_number;
        self.next_number = self.next_number.wrapping_add(1);
        self.leases.insert(
            key,
            Lease {
                number,
                first: NONE,
                last: NONE,
            },
        );
        Miss::Lease(number)
    }

    fn take_slot(&mut self, frame: SlabKey) -> u32 {
        let waiter = Waiter { frame, next: NONE };
        if self.free == NONE {
            self.waiters.push(waiter);
            (self.waiters.len() - 1) as u32
        } else {
            let slot = self.free;
            self.free = self.waiters[slot as usize].next;
            self.waiters[slot as usize] = waiter;
            slot
        }
    }

    /// Ends `key`'s lease (if `number` is given, only that lease) and hands
    /// each of its waiters to `wake`, in the order they came.
    fn end(&mut self, key: u32, number: Option<u32>, mut wake: impl FnMut(SlabKey)) -> bool {
        match self.leases.get(&key) {
            Some(lease) if number.is_none_or(|number| number == lease.number) => {}
            _ => return false,
        }
        let lease = self.leases.remove(&key).expect("just seen");
        let mut slot = lease.first;
        while slot != NONE {
            let waiter = self.waiters[slot as usize];
            self.waiters[slot as usize].next = self.free;
            self.free = slot;
            wake(waiter.frame);
            slot = waiter.next;
        }
        true
    }

    /// Keys with a lease now.
    #[cfg(test)]
    fn leases(&self) -> usize {
        self.leases.len()
    }

    /// The window's counts, added to the totals if kept.
    pub fn close_window(&mut self, keep: bool) -> (u64, u64) {
        (self.coalesced.close(keep), self.expired.close(keep))
    }
}

impl Model {
    /// Lanes for the lease timeouts, one per coalescing cache.
    pub(super) fn add_lease_lanes(&mut self, queue: &mut EventQueue<Event>) {
        for cluster in self.caches.iter_mut() {
            if let Some(flight) = cluster.coalesce.as_deref_mut() {
                flight.lane = Some(queue.add_lane());
            }
        }
    }

    /// A lookup by frame `key` at node `node` missed: with coalescing,
    /// it takes the key's lease or waits for its fill. Returns true if the
    /// frame waits (it let its connection go).
    pub(super) fn coalesce_miss(
        &mut self,
        key: SlabKey,
        cache: CacheId,
        now: SimTime,
        queue: &mut EventQueue<Event>,
    ) -> bool {
        let frame = self.frames.get(key).expect("frame in flight");
        let (item, instance, holds_worker) = (frame.carry.key, frame.instance, frame.holds_worker);
        let Some(flight) = self.caches[cache].coalesce.as_deref_mut() else {
            return false;
        };
        match flight.miss(item, key) {
            Miss::Lease(number) => {
                let lane = flight.lane.expect("lanes added at start");
                let delay = flight.lease_timeout;
                queue.schedule_in_lane(
                    lane,
                    delay,
                    Event::LeaseExpired {
                        cache,
                        key: item,
                        lease: number,
                    },
                );
                false
            }
            Miss::Wait => {
                if holds_worker {
                    self.frames.get_mut(key).expect("frame in flight").holds_worker = false;
                    self.release_worker(instance, now);
                }
                true
            }
        }
    }

    /// Key `item` was filled with `version` at a coalescing cache: its
    /// lease ends and its waiters answer with the value.
    pub(super) fn coalesce_filled(&mut self, cache: CacheId, item: u32, version: u32) {
        let Some(flight) = self.caches[cache].coalesce.as_deref_mut() else {
            return;
        };
        let (frames, ready) = (&mut self.frames, &mut self.ready);
        flight.end(item, None, |waiter| {
            if let Some(frame) = frames.get_mut(waiter) {
                frame.carry.value = version;
                ready.push_back(waiter);
            }
        });
    }

    /// A lease's timeout: if it still stands, its waiters answer a miss.
    pub(super) fn lease_expired(&mut self, cache: CacheId, item: u32, lease: u32) {
        let Some(flight) = self.caches[cache].coalesce.as_deref_mut() else {
            return;
        };
        let (frames, ready) = (&mut self.frames, &mut self.ready);
        if flight.end(item, Some(lease), |waiter| {
            if let Some(frame) = frames.get_mut(waiter) {
                frame.carry.value = MISS;
                ready.push_back(waiter);
            }
        }) {
            flight.expired.window += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(index: u32) -> SlabKey {
        SlabKey { index, generation: 0 }
    }

    #[test]
    fn the_first_miss_takes_the_lease_and_the_others_wait_in_order() {
        let mut flight = SingleFlight::new(SimDuration::from_secs(1));
        assert_eq!(flight.miss(7, frame(0)), Miss::Lease(0));
        assert_eq!(flight.miss(7, frame(1)), Miss::Wait);
        assert_eq!(flight.miss(7, frame(2)), Miss::Wait);
        assert_eq!(flight.miss(8, frame(3)), Miss::Lease(1));
        let mut woken = Vec::new();
        assert!(flight.end(7, None, |key| woken.push(key.index)));
        assert_eq!(woken, [1, 2]);
        assert_eq!(flight.leases(), 1);
        assert_eq!(flight.coalesced.window, 2);
    }

    #[test]
    fn a_stale_expiry_ends_nothing_and_slots_are_reused() {
        let mut flight = SingleFlight::new(SimDuration::from_secs(1));
        assert_eq!(flight.miss(7, frame(0)), Miss::Lease(0));
        assert_eq!(flight.miss(7, frame(1)), Miss::Wait);
        assert!(flight.end(7, None, |_| {}));
        assert_eq!(flight.miss(7, frame(2)), Miss::Lease(1));
        assert!(!flight.end(7, Some(0), |_| {}), "lease 0 is over");
        assert_eq!(flight.miss(7, frame(3)), Miss::Wait);
        assert_eq!(flight.waiters.len(), 1, "the freed slot is reused");
        let mut woken = Vec::new();
        assert!(flight.end(7, Some(1), |key| woken.push(key.index)));
        assert_eq!(woken, [3]);
    }
}
