//! Keys: which item a request is about, drawn from its keyspace's
//! popularity law, and compact per-key tables.
//!
//! Ranks are drawn from Zipf(α) (rand_distr's rejection-inversion sampler,
//! O(1) per draw) or uniformly; a hot-key overlay sends a share of draws to a
//! few keys. Ranks are scrambled into key ids by a fixed bijection so that
//! popular keys do not sit next to each other (range sharding would
//! otherwise put every popular key on one shard by construction).

use rand::RngExt;
use rand_distr::{Distribution, Zipf};

use crate::engine::Stream;
use crate::scenario::{Keyspace, Popularity};

/// Sentinel: a request with no key.
pub const NO_KEY: u32 = u32::MAX;

/// Draws keys of one keyspace.
#[derive(Clone, Debug)]
pub struct KeySampler {
    keys: u32,
    per_user: bool,
    zipf: Option<Zipf<f64>>,
    hot: Option<(f64, u32)>,
    /// Multiplier of the rank → key bijection (coprime with `keys`).
    scramble: u64,
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl KeySampler {
    /// `users` sizes a per-user keyspace.
    pub fn new(keyspace: &Keyspace, users: u64) -> Self {
        let keys = keyspace.keys.unwrap_or(users).max(1) as u32;
        let zipf = match keyspace.popularity {
            Popularity::Zipf { alpha } if alpha > 0.0 => {
                Some(Zipf::new(keys as f64, alpha).expect("checked at load: keys ≥ 1, alpha ≥ 0"))
            }
            _ => None,
        };
        // The golden-ratio multiplier, nudged until it is coprime with `keys`.
        let mut scramble = 0x9e37_79b9_u64 % keys as u64;
        while keys > 1 && gcd(scramble.max(1), keys as u64) != 1 {
            scramble += 1;
        }
        KeySampler {
            keys,
            per_user: keyspace.keys.is_none(),
            zipf,
            hot: keyspace.hot.as_ref().map(|hot| (hot.share, hot.keys as u32)),
            scramble: scramble.max(1),
        }
    }

    pub fn keys(&self) -> u32 {
        self.keys
    }

    /// The key id of popularity rank `rank` (0 = most popular).
    #[inline]
    pub fn key_of_rank(&self, rank: u32) -> u32 {
        ((rank as u64 * self.scramble) % self.keys as u64) as u32
    }

    /// A key for a request by `user`.
    #[inline]
    pub fn draw(&self, rng: &mut Stream, user: u32) -> u32 {
        if self.per_user {
            return user % self.keys;
        }
        if let Some((share, hot_keys)) = self.hot
            && rng.random::<f64>() < share
        {
            return self.key_of_rank(rng.random_range(0..hot_keys));
        }
        let rank = match &self.zipf {
            Some(zipf) => (zipf.sample(rng) as u32).saturating_sub(1).min(self.keys - 1),
            None => rng.random_range(0..self.keys),
        };
        self.key_of_rank(rank)
    }
}

/// A fixed, portable 64-bit mix (SplitMix64's finaliser): key hashing for
/// shards and rings.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A map from key (or user) to a value, `u32` unless said: a dense array
/// for small keyspaces, a hash map with a fixed hasher for large ones,
/// holding only keys away from the default (never iterated, so the hasher
/// cannot reach an output). Memory follows the keys used, not the
/// keyspace.
#[derive(Clone, Debug)]
pub enum KeyTable<V = u32> {
    Dense {
        values: Vec<V>,
        default: V,
    },
    Sparse {
        map: std::collections::HashMap<u32, V, std::hash::BuildHasherDefault<KeyHasher>>,
        default: V,
    },
}

/// Keyspaces up to this many keys get a dense table.
const DENSE_KEYS: u32 = 1 << 20;

impl<V: Copy + PartialEq> KeyTable<V> {
    pub fn new(keys: u32, default: V) -> Self {
        if keys <= DENSE_KEYS {
            KeyTable::Dense {
                values: vec![default; keys as usize],
                default,
            }
        } else {
            KeyTable::Sparse {
                map: Default::default(),
                default,
            }
        }
    }

    #[inline]
    pub fn get(&self, key: u32) -> V {
        match self {
            KeyTable::Dense { values, .. } => values[key as usize],
            KeyTable::Sparse { map, default } => map.get(&key).copied().unwrap_or(*default),
        }
    }

    #[inline]
    pub fn set(&mut self, key: u32, value: V) {
        match self {
            KeyTable::Dense { values, .. } => values[key as usize] = value,
            KeyTable::Sparse { map, default } => {
                if value == *default {
                    map.remove(&key);
                } else {
                    map.insert(key, value);
                }
            }
        }
    }

    /// How many keys hold a value that `matches` (order does not matter,
    /// so the sparse map's order cannot reach the result).
    pub fn count(&self, matches: impl Fn(V) -> bool) -> u64 {
        match self {
            KeyTable::Dense { values, .. } => values.iter().filter(|&&value| matches(value)).count() as u64,
            KeyTable::Sparse { map, .. } => map.values().filter(|&&value| matches(value)).count() as u64,
        }
    }

    /// Calls `visit` with every key whose value `matches` (in no fixed
    /// order: callers must not depend on it).
    pub fn visit_matching(&self, matches: impl Fn(V) -> bool, mut visit: impl FnMut(u32)) {
        match self {
            KeyTable::Dense { values, .. } => {
                for (key, &value) in values.iter().enumerate() {
                    if matches(value) {
                        visit(key as u32);
                    }
                }
            }
            KeyTable::Sparse { map, .. } => {
                for (&key, &value) in map {
                    if matches(value) {
                        visit(key);
                    }
                }
            }
        }
    }

    /// Resets every key to the default (a cache node restarting cold).
    pub fn clear(&mut self) {
        match self {
            KeyTable::Dense { values, default } => values.fill(*default),
            KeyTable::Sparse { map, .. } => map.clear(),
        }
    }
}

/// Hasher for `u32` keys: one multiply-mix, fixed across runs and machines.
#[derive(Default, Clone, Copy, Debug)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = mix64(self.0 ^ byte as u64);
        }
    }

    fn write_u32(&mut self, value: u32) {
        self.0 = mix64(self.0 ^ value as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::random::stream;
    use crate::scenario::{Dist, HotKeys};

    fn keyspace(keys: u64, popularity: Popularity, hot: Option<HotKeys>) -> Keyspace {
        Keyspace {
            name: "k".into(),
            keys: Some(keys),
            popularity,
            hot,
            value_size: Dist::Const { value: 1024.0 },
        }
    }

    #[test]
    fn scrambling_is_a_bijection() {
        for keys in [1u64, 2, 10, 1000, 4096, 99_991] {
            let sampler = KeySampler::new(&keyspace(keys, Popularity::Uniform, None), 0);
            let mut seen = vec![false; keys as usize];
            for rank in 0..keys as u32 {
                let key = sampler.key_of_rank(rank) as usize;
                assert!(!seen[key], "{keys}: key {key} twice");
                seen[key] = true;
            }
        }
    }

    #[test]
    fn zipf_gives_the_top_rank_its_share() {
        // Zipf(1000, 1): P(rank 1) = 1 / H(1000) = 0.1336.
        let sampler = KeySampler::new(&keyspace(1000, Popularity::Zipf { alpha: 1.0 }, None), 0);
        let top = sampler.key_of_rank(0);
        let mut rng = stream(1, "keys");
        let draws = 200_000;
        let hits = (0..draws).filter(|_| sampler.draw(&mut rng, 0) == top).count() as f64;
        let expected = 1.0 / (1..=1000).map(|i| 1.0 / i as f64).sum::<f64>();
        // Binomial standard error ≈ 0.00076; allow 5.
        assert!(
            (hits / draws as f64 - expected).abs() < 0.0038,
            "{}",
            hits / draws as f64
        );
    }

    #[test]
    fn hot_keys_take_their_share() {
        let hot = HotKeys { share: 0.3, keys: 1 };
        let sampler = KeySampler::new(&keyspace(1_000_000, Popularity::Uniform, Some(hot)), 0);
        let hottest = sampler.key_of_rank(0);
        let mut rng = stream(2, "keys");
        let hits = (0..100_000)
            .filter(|_| sampler.draw(&mut rng, 0) == hottest)
            .count() as f64;
        assert!((hits / 100_000.0 - 0.3).abs() < 0.008);
    }

    #[test]
    fn per_user_keys_are_the_user() {
        let mut space = keyspace(1, Popularity::Uniform, None);
        space.keys = None;
        let sampler = KeySampler::new(&space, 500);
        let mut rng = stream(3, "keys");
        assert_eq!(sampler.draw(&mut rng, 42), 42);
        assert_eq!(sampler.keys(), 500);
    }

    #[test]
    fn tables_dense_and_sparse_agree() {
        let mut dense = KeyTable::new(100, 7);
        let mut sparse = KeyTable::new(DENSE_KEYS + 1, 7);
        for (key, value) in [(3, 9), (50, 1), (3, 7), (99, 2)] {
            dense.set(key, value);
            sparse.set(key, value);
        }
        for key in 0..100 {
            assert_eq!(dense.get(key), sparse.get(key));
        }
    }
}
