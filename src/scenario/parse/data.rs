//! Reading the data tier: `[database.*]` (engine presets, replicas,
//! replication, shards), `[keyspace.*]` and `[cache.*]`.

use super::super::diagnostic::Diagnostic;
use super::super::dist::Dist;
use super::super::geo::Placed;
use super::super::reader::{Node, Reader, optional};
use super::super::types::{
    Cache, CacheCapacity, CacheKeys, Database, DatabaseKeys, Engine, HashRing, Keyspace, Popularity,
    ReadFrom, Replication, ReplicationKeys, ReplicationMode, Reshard, SemiSync, Sharding, WarmFrom,
};
use super::components::MAX_WORKERS;
use super::dist::read_duration_dist;
use super::{Cx, RefKind};
use toml::de::DeValue;

/// Most keys a keyspace may have (per-key state is kept for each).
pub const MAX_KEYS: u64 = 10_000_000;
/// Most replicas per shard, shards per database, nodes per cache.
pub const MAX_REPLICAS: u64 = 64;
pub const MAX_SHARDS: u64 = 1_024;
pub const MAX_CACHE_NODES: u64 = 1_024;
pub const MAX_VIRTUAL_NODES: u64 = 1_000;

/// The defaults an engine preset brings.
struct Preset {
    connections: u32,
    read_cpu: Dist,
    write_cpu: Dist,
    read: Dist,
    write: Dist,
    apply: Dist,
    appliers: u32,
    sharding: Sharding,
}

fn lognormal(mean_ms: f64, cv: f64) -> Dist {
    Dist::LogNormal {
        mean: mean_ms * 1e6,
        spread: super::super::dist::LogNormalSpread::Cv(cv),
    }
}

/// The presets' figures, per operation on a speed-1 core (README.md,
/// "Engine presets", states each with its source; override them with your
/// own measurements).
fn preset(engine: Engine) -> Preset {
    match engine {
        // PostgreSQL's default `max_connections` is 100. CPU per point read:
        // about 11 000 indexed point selects/s per hardware thread
        // (sysbench, PostgreSQL 9.6 and MySQL 5.7 at 1.5–1.7 million/s on
        // 144 threads; Percona and Postgres Professional, January 2017),
        // so about 0.1 ms. A single-row write: assumed 4× a read's CPU
        // (index and log maintenance), and a replica applies it for the
        // same. The parts that hold only the connection — a buffer-cache
        // miss reading storage, the commit's log flush — are assumptions
        // of the order of an EBS volume's latency (about 1 ms).
        Engine::Relational => Preset {
            connections: 100,
            read_cpu: lognormal(0.1, 0.5),
            write_cpu: lognormal(0.4, 0.5),
            read: lognormal(0.5, 1.0),
            write: lognormal(1.0, 1.0),
            apply: Dist::Exp { mean: 4e5 },
            appliers: 1,
            sharding: Sharding::Hash,
        },
        // A key-value / wide-column store: many concurrent requests per
        // node, partitions on a hash ring. CPU per operation: Cassandra
        // wrote about 2 900 replica writes/s per vCPU (Netflix, November
        // 2011: 288 four-vCPU nodes, 1.1 million writes/s at replication
        // factor 3) to 4 200 per core (cassandra-user list, May 2011: 4
        // eight-core nodes, 134 000 replica writes/s), so about 0.25 ms; a
        // read is assumed to cost the same, and so is a replica's apply.
        Engine::Nosql => Preset {
            connections: 10_000,
            read_cpu: lognormal(0.25, 0.5),
            write_cpu: lognormal(0.25, 0.5),
            read: lognormal(0.5, 0.5),
            write: lognormal(0.2, 0.5),
            apply: Dist::Exp { mean: 2.5e5 },
            appliers: 4,
            sharding: Sharding::Consistent(HashRing { virtual_nodes: 256 }),
        },
    }
}

pub(crate) fn read_database(cx: &mut Cx, name: String, node: &Node) -> Option<Database> {
    let mut table = cx.reader.table(node)?;
    let keys = DatabaseKeys::read_keys(cx, &mut table);
    let defaults = preset(keys.as_ref().map_or(Engine::Relational, |keys| keys.engine));
    let connections = table
        .get("connections")
        .map(|n| cx.reader.integer(&n, 1, MAX_WORKERS));
    let read = table
        .get("read")
        .map(|n| read_duration_dist(&mut cx.reader, &n, cx.base_dir));
    let write = table
        .get("write")
        .map(|n| read_duration_dist(&mut cx.reader, &n, cx.base_dir));
    let read_cpu = table
        .get("read_cpu")
        .map(|n| read_duration_dist(&mut cx.reader, &n, cx.base_dir));
    let write_cpu = table
        .get("write_cpu")
        .map(|n| read_duration_dist(&mut cx.reader, &n, cx.base_dir));
    let size = table
        .get("size")
        .map(|n| super::read_reference(cx, &n, RefKind::Size).map(|name| cx.names.size(&name)));
    let keyspace = table
        .get("keyspace")
        .map(|n| super::read_reference(cx, &n, RefKind::Keyspace).map(|name| cx.names.keyspace(&name)));
    let read_from = table.get("read_from").map(|n| {
        cx.reader
            .choice(&n, &ReadFrom::NAMES)
            .map(|index| ReadFrom::ALL[index])
    });
    let replication = table
        .get("replication")
        .map(|n| read_replication(cx, &n, &defaults));
    let sharding = table.get("sharding").map(|n| read_sharding(cx, &n));
    let reshard = table.get("reshard").map(|n| Reshard::read(cx, &n));
    let placed = super::geo::read_placement(cx, &mut table, Placed::Database(cx.names.database(&name)));
    let hosted =
        super::super::host::read_host_key(cx, &mut table, Placed::Database(cx.names.database(&name)));
    table.finish(&mut cx.reader);
    placed?;
    hosted?;
    let keys = keys?;
    let (replicas, shards) = (keys.replicas, keys.shards);
    let keyspace = optional(keyspace)?;
    if (shards > 1 || replicas > 0) && keyspace.is_none() {
        let what = if shards > 1 { "sharded" } else { "replicated" };
        cx.reader.push(
            super::super::diagnostic::Diagnostic::error(format!(
                "a {what} database needs a `keyspace`: the keys it holds decide shards and stale reads"
            ))
            .at(node.span.clone())
            .path(format!("{}.keyspace", node.path))
            .help("add `keyspace = \"items\"` and a [keyspace.items] table"),
        );
        return None;
    }
    Some(Database {
        name,
        connections: connections.unwrap_or(Some(defaults.connections as u64))? as u32,
        size: optional(size)?,
        read_cpu: read_cpu.unwrap_or(Some(defaults.read_cpu))?,
        write_cpu: write_cpu.unwrap_or(Some(defaults.write_cpu))?,
        read: read.unwrap_or(Some(defaults.read))?,
        write: write.unwrap_or(Some(defaults.write))?,
        keyspace,
        read_from: read_from.unwrap_or(Some(if replicas > 0 {
            ReadFrom::RoundRobin
        } else {
            ReadFrom::Primary
        }))?,
        replication: replication.unwrap_or(Some(Replication {
            mode: ReplicationMode::Async,
            apply: defaults.apply,
            appliers: defaults.appliers,
            keys: ReplicationKeys::defaults().expect("every key of `ReplicationKeys` has a default"),
        }))?,
        sharding: sharding.unwrap_or(Some(defaults.sharding))?,
        reshard: optional(reshard)?,
        keys,
    })
}

const MODES: [&str; 2] = ["async", "semi_sync"];

fn read_replication(cx: &mut Cx, node: &Node, defaults: &Preset) -> Option<Replication> {
    let mut table = cx.reader.table(node)?;
    let mode = table.get("mode").map(|n| cx.reader.choice(&n, &MODES));
    // Asked for in any mode, so an asynchronous one can say they do not belong.
    let semi_sync = SemiSync::read_keys(cx, &mut table);
    let apply = table
        .get("apply")
        .map(|n| read_duration_dist(&mut cx.reader, &n, cx.base_dir));
    let appliers = table.get("appliers").map(|n| cx.reader.integer(&n, 1, 1024));
    let keys = ReplicationKeys::read_keys(cx, &mut table);
    let semi_sync_keys = ["acks", "semi_sync_timeout"].map(|key| table.get(key));
    table.finish(&mut cx.reader);
    let mode = match mode.unwrap_or(Some(0))? {
        0 => {
            let mut ok = true;
            for node in semi_sync_keys.iter().flatten() {
                let message = format!("`{}` is for `mode = \"semi_sync\"`", node.key());
                cx.reader.invalid(node, message, None);
                ok = false;
            }
            ok.then_some(ReplicationMode::Async)?
        }
        _ => ReplicationMode::SemiSync(semi_sync?),
    };
    Some(Replication {
        mode,
        apply: apply.unwrap_or_else(|| Some(defaults.apply.clone()))?,
        appliers: appliers.unwrap_or(Some(defaults.appliers as u64))? as u32,
        keys: keys?,
    })
}

const SHARDING: [&str; 3] = ["hash", "range", "consistent"];

fn read_sharding(cx: &mut Cx, node: &Node) -> Option<Sharding> {
    let mut table = cx.reader.table(node)?;
    let by = table
        .require(&mut cx.reader, "by", "\"hash\"")
        .and_then(|n| cx.reader.choice(&n, &SHARDING));
    // Asked for whatever `by` says, so `hash` and `range` can refuse it.
    let ring = HashRing::read_keys(cx, &mut table);
    let virtual_nodes = table.get("virtual_nodes");
    table.finish(&mut cx.reader);
    match by? {
        2 => Some(Sharding::Consistent(ring?)),
        index => {
            if let Some(node) = &virtual_nodes {
                cx.reader
                    .invalid(node, "`virtual_nodes` is for `by = \"consistent\"`", None);
                return None;
            }
            Some(if index == 0 {
                Sharding::Hash
            } else {
                Sharding::Range
            })
        }
    }
}

/// `[keyspace.NAME]`: `hot.keys` is checked against `keys` whenever both
/// read, beside any other invalid key.
pub(crate) fn read_keyspace(cx: &mut Cx, name: String, node: &Node) -> Option<Keyspace> {
    let mut table = cx.reader.table(node)?;
    let keyspace = Keyspace::read_partial(cx, &mut table);
    table.finish(&mut cx.reader);
    if let (Some(Some(keys)), Some(Some(hot))) = (keyspace.keys, &keyspace.hot)
        && hot.keys > keys
    {
        cx.reader.invalid(
            node,
            format!("`hot.keys` ({}) exceeds `keys` ({keys})", hot.keys),
            None,
        );
        return None;
    }
    keyspace.complete(name)
}

/// `"uniform"` or `{ zipf = 0.99 }`.
pub(crate) fn read_popularity(reader: &mut Reader, node: &Node) -> Option<Popularity> {
    match node.value {
        DeValue::String(text) if text.as_ref() == "uniform" => Some(Popularity::Uniform),
        DeValue::Table(_) => {
            let mut table = reader.table(node)?;
            let alpha = table
                .require(reader, "zipf", "0.99")
                .and_then(|n| reader.number(&n));
            table.finish(reader);
            let alpha = alpha?;
            if !(0.0..=10.0).contains(&alpha) {
                reader.invalid(
                    node,
                    format!("the Zipf exponent must be from 0 to 10, found {alpha}"),
                    None,
                );
                return None;
            }
            Some(Popularity::Zipf { alpha })
        }
        _ => {
            reader.wrong_type(node, "\"uniform\" or { zipf = ALPHA }", "{ zipf = 0.99 }");
            None
        }
    }
}

const CAPACITY_EXAMPLE: &str = "10000 (entries) or \"1GiB\"";

pub(crate) fn read_cache(cx: &mut Cx, name: String, node: &Node) -> Option<Cache> {
    let mut table = cx.reader.table(node)?;
    let keyspace = table
        .require(&mut cx.reader, "keyspace", "\"items\"")
        .and_then(|n| super::read_reference(cx, &n, RefKind::Keyspace))
        .map(|name| cx.names.keyspace(&name));
    let placed = super::geo::read_placement(cx, &mut table, Placed::Cache(cx.names.cache(&name)));
    let hosted = super::super::host::read_host_key(cx, &mut table, Placed::Cache(cx.names.cache(&name)));
    let size = table
        .get("size")
        .map(|n| super::read_reference(cx, &n, RefKind::Size).map(|name| cx.names.size(&name)));
    let keys = CacheKeys::read_keys(cx, &mut table);
    table.finish(&mut cx.reader);
    if let Some(keys) = &keys
        && keys.stale_while_revalidate.is_some()
        && keys.ttl.is_none()
    {
        cx.reader.push(
            Diagnostic::error("`stale_while_revalidate` needs `ttl`: without a TTL nothing goes stale")
                .at(node.span.clone())
                .path(node.path.clone())
                .help("add a TTL, for example ttl = \"60s\", or remove `stale_while_revalidate`"),
        );
    }
    if let Some(keys) = &keys
        && keys.background_timeout.is_some()
        && keys.stale_while_revalidate.is_none()
        && keys
            .warm_restart
            .is_none_or(|warm| warm.from != WarmFrom::Database)
    {
        cx.reader.push(
            Diagnostic::error(
                "`background_timeout` needs `stale_while_revalidate` or a `warm_restart` from the database: \
                 without them the cache reads nothing in the background",
            )
            .at(node.span.clone())
            .path(node.path.clone())
            .help("add stale_while_revalidate = \"30s\", or remove `background_timeout`"),
        );
    }
    placed?;
    hosted?;
    Some(Cache {
        name,
        keyspace: keyspace?,
        size: super::super::reader::optional(size)?,
        keys: keys?,
    })
}

/// A cache's `capacity`: entries (a number) or bytes (a size string).
pub(crate) fn read_cache_capacity(reader: &mut Reader, node: &Node) -> Option<CacheCapacity> {
    match node.value {
        DeValue::String(_) => reader.size(node).map(CacheCapacity::Bytes),
        DeValue::Integer(_) | DeValue::Float(_) => {
            reader.integer(node, 1, MAX_KEYS).map(CacheCapacity::Entries)
        }
        _ => {
            reader.wrong_type(node, "a number of entries or a size", CAPACITY_EXAMPLE);
            None
        }
    }
}
