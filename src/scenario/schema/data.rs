//! The data tier as `parse::data` reads it: `[database.*]`, `[keyspace.*]`
//! and `[cache.*]`.

use schemars::JsonSchema;

use crate::scenario::types::{Engine, Eviction, NodeFailure, ReadFrom, WritePolicy};

use super::dist::DurationDist;
use super::units::{CacheCapacity, Duration, KeyCount, Name, Probability, QueueCapacity, Rate};
use crate::scenario::bounds::{
    MAX_CACHE_NODES, MAX_KEYS, MAX_REPLICAS, MAX_SHARDS, MAX_VIRTUAL_NODES, MAX_WORKERS,
};

/// `[database.<name>]`: a database; `engine` picks the defaults.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(extend("dependencies" = { "replica_datacenters": ["datacenter"] }))]
pub struct Database {
    /// A preset of defaults: `relational` (100 connections, reads ~2 ms, writes
    /// ~5 ms) or `nosql` (10 000 connections, ~1 ms, consistent hashing).
    #[schemars(extend("default" = "relational"))]
    pub engine: Option<Engine>,
    /// Operations served at once, per node (default: the preset's).
    #[schemars(range(min = 1, max = MAX_WORKERS))]
    pub connections: Option<u64>,
    /// Operations that may wait for a connection, per node.
    pub queue_capacity: Option<QueueCapacity>,
    /// The time of a read on a node (default: the preset's).
    pub read: Option<DurationDist>,
    /// The time of a write on a node (default: the preset's).
    pub write: Option<DurationDist>,
    /// The keys it holds; required with replicas or shards.
    pub keyspace: Option<Name>,
    /// Read replicas per shard.
    #[schemars(range(min = 0, max = MAX_REPLICAS), extend("default" = 0))]
    pub replicas: Option<u64>,
    /// Where reads go (default: `round_robin` with replicas, else `primary`).
    pub read_from: Option<ReadFrom>,
    /// How writes reach the replicas.
    pub replication: Option<Replication>,
    /// Shards, each with its own primary (and replicas).
    #[schemars(range(min = 1, max = MAX_SHARDS), extend("default" = 1))]
    pub shards: Option<u64>,
    /// How keys map to shards (default: `hash`; nosql: `consistent`).
    pub sharding: Option<Sharding>,
    /// Change the shard count during the run.
    pub reshard: Option<Reshard>,
    /// Detection and promotion of a replica when a primary dies (none by default).
    pub failover: Option<Failover>,
    /// The data center its primaries stand in (default: everywhere).
    pub datacenter: Option<Name>,
    /// With `datacenter`: where replica i stands (entry i; replicas past the
    /// list stand with the primary).
    pub replica_datacenters: Option<Vec<Name>>,
}

/// `replication`: writes are shipped in order to every replica and applied there.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(extend(
    "if" = { "required": ["acks"] },
    "then" = { "required": ["mode"], "properties": { "mode": { "const": "semi_sync" } } }
))]
pub struct Replication {
    /// `async`, or `semi_sync` (the primary acknowledges once `acks` replicas received the write).
    #[schemars(extend("default" = "async"))]
    pub mode: Option<ReplicationMode>,
    /// With `semi_sync`: replicas that must have received a write.
    #[schemars(range(min = 1, max = MAX_REPLICAS), extend("default" = 1))]
    pub acks: Option<u64>,
    /// Time to apply one write on a replica (default: the preset's).
    pub apply: Option<DurationDist>,
    /// Threads applying writes on each replica (default: the preset's).
    #[schemars(range(min = 1, max = 1024))]
    pub appliers: Option<u64>,
    /// Time for a write to reach a replica (default: the network's hop).
    pub ship: Option<DurationDist>,
    /// With `semi_sync`: how long a write waits for its acks before it is
    /// acknowledged anyway and the shard falls back to asynchronous (default
    /// `"10s"`), or `"never"` to block until the replicas answer.
    pub semi_sync_timeout: Option<SemiSyncTimeout>,
}

/// `semi_sync_timeout`: a duration longer than zero, or `"never"`.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum SemiSyncTimeout {
    /// Fall back to asynchronous after this long.
    After(Duration),
    /// Block until enough replicas acknowledge.
    Never(NeverWord),
}

/// The word `never`.
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum NeverWord {
    /// No timeout.
    Never,
}

/// A replication mode.
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum ReplicationMode {
    /// The primary acknowledges at once.
    Async,
    /// The primary waits for `acks` replicas to receive the write.
    SemiSync,
}

/// `sharding`: how keys map to shards.
#[derive(JsonSchema)]
#[schemars(tag = "by", rename_all = "snake_case", deny_unknown_fields)]
pub enum Sharding {
    /// Hash of the key modulo the shard count.
    Hash {},
    /// Equal key ranges.
    Range {},
    /// A hash ring: changing the shard count moves few keys.
    Consistent {
        /// Points per shard on the ring.
        #[schemars(range(min = 1, max = MAX_VIRTUAL_NODES), extend("default" = 100))]
        virtual_nodes: Option<u64>,
    },
}

/// `reshard`: a change of the shard count during the run.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Reshard {
    /// When it starts.
    pub at: Duration,
    /// The new shard count.
    #[schemars(range(min = 1, max = MAX_SHARDS))]
    pub shards: u64,
    /// How fast moving keys are copied (greater than zero).
    pub rate: Rate,
}

/// `failover`: replacing a dead primary.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Failover {
    /// Time to notice a dead node.
    #[schemars(extend("default" = "10s"))]
    pub detection: Option<Duration>,
    /// Time to promote a replica after that.
    #[schemars(extend("default" = "5s"))]
    pub promotion: Option<Duration>,
}

/// `[keyspace.<name>]`: the items requests are about.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Keyspace {
    /// The number of keys, or `"per_user"` (one key per user).
    pub keys: KeyCount,
    /// How often each key is asked for.
    #[schemars(extend("default" = "uniform"))]
    pub popularity: Option<Popularity>,
    /// A share of all requests that goes to the few most popular keys.
    pub hot: Option<HotKeys>,
    /// The size of a value (for cache capacities given in bytes, and CDN
    /// traffic): a size, or a distribution of sizes.
    #[schemars(extend("default" = "1KiB"))]
    pub value_size: Option<super::cdn::SizeDist>,
}

/// `"uniform"`, or `{ zipf = ALPHA }`.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum Popularity {
    /// Every key equally often.
    Uniform(UniformWord),
    /// Zipf: the key of rank r in proportion to r^-alpha.
    Zipf(Zipf),
}

/// The word `uniform`.
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum UniformWord {
    /// Every key equally often.
    Uniform,
}

/// A Zipf popularity.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Zipf {
    /// The exponent, from 0 to 10.
    #[schemars(range(min = 0, max = 10))]
    pub zipf: f64,
}

/// `hot`: hot keys (the celebrity problem).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HotKeys {
    /// The share of all requests that goes to them.
    pub share: Probability,
    /// How many of the most popular keys (at most `keys`).
    #[schemars(range(min = 1, max = MAX_KEYS))]
    pub keys: u64,
}

/// `[cache.<name>]`: a cache cluster used by cache-aside steps.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Cache {
    /// The keys it caches (the same as its database's).
    pub keyspace: Name,
    /// Nodes on a consistent-hash ring.
    #[schemars(range(min = 1, max = MAX_CACHE_NODES), extend("default" = 1))]
    pub nodes: Option<u64>,
    /// Per node: entries, or bytes (divided by the keyspace's `value_size`).
    pub capacity: CacheCapacity,
    /// What is evicted when a node is full.
    #[schemars(extend("default" = "lru"))]
    pub eviction: Option<Eviction>,
    /// Entries expire this long after they are filled (longer than zero).
    pub ttl: Option<Duration>,
    /// Each hit restarts the entry's TTL (sliding expiry).
    #[schemars(extend("default" = false))]
    pub ttl_refresh_on_hit: Option<bool>,
    /// What a write step with this cache does after writing the database.
    #[schemars(extend("default" = "invalidate"))]
    pub write_policy: Option<WritePolicy>,
    /// Operations a node serves at once.
    #[schemars(range(min = 1, max = MAX_WORKERS), extend("default" = 1000))]
    pub connections: Option<u64>,
    /// Points per node on the ring.
    #[schemars(range(min = 1, max = MAX_VIRTUAL_NODES), extend("default" = 100))]
    pub virtual_nodes: Option<u64>,
    /// Where a down node's keys go.
    #[schemars(extend("default" = "rehash"))]
    pub on_node_failure: Option<NodeFailure>,
    /// Time a node takes for one get, set or delete.
    #[schemars(extend("default" = "200us"))]
    pub latency: Option<DurationDist>,
    /// The data center its nodes stand in (default: everywhere).
    pub datacenter: Option<Name>,
}
