//! Warming a restarted cache node before it takes traffic (`warm_restart`),
//! as Netflix's EVCache cache warmer (copy from a replica) and mcrouter's
//! warm-up route (fill a cold cache before it serves) do it.
//!
//! A node that restarts stays out of the ring while it warms: its keys go
//! where they went while it was dead (`on_node_failure`: to the next node,
//! or misses to the database), and a lookup for it counts as
//! `unavailable_lookups`. It rejoins when warm:
//! - `from = "peer"`: a peer replica holds the node's share; the node
//!   copies it at `rate` entries per second (no database reads) and rejoins
//!   `entries / rate` after its restart, filled with them at the database's
//!   current versions. The share is what the node held when it died (the
//!   replica saw the same traffic), at most `keys` entries, the ones
//!   evicted last kept.
//! - `from = "database"`: it reads its hottest `keys` keys (by the
//!   keyspace's popularity, of those the ring gives it) from the database,
//!   one started every `1 / rate`, each a background read then a fill of
//!   its own store (real reads: they load the database), and rejoins when
//!   the last one is back. A read waits at most the cache's
//!   `background_timeout`, else the read step's `timeout` (`stale.rs`); one
//!   that times out is skipped (`warm_reads_timed_out`) and counts as back,
//!   so a node warming from a hung database still rejoins.
//!
//! `warming` and `warm` events mark the two ends. A node killed again while
//! warming starts over at its next restart: its warm-up events and reads
//! carry the instance's epoch, and those of an older life change nothing.
//! The key lists are allocated at compile (one per node, at most its
//! capacity), so warming allocates nothing.

use super::frame::{Carry, Frame, MISS, Purpose};
use super::ids::{CacheId, CacheNodeId, DatabaseId, KeyspaceId};
use super::program::{NO_DATABASE, NO_REFRESH};
use super::{Event, Model};
use crate::engine::id::IdVec;
use crate::engine::{EventQueue, SimDuration, SimTime, SlabKey};
use crate::metrics::Tally;
use crate::scenario::WarmFrom;

/// One node's warm-up.
#[derive(Debug)]
struct NodeWarm {
    /// The keys it loads: its hottest (`database`), or what it held when
    /// it died (`peer`).
    keys: Vec<u32>,
    /// Keys started (`database`), and keys back.
    started: u32,
    back: u32,
    warming: bool,
    since: SimTime,
}

/// A cache's warm restarts.
#[derive(Debug)]
pub struct Warmer {
    pub from: WarmFrom,
    interval: SimDuration,
    rate: f64,
    limit: u32,
    /// `database`: the read-then-fill program (`NO_REFRESH`: the cache is
    /// read through no step, so there is nothing to read).
    pub program: u32,
    pub keyspace: KeyspaceId,
    /// Whose versions a peer's copy holds (`NO_DATABASE`: version 0).
    pub database: DatabaseId,
    nodes: IdVec<CacheNodeId, NodeWarm>,
    /// Entries loaded into warming nodes, this window and kept.
    pub loaded_window: u64,
    pub loaded_total: u64,
    /// `database`: whether its reads have a timeout (the cache's
    /// `background_timeout` or the read step's), and those that timed out.
    pub timeout: bool,
    pub timed_out: Tally<u64>,
}

impl Warmer {
    /// `hottest[node]`: with `database`, the keys each node loads.
    pub fn new(from: WarmFrom, rate: f64, limit: u32, capacity: u32, hottest: Vec<Vec<u32>>) -> Self {
        let nodes = hottest
            .into_iter()
            .map(|keys| NodeWarm {
                keys: match from {
                    WarmFrom::Database => keys,
                    WarmFrom::Peer => Vec::with_capacity(capacity as usize),
                },
                started: 0,
                back: 0,
                warming: false,
                since: SimTime::ZERO,
            })
            .collect();
        Warmer {
            from,
            interval: SimDuration::from_nanos_f64(1e9 / rate),
            rate,
            limit,
            program: NO_REFRESH,
            keyspace: KeyspaceId(0),
            database: NO_DATABASE,
            nodes,
            loaded_window: 0,
            loaded_total: 0,
            timeout: false,
            timed_out: Tally::default(),
        }
    }

    /// Nodes warming now.
    pub fn warming(&self) -> usize {
        self.nodes.iter().filter(|node| node.warming).count()
    }

    /// Node `node` died holding `store`'s keys: with `peer`, that is the
    /// share its replica holds (the `limit` evicted last). A node that dies
    /// while warming holds nothing of its own: its replica still holds the
    /// share it was copying.
    pub fn node_died(&mut self, node: CacheNodeId, store: &super::cache::CacheStore) {
        let warm = &mut self.nodes[node];
        let was_warming = std::mem::replace(&mut warm.warming, false);
        if self.from == WarmFrom::Peer && !was_warming {
            store.held_keys_into(&mut warm.keys);
            let extra = warm.keys.len().saturating_sub(self.limit as usize);
            warm.keys.drain(..extra);
        }
    }

    /// The window's entries loaded, added to the total if kept.
    pub fn close_window(&mut self, keep: bool) -> u64 {
        let window = self.loaded_window;
        if keep {
            self.loaded_total += window;
        }
        self.loaded_window = 0;
        window
    }
}

/// The hottest `limit` keys of each of `nodes` nodes, by popularity rank,
/// given each key's node.
pub fn hottest_keys(
    nodes: usize,
    limit: u32,
    keys: u32,
    key_of_rank: impl Fn(u32) -> u32,
    node_of: impl Fn(u32) -> usize,
) -> Vec<Vec<u32>> {
    let mut hottest: Vec<Vec<u32>> = (0..nodes)
        .map(|_| Vec::with_capacity(limit.min(keys) as usize))
        .collect();
    let mut full = 0;
    for rank in 0..keys {
        let key = key_of_rank(rank);
        let list = &mut hottest[node_of(key)];
        if list.len() < limit as usize {
            list.push(key);
            if list.len() == limit as usize {
                full += 1;
                if full == nodes {
                    break;
                }
            }
        }
    }
    hottest
}

impl Model {
    /// Cache node `node` restarts, empty: it rejoins at once, or warms first.
    pub(super) fn restart_cache_node(
        &mut self,
        cache: CacheId,
        node: CacheNodeId,
        queue: &mut EventQueue<Event>,
    ) {
        let now = queue.now();
        let cluster = &mut self.caches[cache];
        let Some(warmer) = cluster.warm_restart.as_deref_mut() else {
            cluster.restore(node, now);
            return;
        };
        cluster.stores[node].clear(now);
        let epoch = self.instances[cluster.nodes[node]].epoch;
        let warm = &mut warmer.nodes[node];
        warm.warming = true;
        warm.since = now;
        warm.started = 0;
        warm.back = 0;
        let count = warm.keys.len();
        let (from, rate) = (warmer.from, warmer.rate);
        let scope = format!("{}.node[{node}]", cluster.name);
        let detail = match from {
            WarmFrom::Peer => format!("copying {count} entries from a peer at {rate}/s"),
            WarmFrom::Database => format!("loading its {count} hottest keys from the database at {rate}/s"),
        };
        self.log(now, "warming", &scope, detail);
        let event = Event::WarmRestart { cache, node, epoch };
        match from {
            WarmFrom::Peer => {
                queue.schedule_in(SimDuration::from_nanos_f64(count as f64 * 1e9 / rate), event);
            }
            WarmFrom::Database => self.warm_step(cache, node, epoch, queue),
        }
    }

    /// A warm-up's timer for the node's life `epoch`: a peer's copy is
    /// done, or the next database key is due.
    pub(super) fn warm_step(
        &mut self,
        cache: CacheId,
        node: CacheNodeId,
        epoch: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let now = queue.now();
        let instance = self.caches[cache].nodes[node];
        if self.instances[instance].epoch != epoch {
            return;
        }
        let cluster = &mut self.caches[cache];
        let warmer = cluster.warm_restart.as_deref_mut().expect("a warming cache");
        match warmer.from {
            WarmFrom::Peer => {
                let rng = self.streams.get(cluster.evict_stream);
                let database = (warmer.database != NO_DATABASE).then(|| &self.databases[warmer.database]);
                let warm = &mut warmer.nodes[node];
                for &key in &warm.keys {
                    let version = database.map_or(0, |database| database.current_version(key));
                    cluster.stores[node].fill(key, version, now, rng);
                }
                warmer.loaded_window += warm.keys.len() as u64;
                self.rejoin_cache_node(cache, node, now);
            }
            WarmFrom::Database => {
                let warm = &mut warmer.nodes[node];
                if warmer.program == NO_REFRESH || warm.keys.is_empty() {
                    self.rejoin_cache_node(cache, node, now);
                    return;
                }
                let key = warm.keys[warm.started as usize];
                warm.started += 1;
                if (warm.started as usize) < warm.keys.len() {
                    queue.schedule_in(warmer.interval, Event::WarmRestart { cache, node, epoch });
                }
                let carry = Carry {
                    key,
                    keyspace: warmer.keyspace,
                    user: 0,
                    value: MISS,
                };
                let frame = Frame {
                    epoch,
                    ..Frame::background(instance, warmer.program, carry, Purpose::Warm { cache, node })
                };
                let frame = self.frames.insert(frame);
                self.ready.push_back(frame);
            }
        }
    }

    /// A warm-up read of `node` ended: the node rejoins after the last one.
    pub(super) fn warm_read_done(&mut self, cache: CacheId, node: CacheNodeId, frame: &Frame, now: SimTime) {
        if self.instances[frame.instance].epoch != frame.epoch {
            return;
        }
        let warmer = self.caches[cache]
            .warm_restart
            .as_deref_mut()
            .expect("a warming cache");
        if frame.carry.value != MISS && frame.failure.is_none() {
            warmer.loaded_window += 1;
        }
        let warm = &mut warmer.nodes[node];
        warm.back += 1;
        if warm.back as usize == warm.keys.len() {
            self.rejoin_cache_node(cache, node, now);
        }
    }

    /// Background read `key` (a refresh or a warm-up read) timed out: a
    /// warm-up read of the node's current life is counted, and goes on to
    /// its end as a read that loaded nothing (`warm_read_done`), so warming
    /// goes on; a refresh is counted as failed when it ends (`stale.rs`).
    pub(super) fn background_read_timed_out(&mut self, key: SlabKey) {
        let frame = self.frames.get(key).expect("caller checked");
        let Purpose::Warm { cache, .. } = frame.purpose else {
            return;
        };
        if self.instances[frame.instance].epoch != frame.epoch {
            return;
        }
        if let Some(warmer) = self.caches[cache].warm_restart.as_deref_mut() {
            warmer.timed_out.window += 1;
        }
    }

    /// A warm node takes traffic again.
    fn rejoin_cache_node(&mut self, cache: CacheId, node: CacheNodeId, now: SimTime) {
        let cluster = &mut self.caches[cache];
        cluster.up[node] = true;
        let warmer = cluster.warm_restart.as_deref_mut().expect("a warming cache");
        let warm = &mut warmer.nodes[node];
        warm.warming = false;
        let seconds = now.since(warm.since).as_secs_f64();
        let entries = cluster.stores[node].len();
        let scope = format!("{}.node[{node}]", cluster.name);
        self.log(
            now,
            "warm",
            &scope,
            format!("rejoined with {entries} entries after {seconds} s"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hottest_keys_of_each_node_in_rank_order() {
        // Key = rank × 3 mod 10; node = key mod 2.
        let hottest = hottest_keys(2, 2, 10, |rank| rank * 3 % 10, |key| (key % 2) as usize);
        // Ranks 0.. give keys 0, 3, 6, 9, 2, …
        assert_eq!(hottest, vec![vec![0, 6], vec![3, 9]]);
        let capped = hottest_keys(2, 100, 4, |rank| rank, |key| (key % 2) as usize);
        assert_eq!(capped, vec![vec![0, 2], vec![1, 3]]);
    }

    #[test]
    fn a_peer_copy_keeps_the_entries_evicted_last() {
        let mut store =
            super::super::cache::CacheStore::new(crate::scenario::Eviction::Lru, 10, 100, None, false);
        let mut rng = crate::engine::random::stream(1, "test");
        for key in [5, 6, 7] {
            store.fill(key, 0, SimTime::ZERO, &mut rng);
        }
        let mut warmer = Warmer::new(WarmFrom::Peer, 100.0, 2, 10, vec![Vec::new()]);
        warmer.node_died(CacheNodeId(0), &store);
        assert_eq!(
            warmer.nodes[CacheNodeId(0)].keys,
            [6, 7],
            "the oldest, 5, goes first"
        );
    }
}
