//! The data tier as `parse::data` reads it: `[database.*]`, `[keyspace.*]`
//! and `[cache.*]`.

use schemars::JsonSchema;

use crate::scenario::types::{
    CacheKeys, DatabaseKeys, HashRing, ReadFrom, ReplicationKeys, Reshard, SemiSync,
};

use super::dist::DurationDist;
use super::units::{Duration, Name};
use crate::scenario::bounds::MAX_WORKERS;

/// `[database.<name>]`: a database; `engine` picks the defaults.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(extend("dependencies" = { "replica_datacenters": ["datacenter"] }))]
pub struct Database {
    /// The keys declared with the database's type (`types::DatabaseKeys`).
    #[schemars(flatten)]
    pub keys: DatabaseKeys,
    /// Operations served at once, per node.
    #[schemars(range(min = 1, max = MAX_WORKERS))]
    #[schemars(extend("x-default-text" = "preset"))]
    pub connections: Option<u64>,
    /// Every node's size (primary, replicas, each shard's): a `[size.*]` table or a built-in
    /// size such as `db.m5.large`; its cores and speed bound the CPU parts of operations (and
    /// of replicas' applies), its price and memory are the node's.
    #[schemars(extend("x-default-text" = "one core per connection, speed 1, free"))]
    pub size: Option<Name>,
    /// CPU time of a read on a speed-1 core: it needs one of the node's cores (time / speed).
    #[schemars(extend("x-default-text" = "preset"))]
    pub read_cpu: Option<DurationDist>,
    /// CPU time of a write on a speed-1 core, like `read_cpu`.
    #[schemars(extend("x-default-text" = "preset"))]
    pub write_cpu: Option<DurationDist>,
    /// The rest of a read's time on a node, holding only its connection: I/O, locks, network
    /// (a step's `service` overrides it).
    #[schemars(extend("x-default-text" = "preset"))]
    pub read: Option<DurationDist>,
    /// The rest of a write's time on a node, holding only its connection: the commit's log
    /// flush, locks (a step's `service` overrides it).
    #[schemars(extend("x-default-text" = "preset"))]
    pub write: Option<DurationDist>,
    /// The keys it holds; required for replicas and shards (versions, stale reads and shards
    /// are per key).
    pub keyspace: Option<Name>,
    /// Where reads go: `primary`, `round_robin` over the replicas, `least_connections` (the
    /// replica with the fewest operations in progress), or `nearest` (the live node, replica
    /// or primary, nearest the caller's data center; in turn among equally near ones).
    #[schemars(extend("x-default-text" = "`\"round_robin\"` with replicas, else `\"primary\"`"))]
    pub read_from: Option<ReadFrom>,
    /// Writes commit on the primary and are shipped, in order, to every replica, which
    /// applies them with `appliers` threads taking `apply` each: the lag grows as writes
    /// approach the apply capacity. `mode = "semi_sync", acks = 1`: the primary acknowledges
    /// a write only once `acks` replicas have received it (one more network round trip for
    /// the writer). `semi_sync_timeout = "10s"` (semi-sync only; the default, like MySQL's
    /// `rpl_semi_sync_master_timeout`): a write still missing acks after it is acknowledged
    /// anyway and the shard falls back to asynchronous (every waiting write released, new
    /// ones acknowledged at commit) until enough live replicas have received the latest
    /// write, then semi-sync again — both logged (`semi_sync_fallback`,
    /// `semi_sync_recovered`); a shard that knows (failover detection) it has fewer live
    /// replicas than `acks` — a promoted primary whose only replica is the dead old primary —
    /// falls back at once. `semi_sync_timeout = "never"` blocks instead, like PostgreSQL's
    /// `synchronous_standby_names`: writes wait until the replica returns (and acks them),
    /// jamming the callers meanwhile.
    #[schemars(extend("x-default-text" = "`{ mode = \"async\", apply = preset, appliers = preset }`"))]
    pub replication: Option<Replication>,
    /// `hash` (hash of the key modulo the shard count), `range` (equal key ranges), or `{ by
    /// = "consistent", virtual_nodes = 100 }` (a hash ring: changing the shard count moves
    /// few keys).
    #[schemars(extend("x-default-text" = "`{ by = \"hash\" }` (nosql: consistent)"))]
    pub sharding: Option<Sharding>,
    /// `{ at = "5m", shards = 8, rate = "1000/s" }`: change the shard count during the run;
    /// the keys that move are copied at `rate` (a read on the old primary and a write on the
    /// new one each, real load), and served from their old shard until copied. The nodes of
    /// the shards it adds start at `at` and are billed from then on.
    pub reshard: Option<Reshard>,
    /// The data center its primaries stand in.
    #[schemars(extend("x-default-text" = "everywhere"))]
    pub datacenter: Option<Name>,
    /// The host (`[host.*]`) its nodes stand on: their CPU work queues on the host's
    /// cores with that of every other component there.
    #[schemars(extend("x-default-text" = "machines of its own"))]
    pub host: Option<Name>,
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
    /// The keys only `semi_sync` takes (`types::SemiSync`).
    #[schemars(flatten)]
    pub semi_sync: SemiSync,
    /// CPU time to apply one write on a replica (on a speed-1 core): it takes one of the
    /// replica's cores, in turn with its reads.
    #[schemars(extend("x-default-text" = "preset"))]
    pub apply: Option<DurationDist>,
    /// Threads applying writes on each replica.
    #[schemars(range(min = 1, max = 1024), extend("x-default-text" = "preset"))]
    pub appliers: Option<u64>,
    /// The keys declared with replication's type (`types::ReplicationKeys`).
    #[schemars(flatten)]
    pub keys: ReplicationKeys,
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
    Consistent(HashRing),
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

/// `[cache.<name>]`: a cache cluster used by cache-aside steps.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Cache {
    /// The keys declared with the cache's type (`types::CacheKeys`).
    #[schemars(flatten)]
    pub keys: CacheKeys,
    /// The keys it caches (the same as its database's).
    pub keyspace: Name,
    /// Every node's size, a `[size.*]` table or a built-in size (e.g. `r5.large` for a
    /// self-run Redis): each node is billed its `price_per_hour` while it is up, and computes
    /// on `threads` of its cores at its speed. Without a size the cache is unpriced (the run's
    /// cost line lists it) and computes on `threads` cores at speed 1; `capacity` is still
    /// what it holds.
    #[schemars(extend("x-default-text" = "unpriced"))]
    pub size: Option<Name>,
    /// The data center its nodes stand in.
    #[schemars(extend("x-default-text" = "everywhere"))]
    pub datacenter: Option<Name>,
    /// The host (`[host.*]`) its nodes stand on: their CPU work queues on the host's
    /// cores with that of every other component there.
    #[schemars(extend("x-default-text" = "machines of its own"))]
    pub host: Option<Name>,
}
