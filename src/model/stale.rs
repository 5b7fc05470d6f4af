//! Stale-while-revalidate at a cache (`stale_while_revalidate = "30s"`), as
//! HTTP's `stale-while-revalidate` (RFC 5861) and Varnish's grace mode.
//!
//! A lookup of an entry whose TTL ran out less than the window ago is a hit
//! on stale data (`CacheStore::look`, counted in `hits` and `stale_hits`),
//! and the node that served it sends a background refresh: the read step's
//! database read, then a fill of its own store, which renews the entry's
//! TTL. At most one refresh per key is in flight (single flight); a lookup
//! that finds the key already refreshing is served stale and sends none.
//! A refresh that fails (the read failed, or the node died meanwhile)
//! renews nothing: the entry is served stale until its window ends, and the
//! next stale hit sends another refresh. Past the window an entry is a miss
//! as without the key.
//!
//! Its database read waits at most the cache's `background_timeout`, else
//! the read step's `timeout` (a guarded call of its own whose policy is
//! `background`: the timeout only, counted here, not by the pool); one
//! that times out is a failed refresh, and its late reply fills nothing
//! (`call_policy.rs`: the token moved on). Without either it waits as long
//! as the database takes: forever if it hangs, and its key is never
//! refreshed again.
//!
//! A refresh is a frame of the system's own work (`Purpose::Refresh`) at
//! the node, holding none of its connections or cores: no request waits
//! for it. Its fill is skipped if the node died since it started (the
//! instance's epoch changed). The table holds only keys being refreshed, so
//! it is bounded by the refreshes in flight: a set with a fixed hasher that
//! keeps its high-water capacity (no iteration reaches a result).

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use super::Model;
use super::frame::{Carry, Frame, MISS, Purpose};
use super::ids::CacheId;
use super::keys::KeyHasher;
use crate::engine::SlabKey;
use crate::metrics::Tally;

/// One cache's refreshes in flight and what they did.
#[derive(Debug)]
pub struct Revalidate {
    refreshing: HashSet<u32, BuildHasherDefault<KeyHasher>>,
    /// Refreshes started, and those that renewed nothing.
    pub started: Tally<u64>,
    pub failed: Tally<u64>,
}

impl Revalidate {
    pub fn new() -> Self {
        Revalidate {
            refreshing: HashSet::with_capacity_and_hasher(1024, Default::default()),
            started: Tally::default(),
            failed: Tally::default(),
        }
    }

    /// A stale hit on `key`: true if it starts the key's refresh (none is
    /// in flight).
    fn begin(&mut self, key: u32) -> bool {
        let first = self.refreshing.insert(key);
        if first {
            self.started.window += 1;
        }
        first
    }

    /// `key`'s refresh ended, having renewed the entry or not.
    fn end(&mut self, key: u32, renewed: bool) {
        self.refreshing.remove(&key);
        if !renewed {
            self.failed.window += 1;
        }
    }

    /// Keys being refreshed now.
    #[cfg(test)]
    fn in_flight(&self) -> usize {
        self.refreshing.len()
    }

    /// The window's counts (started, failed), added to the totals if kept.
    pub fn close_window(&mut self, keep: bool) -> (u64, u64) {
        (self.started.close(keep), self.failed.close(keep))
    }
}

impl Default for Revalidate {
    fn default() -> Self {
        Revalidate::new()
    }
}

impl Model {
    /// The lookup by frame `lookup` at a node of `cache` was a stale hit:
    /// refresh its key in the background with `program` (a database read,
    /// then a fill at this node; never `NO_REFRESH`: the lookup checks),
    /// unless a refresh of it is in flight.
    pub(super) fn start_refresh(&mut self, cache: CacheId, lookup: SlabKey, program: u32) {
        let frame = self.frames.get(lookup).expect("frame in flight");
        let (instance, carry) = (frame.instance, frame.carry);
        let Some(revalidate) = self.caches[cache].revalidate.as_deref_mut() else {
            return;
        };
        if !revalidate.begin(carry.key) {
            return;
        }
        let carry = Carry { value: MISS, ..carry };
        let refresh = Frame {
            epoch: self.instances[instance].epoch,
            ..Frame::background(instance, program, carry, Purpose::Refresh { cache })
        };
        let refresh = self.frames.insert(refresh);
        self.ready.push_back(refresh);
    }

    /// A refresh frame ended: it renewed its entry if it filled a value.
    pub(super) fn refresh_done(&mut self, cache: CacheId, frame: &Frame) {
        let renewed = frame.carry.value != MISS
            && frame.failure.is_none()
            && self.instances[frame.instance].epoch == frame.epoch;
        if let Some(revalidate) = self.caches[cache].revalidate.as_deref_mut() {
            revalidate.end(frame.carry.key, renewed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_refresh_per_key_in_flight_and_failures_are_counted() {
        let mut revalidate = Revalidate::new();
        assert!(revalidate.begin(7));
        assert!(!revalidate.begin(7), "a second stale hit sends no refresh");
        assert!(revalidate.begin(8));
        assert_eq!(revalidate.in_flight(), 2);
        revalidate.end(7, true);
        revalidate.end(8, false);
        assert!(revalidate.begin(7), "after it ended, a stale hit refreshes again");
        assert_eq!(revalidate.close_window(true), (3, 1));
        assert_eq!((revalidate.started.total, revalidate.failed.total), (3, 1));
        assert_eq!(revalidate.close_window(false), (0, 0));
    }

    #[test]
    fn started_is_renewed_plus_failed_plus_in_flight() {
        // Keys 0..20 refreshed, every third one ending failed (a timeout),
        // every fifth never ending (a hung read without a timeout).
        let mut revalidate = Revalidate::new();
        let mut renewed = 0;
        for key in 0..20 {
            assert!(revalidate.begin(key));
            match key {
                _ if key % 5 == 4 => {}
                _ if key % 3 == 0 => revalidate.end(key, false),
                _ => {
                    revalidate.end(key, true);
                    renewed += 1;
                }
            }
        }
        let (started, failed) = revalidate.close_window(true);
        assert_eq!((started, failed, revalidate.in_flight()), (20, 6, 4));
        assert_eq!(started, renewed + failed + revalidate.in_flight() as u64);
    }
}
