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
//! Expired entries are removed lazily, when looked up or evicted, so an
//! expired entry still takes room until then, as in a real cache that
//! expires lazily.
//!
//! Live entries and expiries (TTL stores only): what is held is not what is
//! live. Every expiry time is set as `now + ttl` with one `ttl` per store,
//! so expiry times are set in non-decreasing order, and an intrusive list
//! over the slots (`Expiry`), appended at each fill or refresh, is ordered
//! by expiry time. A `boundary` in that list splits the entries already
//! counted as expired (expiry at or before `counted_to`) from the rest;
//! `advance(now)` moves it forward over the entries whose expiry has come,
//! counting each one expiry and adding it to `expired_held` (and its bytes
//! to `expired_bytes`). Removing an entry behind the boundary takes it out
//! of `expired_held`; removing an entry past it whose expiry has come (a
//! lookup or eviction that finds it expired) counts its expiry then. So
//! `live_len(now) = len − expired_held` after `advance(now)`, every entry
//! whose TTL ran out while it was held is counted exactly once, at the
//! time its TTL ran out (in the window that holds that time), and the work
//! is O(1) per fill, refresh or removal plus O(1) per expiry when a window
//! closes: no scan, no allocation after the slots' high-water mark. A
//! store without a TTL has no `Expiry` and pays one branch per removal.
//!
//! Warm start (`warm`): a store can be filled at time 0 with the content
//! its policy holds in steady state (chosen by `model::warm`), inserted in
//! expiry order so the list stays sorted; an entry expiring at time 0
//! expired before the start (held, not live, not counted). `shift_back`
//! moves a store that was driven from time 0 to `H` back by `H`, so a warm
//! start can be the state a replay of traffic left.
//!
//! Capacity is a number of entries (cache nodes: every value has one size)
//! or, for CDN edges whose objects differ in size, a number of bytes: a fill
//! evicts until the new object fits.

use rand::RngExt;

use super::keys::KeyTable;
use super::warm::{WarmContent, WarmEntry};
use crate::engine::id::IdVec;
use crate::engine::{SimDuration, SimTime, Stream};
use crate::scenario::Eviction;

crate::typed_id!(
    /// A slot of a node's store: the position of an entry in `CacheStore::entries`.
    SlotId
);

/// No slot: the end of a list, an empty index entry.
const NONE: SlotId = SlotId(u32::MAX);
/// A slot's heap position when it is not in the heap.
const NOT_IN_HEAP: u32 = u32::MAX;

/// What a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A live entry at this version.
    Fresh(u32),
    /// An entry whose TTL ran out within the stale window, at this version.
    Stale(u32),
    Miss,
}

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
    prev: SlotId,
    next: SlotId,
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
    /// Entries whose TTL ran out while held (found at a lookup, at an
    /// eviction, or counted when the window closed).
    pub expired: u64,
    /// Hits on an entry whose TTL ran out less than the stale window ago
    /// (`stale_while_revalidate`); counted in `hits` too.
    pub stale_hits: u64,
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
        self.expired += other.expired;
        self.stale_hits += other.stale_hits;
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

/// A slot's neighbours in the expiry list.
#[derive(Clone, Copy, Debug)]
struct Link {
    prev: SlotId,
    next: SlotId,
}

/// A TTL store's entries in expiry order, and how many of them have
/// expired (see the module doc).
#[derive(Debug)]
struct Expiry {
    links: IdVec<SlotId, Link>,
    head: SlotId,
    tail: SlotId,
    /// The first entry whose expiry is after `counted_to` (NONE: none).
    boundary: SlotId,
    counted_to: SimTime,
    /// Entries still held whose expiry is at or before `counted_to`.
    expired_held: u32,
    expired_bytes: u64,
}

impl Expiry {
    fn new() -> Self {
        Expiry {
            links: IdVec::new(),
            head: NONE,
            tail: NONE,
            boundary: NONE,
            counted_to: SimTime::ZERO,
            expired_held: 0,
            expired_bytes: 0,
        }
    }

    /// Appends `slot`, whose expiry is the latest of all.
    fn push_back(&mut self, slot: SlotId) {
        self.links[slot] = Link {
            prev: self.tail,
            next: NONE,
        };
        if self.tail != NONE {
            self.links[self.tail].next = slot;
        } else {
            self.head = slot;
        }
        self.tail = slot;
        if self.boundary == NONE {
            self.boundary = slot;
        }
    }

    /// Takes out `slot` (expiring at `entry.expires`) at `now`: counts its
    /// expiry if it came and was not counted yet.
    fn unlink(&mut self, slot: SlotId, entry: &Entry, now: SimTime, counters: &mut CacheCounters) {
        let Link { prev, next } = self.links[slot];
        if entry.expires <= self.counted_to {
            self.expired_held -= 1;
            self.expired_bytes -= entry.size as u64;
        } else {
            if self.boundary == slot {
                self.boundary = next;
            }
            if entry.expires <= now {
                counters.expired += 1;
            }
        }
        if prev != NONE {
            self.links[prev].next = next;
        } else {
            self.head = next;
        }
        if next != NONE {
            self.links[next].prev = prev;
        } else {
            self.tail = prev;
        }
    }

    /// Counts the expiries up to `now`.
    fn advance(&mut self, entries: &IdVec<SlotId, Entry>, now: SimTime, counters: &mut CacheCounters) {
        while self.boundary != NONE && entries[self.boundary].expires <= now {
            let entry = &entries[self.boundary];
            self.expired_held += 1;
            self.expired_bytes += entry.size as u64;
            counters.expired += 1;
            self.boundary = self.links[self.boundary].next;
        }
        self.counted_to = self.counted_to.max(now);
    }

    fn clear(&mut self) {
        self.links.clear();
        self.head = NONE;
        self.tail = NONE;
        self.boundary = NONE;
        self.expired_held = 0;
        self.expired_bytes = 0;
    }
}

/// The store of one cache node.
#[derive(Debug)]
pub struct CacheStore {
    eviction: Eviction,
    capacity: u32,
    ttl: Option<SimDuration>,
    refresh_on_hit: bool,
    index: KeyTable<SlotId>,
    entries: IdVec<SlotId, Entry>,
    free: Vec<SlotId>,
    /// Most recent (LRU) or newest (FIFO) first.
    head: SlotId,
    tail: SlotId,
    heap: Vec<SlotId>,
    heap_position: IdVec<SlotId, u32>,
    /// Perfect LFU: accesses of every key.
    counts: Option<KeyTable>,
    /// With a TTL: the expiry order and the expired entries still held.
    expiry: Option<Expiry>,
    clock: u64,
    /// With `stale_while_revalidate`: how long after its expiry an entry
    /// is still served (stale).
    stale_window: Option<SimDuration>,
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
            entries: IdVec::new(),
            free: Vec::new(),
            head: NONE,
            tail: NONE,
            heap: Vec::new(),
            heap_position: IdVec::new(),
            counts: (eviction == Eviction::PerfectLfu).then(|| KeyTable::new(keys, 0)),
            expiry: ttl.map(|_| Expiry::new()),
            clock: 0,
            stale_window: None,
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

    /// Serves an entry for `window` after its TTL runs out, as stale
    /// (`stale_while_revalidate`).
    pub fn serve_stale_for(&mut self, window: SimDuration) {
        self.stale_window = Some(window);
    }

    /// Bytes held now, expired or not (entries, for an entry-counted store).
    #[cfg(test)]
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

    /// The most entries, and bytes if bounded, it holds.
    pub fn capacity(&self) -> (u32, Option<u64>) {
        (self.capacity, self.byte_capacity)
    }

    /// How long entries live, if they expire.
    pub fn ttl(&self) -> Option<SimDuration> {
        self.ttl
    }

    /// Whether entries expire.
    pub fn has_ttl(&self) -> bool {
        self.ttl.is_some()
    }

    /// Entries held now, expired or not.
    pub fn len(&self) -> u32 {
        (self.entries.len() - self.free.len()) as u32
    }

    /// Counts the expiries up to `now` (into `counters.expired`); a store
    /// without a TTL has none.
    pub fn advance(&mut self, now: SimTime) {
        if let Some(expiry) = &mut self.expiry {
            expiry.advance(&self.entries, now, &mut self.counters);
        }
    }

    /// Entries held at `now` whose TTL has not run out. Counts the
    /// expiries up to `now`.
    pub fn live_len(&mut self, now: SimTime) -> u32 {
        self.advance(now);
        self.len() - self.expiry.as_ref().map_or(0, |expiry| expiry.expired_held)
    }

    /// Bytes of the entries live at `now` (see `live_len`).
    pub fn live_bytes(&mut self, now: SimTime) -> u64 {
        self.advance(now);
        self.bytes - self.expiry.as_ref().map_or(0, |expiry| expiry.expired_bytes)
    }

    fn uses_heap(&self) -> bool {
        matches!(self.eviction, Eviction::Lfu | Eviction::PerfectLfu)
    }

    /// Looks `key` up: its version on a hit, `None` on a miss (counted).
    /// A stale hit (see `look`) is a hit.
    pub fn lookup(&mut self, key: u32, now: SimTime) -> Option<u32> {
        match self.look(key, now) {
            Lookup::Fresh(version) | Lookup::Stale(version) => Some(version),
            Lookup::Miss => None,
        }
    }

    /// Looks `key` up (counted): fresh, stale (its TTL ran out less than
    /// the stale window ago: a hit that neither renews its TTL nor counts
    /// as an expiration), or a miss (an entry past its window is removed).
    pub fn look(&mut self, key: u32, now: SimTime) -> Lookup {
        self.clock += 1;
        if let Some(counts) = &mut self.counts {
            counts.set(key, counts.get(key).saturating_add(1));
        }
        let slot = self.index.get(key);
        if slot == NONE {
            self.counters.misses += 1;
            return Lookup::Miss;
        }
        if self.ttl.is_some() && now >= self.entries[slot].expires {
            if let Some(window) = self.stale_window
                && now < self.entries[slot].expires + window
            {
                self.counters.hits += 1;
                self.counters.stale_hits += 1;
                self.touch(slot, now, false);
                return Lookup::Stale(self.entries[slot].version);
            }
            self.remove(slot, now);
            self.counters.expirations += 1;
            self.counters.misses += 1;
            return Lookup::Miss;
        }
        self.counters.hits += 1;
        self.touch(slot, now, true);
        Lookup::Fresh(self.entries[slot].version)
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
            let old = self.entries[slot].size as u64;
            self.bytes = self.bytes - old + size as u64;
            if let Some(ttl) = self.ttl {
                self.set_expiry(slot, now + ttl, now);
            }
            let entry = &mut self.entries[slot];
            entry.size = size;
            entry.version = version;
            self.touch(slot, now, true);
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
                let coldest = self.heap[0];
                if count <= self.entries[coldest].frequency {
                    self.counters.rejected_fills += 1;
                    return;
                }
            }
            while self.len() > 0 && self.full_for(size) {
                self.evict(rng, now);
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
                self.entries[slot] = entry;
                slot
            }
            None => self.new_slot(entry),
        };
        self.place(key, slot);
        self.counters.fills += 1;
    }

    /// A new slot holding `entry`.
    fn new_slot(&mut self, entry: Entry) -> SlotId {
        self.entries.push(entry);
        self.heap_position.push(NOT_IN_HEAP);
        if let Some(expiry) = &mut self.expiry {
            expiry.links.push(Link {
                prev: NONE,
                next: NONE,
            });
        }
        SlotId::from_index(self.entries.len() - 1)
    }

    /// Indexes the entry in `slot` under `key` and links it into the
    /// eviction order (at the front: most recent, newest) and the expiry
    /// order (at the back: latest).
    fn place(&mut self, key: u32, slot: SlotId) {
        self.index.set(key, slot);
        self.bytes += self.entries[slot].size as u64;
        if self.uses_heap() {
            self.heap_push(slot);
        } else {
            self.link_front(slot);
        }
        if let Some(expiry) = &mut self.expiry {
            expiry.push_back(slot);
        }
    }

    /// Moves `slot`'s expiry to `expires`, the latest of all, at `now`.
    fn set_expiry(&mut self, slot: SlotId, expires: SimTime, now: SimTime) {
        if let Some(expiry) = &mut self.expiry {
            expiry.unlink(slot, &self.entries[slot], now, &mut self.counters);
            self.entries[slot].expires = expires;
            expiry.push_back(slot);
        }
    }

    /// What the store holds, in eviction order (the first to go first):
    /// the least frequent first (LFU), else the tail of the list first.
    pub fn content(&self) -> WarmContent {
        let entry = |slot: SlotId| {
            let entry = &self.entries[slot];
            WarmEntry {
                key: entry.key,
                weight: entry.size,
                expires: entry.expires,
                frequency: entry.frequency,
            }
        };
        let mut entries = Vec::with_capacity(self.len() as usize);
        if self.uses_heap() {
            let mut slots = self.heap.clone();
            slots.sort_by_key(|&slot| self.heap_key(slot));
            entries.extend(slots.into_iter().map(entry));
        } else {
            let mut slot = self.tail;
            while slot != NONE {
                entries.push(entry(slot));
                slot = self.entries[slot].prev;
            }
        }
        WarmContent {
            entries,
            counts: Vec::new(),
        }
    }

    /// Writes the keys it holds, live or not, into `out` (emptied first),
    /// in eviction order (the first to go first; LFU: heap order, by
    /// frequency only roughly), allocating nothing while `out` has room.
    pub fn held_keys_into(&self, out: &mut Vec<u32>) {
        out.clear();
        if self.uses_heap() {
            out.extend(self.heap.iter().map(|&slot| self.entries[slot].key));
        } else {
            let mut slot = self.tail;
            while slot != NONE {
                out.push(self.entries[slot].key);
                slot = self.entries[slot].prev;
            }
        }
    }

    /// Fills an empty store at time 0 with `content` (entries in eviction
    /// order, the first to go first), all at `version`.
    pub fn warm(&mut self, content: &WarmContent, version: impl Fn(u32) -> u32) {
        debug_assert_eq!(self.len(), 0);
        if let Some(counts) = &mut self.counts {
            for &(key, count) in &content.counts {
                counts.set(key, count);
            }
        }
        let mut slots = Vec::with_capacity(content.entries.len());
        for warm in &content.entries {
            self.clock += 1;
            let slot = self.new_slot(Entry {
                key: warm.key,
                version: version(warm.key),
                expires: if self.ttl.is_some() {
                    warm.expires
                } else {
                    SimTime::MAX
                },
                frequency: warm.frequency,
                last: self.clock,
                size: warm.weight,
                prev: NONE,
                next: NONE,
            });
            self.index.set(warm.key, slot);
            self.bytes += warm.weight as u64;
            if self.uses_heap() {
                self.heap_push(slot);
            } else {
                self.link_front(slot);
            }
            slots.push(slot);
        }
        // The expiry list in expiry order (the entries are in eviction order);
        // entries expiring at time 0 expired before the start: held, not
        // live, and not counted as expiries of the run.
        if let Some(expiry) = &mut self.expiry {
            slots.sort_by_key(|&slot| (self.entries[slot].expires, slot));
            for slot in slots {
                expiry.push_back(slot);
            }
            expiry.advance(&self.entries, SimTime::ZERO, &mut CacheCounters::default());
        }
    }

    /// Moves the store's clock back by `by` after it ran from time 0 to
    /// `by` (a warm start's replay): every expiry comes `by` earlier, and an
    /// entry that expired by then is one that expired before the start
    /// (held, not live, its expiry not counted in the run). Eviction order,
    /// frequencies and counts are kept; counters are the caller's to reset.
    pub fn shift_back(&mut self, by: SimDuration) {
        let end = SimTime::ZERO + by;
        self.advance(end);
        if let Some(expiry) = &mut self.expiry {
            for entry in self.entries.iter_mut() {
                entry.expires = SimTime(entry.expires.as_nanos().saturating_sub(by.as_nanos()));
            }
            expiry.counted_to = SimTime::ZERO;
        }
    }

    /// Deletes `key` if cached, at `now`.
    pub fn invalidate(&mut self, key: u32, now: SimTime) {
        let slot = self.index.get(key);
        if slot != NONE {
            self.remove(slot, now);
            self.counters.invalidations += 1;
        }
    }

    /// Forgets everything at `now` (a node that dies or restarts cold),
    /// after counting the expiries up to `now`.
    pub fn clear(&mut self, now: SimTime) {
        self.advance(now);
        if let Some(expiry) = &mut self.expiry {
            expiry.clear();
        }
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

    /// Records an access to a cached entry; `renew`: a sliding TTL
    /// restarts (a stale hit's does not).
    fn touch(&mut self, slot: SlotId, now: SimTime, renew: bool) {
        let clock = self.clock;
        let count = self
            .counts
            .as_ref()
            .map(|counts| counts.get(self.entries[slot].key));
        if self.refresh_on_hit
            && renew
            && let Some(ttl) = self.ttl
        {
            self.set_expiry(slot, now + ttl, now);
        }
        let entry = &mut self.entries[slot];
        entry.last = clock;
        match self.eviction {
            Eviction::Lru => {
                self.unlink(slot);
                self.link_front(slot);
            }
            Eviction::Lfu => {
                entry.frequency = entry.frequency.saturating_add(1);
                self.heap_sift_down(self.heap_position[slot] as usize);
            }
            Eviction::PerfectLfu => {
                entry.frequency = count.unwrap_or(entry.frequency);
                self.heap_sift_down(self.heap_position[slot] as usize);
            }
            Eviction::Fifo | Eviction::Random => {}
        }
    }

    fn evict(&mut self, rng: &mut Stream, now: SimTime) {
        let victim = match self.eviction {
            Eviction::Lru | Eviction::Fifo => self.tail,
            Eviction::Lfu | Eviction::PerfectLfu => self.heap[0],
            // A uniform draw over the held entries. An entry-counted store
            // is full with no free slot, so the first draw holds one; a
            // byte-capacity store can be full with free slots, which are
            // drawn again.
            Eviction::Random => loop {
                let slot = SlotId(rng.random_range(0..self.entries.len() as u32));
                if self.index.get(self.entries[slot].key) == slot {
                    break slot;
                }
            },
        };
        self.remove(victim, now);
        self.counters.evictions += 1;
    }

    fn remove(&mut self, slot: SlotId, now: SimTime) {
        if let Some(expiry) = &mut self.expiry {
            expiry.unlink(slot, &self.entries[slot], now, &mut self.counters);
        }
        let key = self.entries[slot].key;
        self.bytes -= self.entries[slot].size as u64;
        self.index.set(key, NONE);
        if self.uses_heap() {
            self.heap_remove(slot);
        } else {
            self.unlink(slot);
        }
        self.free.push(slot);
    }

    fn link_front(&mut self, slot: SlotId) {
        let old_head = self.head;
        {
            let entry = &mut self.entries[slot];
            entry.prev = NONE;
            entry.next = old_head;
        }
        if old_head != NONE {
            self.entries[old_head].prev = slot;
        } else {
            self.tail = slot;
        }
        self.head = slot;
    }

    fn unlink(&mut self, slot: SlotId) {
        let Entry { prev, next, .. } = self.entries[slot];
        if prev != NONE {
            self.entries[prev].next = next;
        } else {
            self.head = next;
        }
        if next != NONE {
            self.entries[next].prev = prev;
        } else {
            self.tail = prev;
        }
    }

    fn heap_key(&self, slot: SlotId) -> (u32, u64) {
        let entry = &self.entries[slot];
        (entry.frequency, entry.last)
    }

    fn heap_swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.heap_position[self.heap[a]] = a as u32;
        self.heap_position[self.heap[b]] = b as u32;
    }

    fn heap_push(&mut self, slot: SlotId) {
        self.heap.push(slot);
        let at = self.heap.len() - 1;
        self.heap_position[slot] = at as u32;
        self.heap_sift_up(at);
    }

    fn heap_remove(&mut self, slot: SlotId) {
        let at = self.heap_position[slot] as usize;
        let last = self.heap.len() - 1;
        self.heap_swap(at, last);
        self.heap.pop();
        self.heap_position[slot] = NOT_IN_HEAP;
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

    #[test]
    fn a_stale_window_serves_an_expired_entry_until_it_ends_without_renewing_it() {
        let second = SimDuration::from_secs(1);
        let mut store = CacheStore::new(Eviction::Lru, 10, 100, Some(second), true);
        store.serve_stale_for(SimDuration::from_millis(500));
        let mut rng = stream(1, "test");
        let at = |ms: u64| SimTime::ZERO + SimDuration::from_millis(ms);
        store.fill(7, 3, at(0), &mut rng);
        assert_eq!(store.look(7, at(999)), Lookup::Fresh(3));
        // The hit at 999 ms slid the TTL to 1 999 ms (refresh_on_hit).
        assert_eq!(store.look(7, at(1999)), Lookup::Stale(3));
        assert_eq!(
            store.look(7, at(2498)),
            Lookup::Stale(3),
            "a stale hit does not slide the TTL"
        );
        assert_eq!(store.live_len(at(2498)), 0, "a stale entry is not live");
        assert_eq!(store.look(7, at(2499)), Lookup::Miss, "past the window");
        assert_eq!(store.counters.stale_hits, 2);
        assert_eq!(store.counters.hits, 3);
        assert_eq!((store.counters.misses, store.counters.expirations), (1, 1));
        assert_eq!(store.counters.expired, 1, "its TTL ran out once");
        // A refresh's fill renews a stale entry.
        store.fill(8, 1, at(3000), &mut rng);
        assert_eq!(store.look(8, at(4200)), Lookup::Stale(1));
        store.fill(8, 2, at(4205), &mut rng);
        assert_eq!(store.look(8, at(4300)), Lookup::Fresh(2));
        assert_eq!(store.live_len(at(4300)), 1);
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
        cache.invalidate(2, SimTime(0));
        assert!(cache.lookup(2, SimTime(0)).is_none());
        assert_eq!(cache.len(), 3);
        cache.clear(SimTime(0));
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
        cache.invalidate(3, SimTime(0));
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

    /// Live entries and bytes by a scan of every slot: what `live_len`
    /// and `live_bytes` keep incrementally.
    fn scanned(cache: &CacheStore, now: SimTime) -> (u32, u64) {
        let mut live = (0, 0);
        for (slot, entry) in cache.entries.iter_enumerated() {
            if cache.index.get(entry.key) == slot && entry.expires > now {
                live.0 += 1;
                live.1 += entry.size as u64;
            }
        }
        live
    }

    const SECOND: u64 = 1_000_000_000;

    #[test]
    fn live_entries_match_a_scan_under_every_policy() {
        let ttl = Some(SimDuration::from_secs(1));
        for eviction in [
            Eviction::Lru,
            Eviction::Fifo,
            Eviction::Random,
            Eviction::Lfu,
            Eviction::PerfectLfu,
        ] {
            for refresh in [false, true] {
                for bytes in [false, true] {
                    let mut rng = stream(7, "t");
                    let mut cache = if bytes {
                        CacheStore::with_bytes(eviction, 2_000, 200, ttl, refresh)
                    } else {
                        CacheStore::new(eviction, 50, 200, ttl, refresh)
                    };
                    let mut now = 0u64;
                    for step in 0..20_000u32 {
                        now += rng.random_range(0..SECOND / 100);
                        let at = SimTime(now);
                        let key = rng.random_range(0..200u32).min(rng.random_range(0..200u32));
                        match rng.random_range(0..100u32) {
                            0 => cache.invalidate(key, at),
                            1 if step % 5_000 == 1 => cache.clear(at),
                            _ => {
                                if cache.lookup(key, at).is_none() {
                                    let size = 1 + key % 60;
                                    cache.fill_sized(key, 0, size, at, &mut rng);
                                }
                            }
                        }
                        if step % 97 == 0 {
                            let expected = scanned(&cache, at);
                            let live = (cache.live_len(at), cache.live_bytes(at));
                            assert_eq!(live, expected, "{eviction:?} refresh={refresh} bytes={bytes}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_store_moved_back_keeps_its_entries_and_counts_no_expiry_from_before() {
        let ttl = SimDuration::from_secs(10);
        let mut rng = stream(1, "t");
        let mut cache = CacheStore::new(Eviction::Lru, 10, 100, Some(ttl), false);
        cache.fill(1, 0, SimTime(0), &mut rng); // expires at 10 s
        cache.fill(2, 0, SimTime(5 * SECOND), &mut rng); // at 15 s
        cache.fill(3, 0, SimTime(12 * SECOND), &mut rng); // at 22 s
        cache.shift_back(SimDuration::from_secs(12));
        cache.counters = CacheCounters::default();
        // Key 1 expired before the start: held, not live, not counted.
        assert_eq!((cache.len(), cache.live_len(SimTime(0))), (3, 2));
        assert_eq!(scanned(&cache, SimTime(0)), (2, 2));
        assert_eq!(cache.counters.expired, 0);
        // Key 2 expires 3 s after the start, key 3 10 s after.
        assert_eq!(cache.live_len(SimTime(3 * SECOND)), 1);
        assert_eq!(cache.counters.expired, 1);
        assert!(cache.lookup(3, SimTime(9 * SECOND)).is_some());
        assert!(cache.lookup(1, SimTime(9 * SECOND)).is_none());
        assert_eq!((cache.len(), cache.live_len(SimTime(9 * SECOND))), (2, 1));
        assert_eq!(cache.counters.expired, 1);
        // The recency order survived: 2 is the least recently used.
        cache.fill(4, 0, SimTime(9 * SECOND), &mut rng);
        let order: Vec<u32> = cache.content().entries.iter().map(|entry| entry.key).collect();
        assert_eq!(order, vec![2, 3, 4]);
    }

    #[test]
    fn a_warm_entry_expiring_at_time_zero_expired_before_the_start() {
        let mut cache = CacheStore::new(Eviction::Lru, 10, 100, Some(SimDuration::from_secs(10)), false);
        let warm = |key: u32, expires: SimTime| WarmEntry {
            key,
            weight: 1,
            expires,
            frequency: 1,
        };
        let content = WarmContent {
            entries: vec![warm(1, SimTime::ZERO), warm(2, SimTime(5 * SECOND))],
            counts: Vec::new(),
        };
        cache.warm(&content, |_| 0);
        assert_eq!((cache.len(), cache.live_len(SimTime(0))), (2, 1));
        assert_eq!(cache.live_len(SimTime(6 * SECOND)), 0);
        assert_eq!(cache.counters.expired, 1, "only key 2 expired in the run");
        assert!(cache.lookup(1, SimTime(6 * SECOND)).is_none());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn every_expiry_is_counted_once_in_the_window_it_happens() {
        // No eviction (capacity ≥ keys): an independent record of each
        // key's expiry says which expiries fall in each window.
        let ttl = SimDuration::from_secs(1);
        for refresh in [false, true] {
            let mut rng = stream(3, "t");
            let mut cache = CacheStore::new(Eviction::Lru, 100, 100, Some(ttl), refresh);
            let mut expires: Vec<Option<u64>> = vec![None; 100];
            let (mut now, mut window_end) = (0u64, SECOND / 2);
            let mut expected = 0u64;
            let mut counted = 0u64;
            // Expiries of the record that fall in (from, to].
            let due = |expires: &[Option<u64>], from: u64, to: u64| {
                let mut count = 0;
                for slot in expires {
                    if slot.is_some_and(|at| at > from && at <= to) {
                        count += 1;
                    }
                }
                count
            };
            let mut window_start = 0u64;
            for _ in 0..50_000 {
                now += rng.random_range(0..SECOND / 200);
                while now >= window_end {
                    expected += due(&expires, window_start, window_end);
                    let live = cache.live_len(SimTime(window_end));
                    counted += std::mem::take(&mut cache.counters).expired;
                    assert_eq!(counted, expected, "refresh={refresh} at {window_end}");
                    let independent = expires
                        .iter()
                        .filter(|at| at.is_some_and(|at| at > window_end))
                        .count();
                    assert_eq!(live as usize, independent);
                    window_start = window_end;
                    window_end += SECOND / 2;
                }
                let key = rng.random_range(0..100u32);
                let at = SimTime(now);
                if rng.random_range(0..50u32) == 0 {
                    cache.invalidate(key, at);
                    // An invalidated entry that had expired already counts.
                    if expires[key as usize].is_some_and(|e| e > window_start && e <= now) {
                        expected += 1;
                    }
                    expires[key as usize] = None;
                    continue;
                }
                let live = expires[key as usize].is_some_and(|e| e > now);
                assert_eq!(cache.lookup(key, at).is_some(), live);
                if live {
                    if refresh {
                        expires[key as usize] = Some(now + ttl.as_nanos());
                    }
                } else {
                    if expires[key as usize].is_some_and(|e| e > window_start && e <= now) {
                        expected += 1;
                    }
                    cache.fill(key, 0, at, &mut rng);
                    expires[key as usize] = Some(now + ttl.as_nanos());
                }
            }
        }
    }
}
