//! Warm starts: the content a cache node or CDN edge holds in steady state
//! under independent-reference traffic, chosen once at time 0 so that the
//! first window's hit ratio is already the long-run one.
//!
//! Each key's share of the store's lookups comes from its keyspace
//! (Zipf or uniform over the keys, the hot-key overlay, one key per user);
//! a key's weight is 1 (caches count entries) or its size in bytes (CDN
//! edges). Per policy, with T the characteristic time in lookups, found by
//! bisection so that the expected weight present fills the capacity:
//!
//! - LRU: Che's approximation. Key k is present with probability
//!   1 − e^{−p_k T}, independently; its last request is then a truncated
//!   exponential age in [0, T], which orders the recency list.
//! - FIFO and random: key k is present with probability p_k T / (1 + p_k T)
//!   (the FIFO/RANDOM analogue); its fill is a uniform age in [0, T].
//! - Perfect LFU: the most popular keys, in popularity order, up to the
//!   capacity. Frequencies are the counts of a long history,
//!   `p_k × 1000 / p_last` (the least popular warm key counted 1000 times),
//!   and the other keys near the top are counted the same way, so a missed
//!   key is admitted only once it is more popular, as after a long run.
//! - LFU (counting only while cached) has no steady state independent of
//!   its history: the keys that gathered counts early stay, and a popular
//!   key filled late is the first evicted (at 10⁵ Zipf(0.8) keys and 10⁴
//!   entries a long run settles at a hit ratio of 0.547 where the most
//!   popular keys would give 0.594). Its warm content is what the store
//!   itself keeps after `REPLAY_PER_ENTRY` × capacity lookups drawn from
//!   the keyspace (at most `MAX_REPLAY`), each miss filled; a long cold run
//!   reaches its plateau after about 40 × capacity.
//!
//! Presence is drawn from a stream of its own (`cache.NAME.warm`,
//! `cdn.NAME.warm`), so no other stream's draws change; the sampled content
//! is trimmed to the capacity, the most recently used kept.
//!
//! Time: a cache with a TTL or with write steps (`Dynamics`). Its traffic
//! at the start is λ lookups/s and μ writes/s (`CacheVisits`, per request,
//! from the caller's walk of the call graph, times the rate at time 0, or
//! a closed workload's users over their think time, an upper bound); reads
//! and writes draw keys from the same keyspace, so key k sees λp_k lookups
//! and μp_k writes, ρ = μ/λ writes per lookup.
//!
//! - Held (LRU, Che with writes): a key's accesses come at q_k = p_k(1 + ρ)
//!   per lookup; an invalidating write empties its slot, so the key is held
//!   iff its last access was within T and was a lookup:
//!   P_k = (1 − e^{−q_k T}) / (1 + ρ), and T solves Σ P_k = C (write-through:
//!   P_k = 1 − e^{−q_k T}). The age a of the last access is a truncated
//!   exponential of rate q_k over [0, T].
//! - Live: a TTL does not change what is held — an expired entry keeps its
//!   slot until a lookup removes it (and refills it) or it is evicted — only
//!   what is live. Sliding expiry (`ttl_refresh_on_hit`): the entry expires
//!   τ − a/λ seconds after the start, or expired before it (held, not live,
//!   its expiry not counted in the run) when a/λ ≥ τ. Fixed expiry: the fill
//!   age g ≥ a depends on every lookup of the key since its last miss (a
//!   fill recurs at the first lookup after each expiry, after a write, or
//!   after a gap longer than T) and has no closed form; g starts uniform
//!   over [a/λ, τ) (FIFO and random: their fill age).
//! - Replay: the store, started from that content, is driven by the
//!   independent-reference traffic itself (`replay_timed`: a Poisson stream
//!   at λ + μ, keys from the keyspace, a write with probability ρ/(1 + ρ),
//!   each miss filled at once) for 2T/λ + τ seconds (T: for perfect LFU the
//!   mean gap between lookups of the least popular key held), at most
//!   `MAX_REPLAY` operations, and its clock moved back to 0
//!   (`CacheStore::shift_back`). LRU content forgets what is older than T,
//!   and a popular key's fills then form a renewal process of period
//!   τ + Exp(λp_k), so its remaining life at the start has the stationary
//!   residual law and expiries in the first window come at the long-run
//!   rate; writes leave their holes, expired entries hold their slots, in
//!   the store's own order. In-cache LFU's replay runs in time the same way
//!   (50 lookups per entry of capacity, plus one TTL).
//!
//! Without a TTL or writes (or with no known traffic) nothing is timed:
//! the content is as above with ρ = 0, and with a TTL (CDN edges) each
//! entry gets a remaining life uniform over (0, TTL] (an entry's age since
//! its fill is uniform over the TTL when the key is read often).
//!
//! Left out: traffic that is not independent draws (a per-user keyspace is
//! taken as uniform; retries and the time a miss takes to fill are not
//! replayed), rates that change after the start (the steady state is the
//! start's), a TTL longer than `MAX_REPLAY` operations cover (fill ages of
//! entries not refilled keep their uniform start), in-cache LFU's
//! dependence on its history (a long cold run keeps the keys that got
//! established early, not exactly the most popular ones), and for CDN
//! edges their deploys' invalidations and the TTL's dynamics. A node or
//! edge that restarts comes back cold.

use rand::RngExt;

use super::cache::CacheStore;
use super::cdn::Cdn;
use super::cluster::CacheCluster;
use super::ids::CacheNodeId;
use super::keys::KeySampler;
use crate::engine::random::stream;
use crate::engine::{SimDuration, SimTime, Stream};
use crate::scenario::{self, Eviction, Keyspace, Popularity, Scenario, WritePolicy};

/// In-cache LFU's replay: lookups per entry of capacity, and at most.
const REPLAY_PER_ENTRY: u64 = 50;
const MAX_REPLAY: u64 = 20_000_000;
/// A timed replay runs this many characteristic times (besides one TTL).
const REPLAY_CHARACTERISTIC_TIMES: f64 = 2.0;
/// A timed replay's longest simulated time (a year: times stay far inside
/// `SimTime`'s range even for a cache that sees a lookup a day).
const MAX_REPLAY_S: f64 = 365.0 * 86_400.0;

/// A cache's traffic per request of the workload, from a walk of the call
/// graph (`study::feasibility::cache_visits`): lookups, and writes that go
/// through the cache (invalidations or write-throughs).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CacheVisits {
    pub lookups: f64,
    pub writes: f64,
}

/// What a warm store's content depends on besides popularity, when the
/// store's entries come and go in time: the traffic's pace, its writes and
/// the TTL.
#[derive(Clone, Copy, Debug)]
struct Dynamics {
    lookups_per_s: f64,
    /// Writes per lookup (each key's writes are this share of its lookups:
    /// reads and writes draw keys from the same keyspace).
    writes_per_lookup: f64,
    write_through: bool,
    ttl: Option<SimDuration>,
    refresh_on_hit: bool,
}

impl Dynamics {
    /// The dynamics of `cache` at `requests_per_s`, if entries expire or
    /// are written (and the cache sees lookups at all).
    fn of(cache: &scenario::Cache, visits: CacheVisits, requests_per_s: f64) -> Option<Dynamics> {
        let lookups_per_s = visits.lookups * requests_per_s;
        let writes_per_s = visits.writes * requests_per_s;
        let timed = cache.ttl.is_some() || writes_per_s > 0.0;
        (timed && lookups_per_s > 0.0 && lookups_per_s.is_finite()).then(|| Dynamics {
            lookups_per_s,
            writes_per_lookup: if writes_per_s.is_finite() {
                writes_per_s / lookups_per_s
            } else {
                0.0
            },
            write_through: cache.write_policy == WritePolicy::WriteThrough,
            ttl: cache.ttl,
            refresh_on_hit: cache.ttl_refresh_on_hit,
        })
    }

    fn ttl_s(&self) -> f64 {
        self.ttl.map_or(0.0, |ttl| ttl.as_secs_f64())
    }

    /// The replay's length: `REPLAY_CHARACTERISTIC_TIMES` × `time`
    /// lookups, plus one TTL, within `MAX_REPLAY` operations.
    fn horizon(&self, time: f64) -> SimDuration {
        let operations_per_s = self.lookups_per_s * (1.0 + self.writes_per_lookup);
        let seconds = (REPLAY_CHARACTERISTIC_TIMES * time / self.lookups_per_s + self.ttl_s())
            .min(MAX_REPLAY as f64 / operations_per_s)
            .min(MAX_REPLAY_S);
        SimDuration::from_nanos_f64(seconds * 1e9)
    }
}

/// Fills every node of `cluster` with its steady-state content: each node
/// sees the keys the ring gives it. `visits` is the cache's traffic per
/// request and `requests_per_s` the workload's rate at the start.
pub(super) fn warm_cache(
    scenario: &Scenario,
    cache: &scenario::Cache,
    sampler: &KeySampler,
    cluster: &mut CacheCluster,
    visits: CacheVisits,
    requests_per_s: f64,
) {
    let mut rng = stream(scenario.seed, &format!("cache.{}.warm", cache.name));
    let dynamics = Dynamics::of(cache, visits, requests_per_s);
    let ring = &cluster.ring;
    let node_of = |key: u32| ring.owner(key, |_| true).unwrap_or(0) as usize;
    let route = |key: u32| (node_of(key), key, 1);
    if cache.eviction == Eviction::Lfu {
        let capacity: u64 = cluster.stores.iter().map(|store| store.capacity().0 as u64).sum();
        match dynamics {
            None => replay(
                cluster.stores.as_mut_slice(),
                capacity,
                sampler,
                &mut rng,
                route,
                |_| 0,
            ),
            Some(dynamics) => {
                let horizon =
                    dynamics.horizon((REPLAY_PER_ENTRY * capacity) as f64 / REPLAY_CHARACTERISTIC_TIMES);
                replay_timed(
                    cluster.stores.as_mut_slice(),
                    sampler,
                    &mut rng,
                    route,
                    &dynamics,
                    horizon,
                );
            }
        }
        return;
    }
    let mut per_node: Vec<Vec<Candidate>> = vec![Vec::new(); cluster.stores.len()];
    for (key, probability) in popularity(&scenario.keyspaces[cache.keyspace], sampler) {
        per_node[node_of(key)].push(Candidate {
            key,
            probability,
            weight: 1,
        });
    }
    let mut time: f64 = 0.0;
    for (node, candidates) in per_node.iter().enumerate() {
        let store = &mut cluster.stores[CacheNodeId(node as u32)];
        let (entries, bytes) = store.capacity();
        let (warm, node_time) = content_in_time(
            cache.eviction,
            candidates,
            entries,
            bytes,
            store.ttl(),
            dynamics.as_ref(),
            &mut rng,
        );
        store.warm(&warm, |_| 0);
        time = time.max(node_time);
    }
    if let Some(dynamics) = dynamics {
        let horizon = dynamics.horizon(time);
        replay_timed(
            cluster.stores.as_mut_slice(),
            sampler,
            &mut rng,
            route,
            &dynamics,
            horizon,
        );
    }
}

/// Fills every edge of `cdn` with its steady-state content: each edge
/// sees the whole catalog, objects under their names at time 0.
pub(super) fn warm_cdn(scenario: &Scenario, cdn: &scenario::Cdn, sampler: &KeySampler, state: &mut Cdn) {
    let mut rng = stream(scenario.seed, &format!("cdn.{}.warm", cdn.name));
    let objects = state.objects;
    let names: Vec<u32> = (0..objects)
        .map(|object| state.name(object, SimTime::ZERO))
        .collect();
    let sizes: Vec<u32> = (0..objects).map(|object| state.sizes.of(object)).collect();
    let versions: Vec<u32> = (0..objects)
        .map(|object| state.version(object, SimTime::ZERO))
        .collect();
    let version = |name: u32| versions[(name % objects) as usize];
    if cdn.eviction == Eviction::Lfu {
        // Objects that fit in an edge: its bytes over the mean size.
        let mean = sizes.iter().map(|&size| size as f64).sum::<f64>() / objects.max(1) as f64;
        let fit = (cdn.capacity as f64 / mean.max(1.0)).min(objects as f64) as u64;
        for edge in state.stores.iter_mut() {
            let route = |object: u32| (0, names[object as usize], sizes[object as usize]);
            replay(std::slice::from_mut(edge), fit, sampler, &mut rng, route, version);
        }
        return;
    }
    let candidates: Vec<Candidate> = popularity(&scenario.keyspaces[cdn.keyspace], sampler)
        .into_iter()
        .map(|(object, probability)| Candidate {
            key: names[object as usize],
            probability,
            weight: sizes[object as usize],
        })
        .collect();
    for store in state.stores.iter_mut() {
        fill(store, cdn.eviction, &candidates, &mut rng, version);
    }
}

/// Runs empty `stores` at time 0 on `REPLAY_PER_ENTRY` × `capacity`
/// lookups drawn from the keyspace (`route`: key → store, stored name,
/// size), each miss filled; then warms them again with what they kept, so
/// that entries get remaining lives and the run starts with no counts.
fn replay(
    stores: &mut [CacheStore],
    capacity: u64,
    sampler: &KeySampler,
    rng: &mut Stream,
    route: impl Fn(u32) -> (usize, u32, u32),
    version: impl Fn(u32) -> u32 + Copy,
) {
    let lookups = (REPLAY_PER_ENTRY * capacity).min(MAX_REPLAY);
    for _ in 0..lookups {
        let user = rng.random_range(0..sampler.keys());
        let (store, name, size) = route(sampler.draw(rng, user));
        let store = &mut stores[store];
        if store.lookup(name, SimTime::ZERO).is_none() {
            store.fill_sized(name, version(name), size, SimTime::ZERO, rng);
        }
    }
    for store in stores {
        let mut kept = store.content();
        if let Some(ttl) = store.ttl() {
            give_lives(&mut kept.entries, ttl, rng);
        }
        store.clear(SimTime::ZERO);
        store.counters = Default::default();
        store.warm(&kept, version);
    }
}

/// Drives `stores` (cache nodes: every version 0) from time 0 to `horizon`
/// with independent-reference traffic: operations a Poisson stream at the
/// lookups' and writes' rate, each on a key drawn from the keyspace, a
/// write with its share; a lookup that misses is filled at once, a write
/// invalidates the key or writes it through. Then moves the stores back to
/// time 0 (`CacheStore::shift_back`) with no counts.
fn replay_timed(
    stores: &mut [CacheStore],
    sampler: &KeySampler,
    rng: &mut Stream,
    route: impl Fn(u32) -> (usize, u32, u32),
    dynamics: &Dynamics,
    horizon: SimDuration,
) {
    let write_share = dynamics.writes_per_lookup / (1.0 + dynamics.writes_per_lookup);
    let mean_gap_ns = 1e9 / (dynamics.lookups_per_s * (1.0 + dynamics.writes_per_lookup));
    let end = horizon.as_nanos() as f64;
    let mut now = 0.0f64;
    loop {
        now += -(1.0 - rng.random::<f64>()).ln() * mean_gap_ns;
        if now >= end {
            break;
        }
        let at = SimTime(now as u64);
        let user = rng.random_range(0..sampler.keys());
        let (store, key, size) = route(sampler.draw(rng, user));
        let store = &mut stores[store];
        if write_share > 0.0 && rng.random::<f64>() < write_share {
            if dynamics.write_through {
                store.fill_sized(key, 0, size, at, rng);
            } else {
                store.invalidate(key, at);
            }
        } else if store.lookup(key, at).is_none() {
            store.fill_sized(key, 0, size, at, rng);
        }
    }
    for store in stores {
        store.shift_back(horizon);
        store.counters = Default::default();
    }
}

/// Remaining lives uniform over (0, TTL].
fn give_lives(entries: &mut [WarmEntry], ttl: SimDuration, rng: &mut Stream) {
    for entry in entries {
        let life = (rng.random::<f64>() * ttl.as_nanos() as f64) as u64;
        entry.expires = SimTime(life.clamp(1, ttl.as_nanos()));
    }
}

fn fill(
    store: &mut CacheStore,
    eviction: Eviction,
    candidates: &[Candidate],
    rng: &mut Stream,
    version: impl Fn(u32) -> u32,
) {
    let (entries, bytes) = store.capacity();
    let warm = content(eviction, candidates, entries, bytes, store.ttl(), rng);
    store.warm(&warm, version);
}

/// One key a store may hold: its id, its share of the store's lookups and
/// its weight against the capacity (1, or bytes).
#[derive(Clone, Copy, Debug)]
pub struct Candidate {
    pub key: u32,
    pub probability: f64,
    pub weight: u32,
}

/// One entry of a warm store.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WarmEntry {
    pub key: u32,
    pub weight: u32,
    pub expires: SimTime,
    /// LFU frequency (1 for the other policies).
    pub frequency: u32,
}

/// What a warm store holds: entries in eviction order, the first to go
/// first (oldest, or least popular), and for perfect LFU the counts of the
/// keys near the top.
#[derive(Clone, Debug, Default)]
pub struct WarmContent {
    pub entries: Vec<WarmEntry>,
    pub counts: Vec<(u32, u32)>,
}

/// Every key's share of lookups, most popular first: (key, probability).
pub fn popularity(keyspace: &Keyspace, sampler: &KeySampler) -> Vec<(u32, f64)> {
    let keys = sampler.keys() as usize;
    let base: Vec<f64> = match keyspace.popularity {
        // A per-user keyspace is a user's own record: users are taken as
        // equally active.
        Popularity::Zipf { alpha } if alpha > 0.0 && keyspace.keys.is_some() => {
            let weights: Vec<f64> = (1..=keys).map(|rank| (rank as f64).powf(-alpha)).collect();
            let total: f64 = weights.iter().sum();
            weights.into_iter().map(|weight| weight / total).collect()
        }
        _ => vec![1.0 / keys as f64; keys],
    };
    let (share, hot) = match (&keyspace.hot, keyspace.keys) {
        (Some(hot), Some(_)) => (hot.share, (hot.keys as usize).min(keys)),
        _ => (0.0, 0),
    };
    base.into_iter()
        .enumerate()
        .map(|(rank, probability)| {
            let mut probability = (1.0 - share) * probability;
            if rank < hot {
                probability += share / hot as f64;
            }
            (sampler.key_of_rank(rank as u32), probability)
        })
        .collect()
}

/// The steady-state content of a store under `eviction` holding at most
/// `entries` entries and `bytes` bytes, for `candidates` most popular
/// first (shares need not sum to 1: a cache node sees its own keys).
pub fn content(
    eviction: Eviction,
    candidates: &[Candidate],
    entries: u32,
    bytes: Option<u64>,
    ttl: Option<SimDuration>,
    rng: &mut Stream,
) -> WarmContent {
    content_in_time(eviction, candidates, entries, bytes, ttl, None, rng).0
}

/// `content`, with the `dynamics` of a store whose entries expire or are
/// written when known (see the module doc), and the time, in lookups, a
/// replay must cover: the characteristic time (LRU, FIFO, random; infinite
/// when every candidate fits), or the mean gap between lookups of the least
/// popular key held (perfect LFU).
fn content_in_time(
    eviction: Eviction,
    candidates: &[Candidate],
    entries: u32,
    bytes: Option<u64>,
    ttl: Option<SimDuration>,
    dynamics: Option<&Dynamics>,
    rng: &mut Stream,
) -> (WarmContent, f64) {
    let capacity = bytes.map_or(entries as f64, |bytes| bytes as f64);
    let mut chosen: Vec<(f64, WarmEntry)> = Vec::new();
    let mut counts = Vec::new();
    let fits = |held: u32, weight_held: u64, weight: u32| {
        held < entries && bytes.is_none_or(|bytes| weight_held + weight as u64 <= bytes)
    };
    // Lookups per write-inclusive access, and whether a write keeps a key.
    let writes = dynamics.map_or(0.0, |dynamics| dynamics.writes_per_lookup);
    let write_through = dynamics.is_some_and(|dynamics| dynamics.write_through);
    let replay_time;
    match eviction {
        Eviction::Lfu | Eviction::PerfectLfu => {
            let (mut held, mut weight_held) = (0u32, 0u64);
            let mut last = 0.0;
            for candidate in candidates.iter().filter(|c| c.probability > 0.0) {
                if fits(held, weight_held, candidate.weight) {
                    held += 1;
                    weight_held += candidate.weight as u64;
                    last = candidate.probability;
                    chosen.push((candidate.probability, entry(candidate, 1)));
                }
            }
            let scale = if last > 0.0 { 1000.0 / last } else { 0.0 };
            let count =
                |probability: f64| (probability * scale).round().clamp(1.0, (u32::MAX / 2) as f64) as u32;
            for (probability, entry) in &mut chosen {
                entry.frequency = count(*probability);
            }
            if eviction == Eviction::PerfectLfu {
                let near_top = (2 * chosen.len() + 1024).min(candidates.len());
                counts = candidates[..near_top]
                    .iter()
                    .filter(|c| c.probability > 0.0)
                    .map(|c| (c.key, count(c.probability)))
                    .collect();
            }
            // Least popular first: the first to be evicted.
            chosen.reverse();
            replay_time = if last > 0.0 { 1.0 / last } else { 0.0 };
        }
        Eviction::Lru | Eviction::Fifo | Eviction::Random => {
            let lru = eviction == Eviction::Lru;
            // Che with writes: a key's accesses (lookups and writes) come
            // at p(1 + w); an invalidating write empties its slot, so the
            // key is held if its last access was within T and a lookup.
            let occupancy = |probability: f64, time: f64| {
                if lru {
                    let rate = probability * (1.0 + writes);
                    let kept = if write_through { 1.0 } else { 1.0 / (1.0 + writes) };
                    kept * (1.0 - (-rate * time).exp())
                } else {
                    probability * time / (1.0 + probability * time)
                }
            };
            let time = characteristic_time(candidates, capacity, occupancy);
            for candidate in candidates.iter().filter(|c| c.probability > 0.0) {
                let p = candidate.probability;
                let present = match (time.is_finite(), lru && !write_through) {
                    (true, _) => occupancy(p, time),
                    // Everything fits: an invalidated key waits for a lookup.
                    (false, true) => 1.0 / (1.0 + writes),
                    (false, false) => 1.0,
                };
                if rng.random::<f64>() >= present {
                    continue;
                }
                let u: f64 = rng.random();
                let rate = p * (1.0 + writes);
                // Age of the last access (LRU) or of the fill (FIFO, random).
                let age = match (lru, time.is_finite()) {
                    (true, true) => -(1.0 - u * (1.0 - (-rate * time).exp())).ln() / rate,
                    (false, true) => u * time,
                    (_, false) => -(1.0 - u).ln() / rate,
                };
                let mut warm = entry(candidate, 1);
                if let Some(dynamics) = dynamics
                    && dynamics.ttl.is_some()
                {
                    warm.expires = expiry(dynamics, lru, age / dynamics.lookups_per_s, rng);
                }
                chosen.push((age, warm));
            }
            // Keep the most recent that fit; the oldest go first.
            chosen.sort_by(|a, b| a.0.total_cmp(&b.0));
            let (mut held, mut weight_held) = (0u32, 0u64);
            chosen.retain(|(_, entry)| {
                let keep = fits(held, weight_held, entry.weight);
                if keep {
                    held += 1;
                    weight_held += entry.weight as u64;
                }
                keep
            });
            chosen.reverse();
            replay_time = if time.is_finite() {
                time
            } else {
                // Everything fits: long enough for the least popular key.
                candidates
                    .iter()
                    .map(|c| c.probability)
                    .filter(|&p| p > 0.0)
                    .fold(0.0, |longest: f64, p| longest.max(1.0 / p))
            };
        }
    }
    let mut entries: Vec<WarmEntry> = chosen.into_iter().map(|(_, entry)| entry).collect();
    let timed_lives =
        dynamics.is_some() && matches!(eviction, Eviction::Lru | Eviction::Fifo | Eviction::Random);
    if let Some(ttl) = ttl
        && !timed_lives
    {
        give_lives(&mut entries, ttl, rng);
    }
    (WarmContent { entries, counts }, replay_time)
}

/// A held entry's expiry at time 0, `age` seconds after its last access
/// (LRU) or fill (FIFO, random): with sliding expiry its TTL restarted at
/// the last access; else at the fill, some time in [age, TTL) before (an
/// entry read since its fill was live then), uniform as a start that the
/// replay corrects. Time 0: expired before the start, held until evicted
/// or looked up.
fn expiry(dynamics: &Dynamics, lru: bool, age: f64, rng: &mut Stream) -> SimTime {
    let ttl = dynamics.ttl_s();
    let fill_age = if dynamics.refresh_on_hit || !lru || age >= ttl {
        age
    } else {
        age + rng.random::<f64>() * (ttl - age)
    };
    if fill_age >= ttl {
        SimTime::ZERO
    } else {
        SimTime::ZERO + SimDuration::from_nanos_f64(((ttl - fill_age) * 1e9).max(1.0))
    }
}

fn entry(candidate: &Candidate, frequency: u32) -> WarmEntry {
    WarmEntry {
        key: candidate.key,
        weight: candidate.weight,
        expires: SimTime::MAX,
        frequency,
    }
}

/// Solves Σ weight·occupancy(p, t) = capacity for t by bisection on a log
/// scale; infinite when every candidate fits.
fn characteristic_time(candidates: &[Candidate], capacity: f64, occupancy: impl Fn(f64, f64) -> f64) -> f64 {
    let total = |time: f64| -> f64 {
        candidates
            .iter()
            .filter(|c| c.probability > 0.0)
            .map(|c| c.weight as f64 * occupancy(c.probability, time))
            .sum()
    };
    let everything: f64 = candidates
        .iter()
        .filter(|c| c.probability > 0.0)
        .map(|c| c.weight as f64)
        .sum();
    if everything <= capacity {
        return f64::INFINITY;
    }
    let (mut low, mut high) = (1e-9f64, 1.0f64);
    while total(high) < capacity {
        high *= 16.0;
        if high > 1e300 {
            return f64::INFINITY;
        }
    }
    for _ in 0..60 {
        let middle = (low * high).sqrt();
        if total(middle) < capacity {
            low = middle;
        } else {
            high = middle;
        }
        if high / low < 1.0 + 1e-9 {
            break;
        }
    }
    high
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::random::stream;

    fn zipf(keys: u32, alpha: f64) -> Vec<Candidate> {
        let weights: Vec<f64> = (1..=keys).map(|rank| (rank as f64).powf(-alpha)).collect();
        let total: f64 = weights.iter().sum();
        weights
            .iter()
            .enumerate()
            .map(|(key, weight)| Candidate {
                key: key as u32,
                probability: weight / total,
                weight: 1,
            })
            .collect()
    }

    #[test]
    fn lru_content_follows_ches_approximation() {
        let candidates = zipf(10_000, 0.8);
        let mut rng = stream(1, "warm");
        let warm = content(Eviction::Lru, &candidates, 1000, None, None, &mut rng);
        // About C keys present (a sum of Bernoullis, trimmed to C).
        assert!(
            warm.entries.len() > 900 && warm.entries.len() <= 1000,
            "{}",
            warm.entries.len()
        );
        // The top keys are nearly always present, the tail rarely.
        let held = |key: u32| warm.entries.iter().any(|entry| entry.key == key);
        assert!((0..20).all(held));
        assert!((9_000..10_000).filter(|&key| held(key)).count() < 100);
    }

    #[test]
    fn lfu_content_is_the_most_popular_keys_least_popular_first() {
        let candidates = zipf(1_000, 1.0);
        let mut rng = stream(1, "warm");
        let warm = content(Eviction::PerfectLfu, &candidates, 10, None, None, &mut rng);
        let keys: Vec<u32> = warm.entries.iter().map(|entry| entry.key).collect();
        assert_eq!(keys, (0..10).rev().collect::<Vec<_>>());
        assert_eq!(warm.entries[0].frequency, 1000);
        assert!(warm.entries[9].frequency > 9000);
        assert_eq!(warm.counts.len(), 1000, "every key is near the top of 1000 keys");
    }

    #[test]
    fn byte_capacities_and_ttls_are_respected() {
        let mut candidates = zipf(1_000, 0.9);
        for (index, candidate) in candidates.iter_mut().enumerate() {
            candidate.weight = 100 + (index as u32 * 37) % 900;
        }
        let ttl = SimDuration::from_secs(60);
        for eviction in [Eviction::Lru, Eviction::Fifo, Eviction::Lfu] {
            let mut rng = stream(2, "warm");
            let warm = content(eviction, &candidates, 1_000, Some(20_000), Some(ttl), &mut rng);
            let bytes: u64 = warm.entries.iter().map(|entry| entry.weight as u64).sum();
            assert!(bytes <= 20_000 && bytes > 15_000, "{eviction:?}: {bytes}");
            assert!(
                warm.entries
                    .iter()
                    .all(|entry| entry.expires > SimTime::ZERO && entry.expires <= SimTime::ZERO + ttl)
            );
        }
    }

    fn dynamics(writes_per_lookup: f64, write_through: bool, ttl: Option<SimDuration>) -> Dynamics {
        Dynamics {
            lookups_per_s: 1000.0,
            writes_per_lookup,
            write_through,
            ttl,
            refresh_on_hit: true,
        }
    }

    #[test]
    fn invalidating_writes_leave_a_key_absent_their_share_of_the_time() {
        // One write per lookup: a key is held iff its last access was
        // within T and a lookup, (1 − e^{−2pT})/2 (write-through: without
        // the halving). The 50 most popular keys held: a sum of draws of
        // those probabilities, within 5 standard deviations.
        let candidates = zipf(10_000, 0.8);
        for write_through in [false, true] {
            let mut rng = stream(4, "warm");
            let writes = dynamics(1.0, write_through, None);
            let (warm, time) = content_in_time(
                Eviction::Lru,
                &candidates,
                1000,
                None,
                None,
                Some(&writes),
                &mut rng,
            );
            let kept = if write_through { 1.0 } else { 0.5 };
            let held: Vec<f64> = candidates[..50]
                .iter()
                .map(|c| kept * (1.0 - (-2.0 * c.probability * time).exp()))
                .collect();
            let expected: f64 = held.iter().sum();
            let spread = held.iter().map(|p| p * (1.0 - p)).sum::<f64>().sqrt();
            let top = warm.entries.iter().filter(|entry| entry.key < 50).count() as f64;
            assert!(
                (top - expected).abs() <= 5.0 * spread.max(0.2),
                "write_through={write_through}: {top} held, {expected:.1} ± {spread:.1} expected"
            );
            assert!(warm.entries.len() > 900, "{}", warm.entries.len());
        }
    }

    #[test]
    fn a_sliding_ttl_expires_a_warm_entry_one_ttl_after_its_last_use() {
        // TTL: half the characteristic time (1000 lookups/s).
        let candidates = zipf(10_000, 0.8);
        let (_, time) = content_in_time(
            Eviction::Lru,
            &candidates,
            1000,
            None,
            None,
            None,
            &mut stream(5, "warm"),
        );
        let ttl = SimDuration::from_nanos_f64(time / 2.0 / 1000.0 * 1e9);
        let timed = dynamics(0.0, false, Some(ttl));
        let mut rng = stream(5, "warm");
        let (warm, _) = content_in_time(
            Eviction::Lru,
            &candidates,
            1000,
            None,
            Some(ttl),
            Some(&timed),
            &mut rng,
        );
        // Entries in eviction order: the least recently used (expiring
        // first) first; those unused for a TTL expired before the start.
        let expiries: Vec<SimTime> = warm.entries.iter().map(|entry| entry.expires).collect();
        assert!(expiries.windows(2).all(|pair| pair[0] <= pair[1]));
        assert!(expiries.iter().all(|&at| at <= SimTime::ZERO + ttl));
        let expired = expiries.iter().filter(|&&at| at == SimTime::ZERO).count();
        assert!(expired > 50 && expired < 500, "{expired} of {}", expiries.len());
    }

    #[test]
    fn everything_fits_in_a_large_store() {
        let candidates = zipf(100, 0.8);
        let mut rng = stream(3, "warm");
        let warm = content(Eviction::Lru, &candidates, 1000, None, None, &mut rng);
        assert_eq!(warm.entries.len(), 100);
    }
}
