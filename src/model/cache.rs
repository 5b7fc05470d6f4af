//! One cache node's store: entries in slots, an index from key to slot, and
//! the eviction order as a real data structure, so the hit ratio emerges
//! from the traffic. Every operation is O(1) (LRU, FIFO, random: an
//! intrusive doubly linked list over the slots) or O(log C) (LFU and perfect
//! LFU: a binary min-heap over the slots, indexed by slot, ordered by
//! (frequency, last access)).
//!
//! LFU flavours: `Lfu` counts accesses only while a key is cached — an
//! evicted key starts again from one, like real caches; `PerfectLfu` counts
//! every access to every key ever seen and admits a missed key only if it
//! is now more popular than the least popular cached key, so in steady state
//! it holds the C most popular keys. TTL: an entry expires `ttl` after it is
//! filled; with `refresh_on_hit` each hit restarts it (sliding expiry).
//! Expired entries are removed lazily, when looked up or evicted.
//!
//! Capacity is a number of entries (cache nodes: every value has one size)
//! or, for CDN edges whose objects differ in size, a number of bytes: a fill
//! evicts until the new object fits.

use rand::RngExt;

use super::keys::KeyTable;
use crate::engine::{SimDuration, SimTime, Stream};
use crate::scenario::Eviction;

const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Entry {
    key: u32,
    version: u32,
    expires: SimTime,
    /// Accesses counted (LFU), or the key's global count (perfect LFU).
    frequency: u32,
    /// Logical time of the last access, for recency tie-breaks.
    last: u64,
    /// Bytes it takes (1 for entry-counted stores).
    size: u32,
    prev: u32,
    next: u32,
}

/// Counts of one node over a window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CacheCounters {
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub expirations: u64,
    pub fills: u64,
    /// Fills a perfect-LFU cache declined (the key is not popular enough).
    pub rejected_fills: u64,
    pub invalidations: u64,
    pub stale_reads: u64,
}

impl CacheCounters {
    pub fn merge(&mut self, other: &CacheCounters) {
        self.hits += other.hits;
        self.misses += other.misses;
        self.evictions += other.evictions;
        self.expirations += other.expirations;
        self.fills += other.fills;
        self.rejected_fills += other.rejected_fills;
        self.invalidations += other.invalidations;
        self.stale_reads += other.stale_reads;
    }

    pub fn hit_ratio(&self) -> f64 {
        let lookups = self.hits + self.misses;
        if lookups == 0 {
            0.0
        } else {
            self.hits as f64 / lookups as f64
        }
    }
}

/// The store of one cache node.
#[derive(Debug)]
pub struct CacheStore {
    eviction: Eviction,
    capacity: u32,
    ttl: Option<SimDuration>,
    refresh_on_hit: bool,
    index: KeyTable,
    entries: Vec<Entry>,
    free: Vec<u32>,
    /// Most recent (LRU) or newest (FIFO) first.
    head: u32,
    tail: u32,
    heap: Vec<u32>,
    heap_position: Vec<u32>,
    /// Perfect LFU: accesses of every key.
    counts: Option<KeyTable>,
    clock: u64,
    /// With a byte capacity: the most bytes held, and the bytes held now.
    byte_capacity: Option<u64>,
    bytes: u64,
    pub counters: CacheCounters,
}

impl CacheStore {
    pub fn new(
        eviction: Eviction,
        capacity: u32,
        keys: u32,
        ttl: Option<SimDuration>,
        refresh_on_hit: bool,
    ) -> Self {
        CacheStore {
            eviction,
            capacity: capacity.max(1),
            ttl,
            refresh_on_hit,
            index: KeyTable::new(keys, NONE),
            entries: Vec::new(),
            free: Vec::new(),
            head: NONE,
            tail: NONE,
            heap: Vec::new(),
            heap_position: Vec::new(),
            counts: (eviction == Eviction::PerfectLfu).then(|| KeyTable::new(keys, 0)),
            clock: 0,
            byte_capacity: None,
            bytes: 0,
            counters: CacheCounters::default(),
        }
    }

    /// A store that holds at most `capacity_bytes` bytes of objects of
    /// varying sizes (a CDN edge).
    pub fn with_bytes(
        eviction: Eviction,
        capacity_bytes: u64,
        keys: u32,
        ttl: Option<SimDuration>,
        refresh_on_hit: bool,
    ) -> Self {
        CacheStore {
            byte_capacity: Some(capacity_bytes),
            ..CacheStore::new(eviction, keys.max(1), keys, ttl, refresh_on_hit)
        }
    }

    /// Bytes held now (entries, for an entry-counted store).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Whether a new entry of `size` bytes needs room made first.
    fn full_for(&self, size: u32) -> bool {
        self.len() >= self.capacity
            || self
                .byte_capacity
                .is_some_and(|capacity| self.bytes + size as u64 > capacity)
    }

    /// Entries held now.
    pub fn len(&self) -> u32 {
        (self.entries.len() - self.free.len()) as u32
    }

    fn uses_heap(&self) -> bool {
        matches!(self.eviction, Eviction::Lfu | Eviction::PerfectLfu)
    }

    /// Looks `key` up: its version on a hit, `None` on a miss (counted).
    pub fn lookup(&mut self, key: u32, now: SimTime) -> Option<u32> {
        self.clock += 1;
        if let Some(counts) = &mut self.counts {
            counts.set(key, counts.get(key).saturating_add(1));
        }
        let slot = self.index.get(key);
        if slot == NONE {
            self.counters.misses += 1;
            return None;
        }
        if self.ttl.is_some() && now >= self.entries[slot as usize].expires {
            self.remove(slot);
            self.counters.expirations += 1;
            self.counters.misses += 1;
            return None;
        }
        self.counters.hits += 1;
        self.touch(slot, now);
        Some(self.entries[slot as usize].version)
    }

    /// Stores `key` at `version` (a fill after a miss, or a write-through).
    pub fn fill(&mut self, key: u32, version: u32, now: SimTime, rng: &mut Stream) {
        self.fill_sized(key, version, 1, now, rng);
    }

    /// Stores `key` at `version`, taking `size` bytes: evicts until it fits
    /// (an object larger than the whole store is not stored).
    pub fn fill_sized(&mut self, key: u32, version: u32, size: u32, now: SimTime, rng: &mut Stream) {
        self.clock += 1;
        let slot = self.index.get(key);
        if slot != NONE {
            let old = self.entries[slot as usize].size as u64;
            self.bytes = self.bytes - old + size as u64;
            let entry = &mut self.entries[slot as usize];
            entry.size = size;
            entry.version = version;
            if let Some(ttl) = self.ttl {
                entry.expires = now + ttl;
            }
            self.touch(slot, now);
            self.counters.fills += 1;
            return;
        }
        if self.byte_capacity.is_some_and(|capacity| size as u64 > capacity) {
            self.counters.rejected_fills += 1;
            return;
        }
        if self.full_for(size) {
            if self.eviction == Eviction::PerfectLfu {
                let count = self.counts.as_ref().map_or(0, |counts| counts.get(key));
                let coldest = self.heap[0] as usize;
                if count <= self.entries[coldest].frequency {
                    self.counters.rejected_fills += 1;
                    return;
                }
            }
            while self.len() > 0 && self.full_for(size) {
                self.evict(rng);
            }
        }
        let frequency = match &self.counts {
            Some(counts) => counts.get(key),
            None => 1,
        };
        let entry = Entry {
            key,
            version,
            expires: self.ttl.map_or(SimTime::MAX, |ttl| now + ttl),
            frequency,
            last: self.clock,
            size,
            prev: NONE,
            next: NONE,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.entries[slot as usize] = entry;
                slot
            }
            None => {
                self.entries.push(entry);
                self.heap_position.push(NONE);
                (self.entries.len() - 1) as u32
            }
        };
        self.index.set(key, slot);
        self.bytes += size as u64;
        if self.uses_heap() {
            self.heap_push(slot);
        } else {
            self.link_front(slot);
        }
        self.counters.fills += 1;
    }

    /// Deletes `key` if cached.
    pub fn invalidate(&mut self, key: u32) {
        let slot = self.index.get(key);
        if slot != NONE {
            self.remove(slot);
            self.counters.invalidations += 1;
        }
    }

    /// Forgets everything (a node that restarts cold).
    pub fn clear(&mut self) {
        self.index.clear();
        self.entries.clear();
        self.free.clear();
        self.heap.clear();
        self.heap_position.clear();
        self.head = NONE;
        self.tail = NONE;
        self.bytes = 0;
        if let Some(counts) = &mut self.counts {
            counts.clear();
        }
    }

    /// Records an access to a cached entry.
    fn touch(&mut self, slot: u32, now: SimTime) {
        let clock = self.clock;
        let count = self
            .counts
            .as_ref()
            .map(|counts| counts.get(self.entries[slot as usize].key));
        let entry = &mut self.entries[slot as usize];
        entry.last = clock;
        if self.refresh_on_hit
            && let Some(ttl) = self.ttl
        {
            entry.expires = now + ttl;
        }
        match self.eviction {
            Eviction::Lru => {
                self.unlink(slot);
                self.link_front(slot);
            }
            Eviction::Lfu => {
                entry.frequency = entry.frequency.saturating_add(1);
                self.heap_sift_down(self.heap_position[slot as usize] as usize);
            }
            Eviction::PerfectLfu => {
                entry.frequency = count.unwrap_or(entry.frequency);
                self.heap_sift_down(self.heap_position[slot as usize] as usize);
            }
            Eviction::Fifo | Eviction::Random => {}
        }
    }

    fn evict(&mut self, rng: &mut Stream) {
        let victim = match self.eviction {
            Eviction::Lru | Eviction::Fifo => self.tail,
            Eviction::Lfu | Eviction::PerfectLfu => self.heap[0],
            // Full means no free slots: every slot holds an entry.
            Eviction::Random => rng.random_range(0..self.entries.len() as u32),
        };
        self.remove(victim);
        self.counters.evictions += 1;
    }

    fn remove(&mut self, slot: u32) {
        let key = self.entries[slot as usize].key;
        self.bytes -= self.entries[slot as usize].size as u64;
        self.index.set(key, NONE);
        if self.uses_heap() {
            self.heap_remove(slot);
        } else {
            self.unlink(slot);
        }
        self.free.push(slot);
    }

    fn link_front(&mut self, slot: u32) {
        let old_head = self.head;
        {
            let entry = &mut self.entries[slot as usize];
            entry.prev = NONE;
            entry.next = old_head;
        }
        if old_head != NONE {
            self.entries[old_head as usize].prev = slot;
        } else {
            self.tail = slot;
        }
        self.head = slot;
    }

    fn unlink(&mut self, slot: u32) {
        let Entry { prev, next, .. } = self.entries[slot as usize];
        if prev != NONE {
            self.entries[prev as usize].next = next;
        } else {
            self.head = next;
        }
        if next != NONE {
            self.entries[next as usize].prev = prev;
        } else {
            self.tail = prev;
        }
    }

    fn heap_key(&self, slot: u32) -> (u32, u64) {
        let entry = &self.entries[slot as usize];
        (entry.frequency, entry.last)
    }

    fn heap_swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.heap_position[self.heap[a] as usize] = a as u32;
        self.heap_position[self.heap[b] as usize] = b as u32;
    }

    fn heap_push(&mut self, slot: u32) {
        self.heap.push(slot);
        let at = self.heap.len() - 1;
        self.heap_position[slot as usize] = at as u32;
        self.heap_sift_up(at);
    }

    fn heap_remove(&mut self, slot: u32) {
        let at = self.heap_position[slot as usize] as usize;
        let last = self.heap.len() - 1;
        self.heap_swap(at, last);
        self.heap.pop();
        self.heap_position[slot as usize] = NONE;
        if at < self.heap.len() {
            self.heap_sift_down(at);
            self.heap_sift_up(at);
        }
    }

    fn heap_sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.heap_key(self.heap[at]) < self.heap_key(self.heap[parent]) {
                self.heap_swap(at, parent);
                at = parent;
            } else {
                break;
            }
        }
    }

    fn heap_sift_down(&mut self, mut at: usize) {
        loop {
            let (left, right) = (2 * at + 1, 2 * at + 2);
            let mut smallest = at;
            if left < self.heap.len() && self.heap_key(self.heap[left]) < self.heap_key(self.heap[smallest]) {
                smallest = left;
            }
            if right < self.heap.len() && self.heap_key(self.heap[right]) < self.heap_key(self.heap[smallest])
            {
                smallest = right;
            }
            if smallest == at {
                break;
            }
            self.heap_swap(at, smallest);
            at = smallest;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::random::stream;

    fn store(eviction: Eviction, capacity: u32) -> CacheStore {
        CacheStore::new(eviction, capacity, 100, None, false)
    }

    fn access(store: &mut CacheStore, key: u32, rng: &mut Stream) -> bool {
        let hit = store.lookup(key, SimTime(0)).is_some();
        if !hit {
            store.fill(key, 0, SimTime(0), rng);
        }
        hit
    }

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut rng = stream(1, "t");
        let mut cache = store(Eviction::Lru, 2);
        access(&mut cache, 1, &mut rng);
        access(&mut cache, 2, &mut rng);
        access(&mut cache, 1, &mut rng); // 1 is now the most recent
        access(&mut cache, 3, &mut rng); // evicts 2
        assert!(cache.lookup(1, SimTime(0)).is_some());
        assert!(cache.lookup(2, SimTime(0)).is_none());
        assert_eq!(cache.counters.evictions, 1);
    }

    #[test]
    fn fifo_ignores_hits() {
        let mut rng = stream(1, "t");
        let mut cache = store(Eviction::Fifo, 2);
        access(&mut cache, 1, &mut rng);
        access(&mut cache, 2, &mut rng);
        access(&mut cache, 1, &mut rng);
        access(&mut cache, 3, &mut rng); // evicts 1, the oldest fill
        assert!(cache.lookup(1, SimTime(0)).is_none());
        assert!(cache.lookup(2, SimTime(0)).is_some());
    }

    #[test]
    fn lfu_evicts_the_least_frequent_and_forgets_evicted_counts() {
        let mut rng = stream(1, "t");
        let mut cache = store(Eviction::Lfu, 2);
        for _ in 0..5 {
            access(&mut cache, 1, &mut rng);
        }
        access(&mut cache, 2, &mut rng);
        access(&mut cache, 3, &mut rng); // evicts 2 (count 1, older than 3's)
        assert!(cache.lookup(2, SimTime(0)).is_none());
        assert!(cache.lookup(1, SimTime(0)).is_some());
    }

    #[test]
    fn perfect_lfu_keeps_the_most_popular_keys() {
        let mut rng = stream(1, "t");
        let mut cache = store(Eviction::PerfectLfu, 2);
        // Keys 1 and 2 are popular; 3..50 are each seen once.
        for round in 0..20 {
            access(&mut cache, 1, &mut rng);
            access(&mut cache, 2, &mut rng);
            access(&mut cache, 3 + round, &mut rng);
        }
        assert!(cache.lookup(1, SimTime(0)).is_some());
        assert!(cache.lookup(2, SimTime(0)).is_some());
        assert!(cache.counters.rejected_fills > 0);
    }

    #[test]
    fn random_eviction_keeps_the_size() {
        let mut rng = stream(1, "t");
        let mut cache = store(Eviction::Random, 10);
        for key in 0..100 {
            access(&mut cache, key, &mut rng);
        }
        assert_eq!(cache.len(), 10);
        assert_eq!(cache.counters.evictions, 90);
    }

    #[test]
    fn ttl_expires_entries_and_refresh_extends_them() {
        let mut rng = stream(1, "t");
        let ttl = Some(SimDuration::from_secs(10));
        let mut fixed = CacheStore::new(Eviction::Lru, 10, 100, ttl, false);
        fixed.fill(1, 0, SimTime(0), &mut rng);
        assert!(fixed.lookup(1, SimTime(9_000_000_000)).is_some());
        assert!(fixed.lookup(1, SimTime(10_000_000_000)).is_none());
        assert_eq!(fixed.counters.expirations, 1);
        let mut sliding = CacheStore::new(Eviction::Lru, 10, 100, ttl, true);
        sliding.fill(1, 0, SimTime(0), &mut rng);
        assert!(sliding.lookup(1, SimTime(9_000_000_000)).is_some());
        assert!(sliding.lookup(1, SimTime(18_000_000_000)).is_some());
    }

    #[test]
    fn invalidate_and_clear_forget_keys() {
        let mut rng = stream(1, "t");
        let mut cache = store(Eviction::Lfu, 4);
        for key in 0..4 {
            access(&mut cache, key, &mut rng);
        }
        cache.invalidate(2);
        assert!(cache.lookup(2, SimTime(0)).is_none());
        assert_eq!(cache.len(), 3);
        cache.clear();
        assert_eq!(cache.len(), 0);
        assert!(cache.lookup(0, SimTime(0)).is_none());
    }

    #[test]
    fn a_byte_capacity_evicts_until_the_object_fits() {
        let mut rng = stream(1, "t");
        let mut cache = CacheStore::with_bytes(Eviction::Lru, 100, 100, None, false);
        cache.fill_sized(1, 0, 40, SimTime(0), &mut rng);
        cache.fill_sized(2, 0, 40, SimTime(0), &mut rng);
        assert_eq!(cache.bytes(), 80);
        // 70 bytes need both older objects gone.
        cache.fill_sized(3, 0, 70, SimTime(0), &mut rng);
        assert_eq!((cache.len(), cache.bytes()), (1, 70));
        assert_eq!(cache.counters.evictions, 2);
        // Larger than the whole store: not stored, nothing evicted.
        cache.fill_sized(4, 0, 101, SimTime(0), &mut rng);
        assert_eq!((cache.len(), cache.counters.rejected_fills), (1, 1));
        cache.invalidate(3);
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn fills_store_versions() {
        let mut rng = stream(1, "t");
        let mut cache = store(Eviction::Lru, 4);
        cache.fill(7, 3, SimTime(0), &mut rng);
        assert_eq!(cache.lookup(7, SimTime(0)), Some(3));
        cache.fill(7, 5, SimTime(0), &mut rng);
        assert_eq!(cache.lookup(7, SimTime(0)), Some(5));
    }
}
