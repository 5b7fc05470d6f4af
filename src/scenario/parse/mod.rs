//! Reading the spanned tree into resolved types, section by section.
//!
//! Every reader records diagnostics and returns `None` on trouble, so one
//! pass reports every problem. References between components are collected
//! with their spans and checked afterwards (`check`), when all names are
//! known.

mod cdn;
mod components;
mod data;
pub(crate) mod dist;
mod faults;
mod geo;
mod limits;
mod names;
mod queues;
mod workload;

use std::ops::Range;

use toml::Spanned;
use toml::de::DeTable;

use super::reader::{Node, Reader, TableNode};
use super::types::{Limits, Network, Scenario, ScenarioKeys, Size, Target};
use crate::engine::SimDuration;

pub(crate) use cdn::read_size_distribution;
pub use cdn::{MAX_CDN_DEPLOYS, MAX_CDN_EDGES, MAX_OBJECT_BYTES};
pub(crate) use components::read_queue_capacity;
pub use components::{MAX_CORES, MAX_INSTANCES, MAX_QUEUE_CAPACITY, MAX_STEP_DEPTH, MAX_WORKERS};
pub use data::{MAX_CACHE_NODES, MAX_KEYS, MAX_REPLICAS, MAX_SHARDS, MAX_VIRTUAL_NODES};
pub(crate) use data::{read_cache_capacity, read_popularity};
pub use dist::{CV_RANGE, MAX_EMPIRICAL_SAMPLES, MAX_SAMPLE_FILE_BYTES};
pub(crate) use faults::{
    FaultSpec, FaultUse, NOT_IN_A_DRILL, drill_example, parse_target as parse_fault_target, read_fault_keys,
};
pub use geo::MAX_REGIONS;
pub use names::{FORMULA_STARTS, MAX_CLASSES, MAX_COMPONENTS, formula_start};
pub use queues::{MAX_DELIVERIES, MAX_QUEUE_MESSAGES};
pub use workload::{MAX_CLOSED_USERS, MAX_RETRIES, MAX_USERS};

/// Most windows a run may have (the time series is kept in memory).
pub const MAX_WINDOWS: u64 = 100_000;

/// What a name in the scenario must refer to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RefKind {
    /// `pool.<p>.size`: a size.
    Size,
    /// `balancer.<b>.pool`: a pool.
    Pool,
    /// `dns.<d>.target`: a balancer or pool.
    DnsTarget,
    /// `workload.mix[i].call`: a DNS name, balancer or pool, and an endpoint.
    Entry,
    /// `{ call = ... }` in endpoint `from` (pool, endpoint).
    Call { from: (String, String) },
    /// `{ read = ... }` or `{ write = ... }`: a database.
    Database,
    /// A keyspace (a class's `key`, a database's or cache's `keyspace`).
    Keyspace,
    /// A cache in a read or write step on `database`.
    Cache { database: String },
    /// What a fault hits.
    FaultTarget(FaultSpec),
    /// `datacenter.<d>.region`, a link's end: a region.
    Region,
    /// A component's `datacenter`: a data center.
    Datacenter,
    /// A CDN's `origin = "component/endpoint"`: a DNS name, balancer or pool.
    Origin,
    /// An `[slo]` objective's scope, for its metric.
    SloScope {
        metric: &'static crate::metrics::catalog::Metric,
    },
    /// `{ enqueue = ... }`: a queue.
    Queue,
    /// `queue.<q>.consumer`: a pool (not a balancer or DNS name) and an endpoint.
    Consumer,
    /// A pool's, database's or cache's `host`: a host.
    Host,
}

/// A name to check once every component is known.
#[derive(Clone, Debug)]
pub(crate) struct Reference {
    pub kind: RefKind,
    pub name: String,
    pub endpoint: Option<String>,
    pub span: Range<usize>,
    pub path: String,
}

/// A name declared by a table key, recorded even when its contents fail to
/// read, so references can be checked in the same pass as everything else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Declared {
    /// `size`, `dns`, `balancer`, `pool`, `database`, or `endpoint`.
    pub kind: &'static str,
    /// The name; for an endpoint, `pool/endpoint`.
    pub name: String,
}

/// The state of one read: diagnostics, references, where relative files are.
pub(crate) struct Cx<'a> {
    pub reader: Reader,
    pub references: Vec<Reference>,
    pub declared: Vec<Declared>,
    /// Where relative files are, and which files may be read.
    pub base_dir: &'a super::files::BaseDir,
    /// Placements and geoDNS details, collected while components are read.
    pub geo: super::geo::Geo,
    /// The id each declared name resolves to.
    pub names: names::Names,
    /// Components with a `host` key, and that host.
    pub host_placements: Vec<(super::geo::Placed, super::ids::HostId)>,
    /// The run's `duration` and `warmup`, once `[scenario]` has been read
    /// (it is read first), for the checks of when faults and drills
    /// strike; `None` when it did not read.
    pub run_times: Option<RunTimes>,
}

/// When a run ends and when its results start: what a fault's time is
/// checked against.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunTimes {
    pub duration: SimDuration,
    pub warmup: SimDuration,
}

/// Component and class names: letters, digits, `_`, `-` and `.` — no `/`
/// (it separates component and endpoint) and no spaces — not starting with
/// `-` (`names::FORMULA_STARTS`).
pub(crate) fn valid_name(reader: &mut Reader, name: &str, node: &Node) -> bool {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok {
        reader.invalid(
            node,
            format!("`{name}` is not a valid name"),
            Some("names use letters, digits, `_`, `-` and `.`, at most 64 characters".to_owned()),
        );
    } else if let Some(first) = names::formula_start(name) {
        reader.invalid(
            node,
            format!("`{name}` starts with `{first}`, which a spreadsheet reads as a formula"),
            Some("names are cells of the CSV outputs: start it with a letter, digit, `_` or `.`".to_owned()),
        );
        return false;
    }
    ok
}

pub(crate) fn read_name(reader: &mut Reader, node: &Node) -> Option<String> {
    let name = reader.string(node)?;
    valid_name(reader, name, node).then(|| name.to_owned())
}

/// A component name whose meaning is checked later.
pub(crate) fn read_reference(cx: &mut Cx, node: &Node, kind: RefKind) -> Option<String> {
    let name = read_name(&mut cx.reader, node)?;
    cx.references.push(Reference {
        kind,
        name: name.clone(),
        endpoint: None,
        span: node.span.clone(),
        path: node.path.clone(),
    });
    Some(name)
}

/// `"component/endpoint"`.
pub(crate) fn read_target(cx: &mut Cx, node: &Node, kind: RefKind) -> Option<Target> {
    let text = cx.reader.string(node)?;
    let Some((component, endpoint)) = text.split_once('/') else {
        cx.reader.invalid(
            node,
            format!("`{text}` does not name an endpoint"),
            Some(format!("write `component/endpoint`, for example \"{text}/home\"")),
        );
        return None;
    };
    for part in [component, endpoint] {
        if !valid_name(&mut cx.reader, part, node) {
            return None;
        }
    }
    cx.references.push(Reference {
        kind,
        name: component.to_owned(),
        endpoint: Some(endpoint.to_owned()),
        span: node.span.clone(),
        path: node.path.clone(),
    });
    Some(cx.names.target(component, endpoint))
}

/// A size anyone can name without defining it.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinSize {
    pub name: &'static str,
    pub cores: u32,
    pub memory_gib: u64,
    pub price_per_hour: f64,
}

const fn builtin(name: &'static str, cores: u32, memory_gib: u64, price_per_hour: f64) -> BuiltinSize {
    BuiltinSize {
        name,
        cores,
        memory_gib,
        price_per_hour,
    }
}

/// Built-in sizes, speed 1.0 each (so scaling up adds cores, not speed).
/// General-purpose cloud instances (`m5`, `c5`, `r5`: EC2 shapes, with
/// illustrative on-demand prices in US dollars per hour), then managed
/// database classes (`db.m5`, `db.r5`: Amazon RDS shapes — vCPUs and memory
/// as AWS lists them — with approximate on-demand list prices of RDS for
/// MySQL, Single-AZ, us-east-1, as published in 2023–2024; not checked
/// against today's price list, see <https://aws.amazon.com/rds/pricing/>;
/// RDS for PostgreSQL lists about 4 % more). The `db.` classes run on the
/// same Xeon generation as `m5`, hence speed 1.0 too.
pub const BUILTIN_SIZES: &[BuiltinSize] = &[
    builtin("m5.large", 2, 8, 0.096),
    builtin("m5.xlarge", 4, 16, 0.192),
    builtin("m5.2xlarge", 8, 32, 0.384),
    builtin("m5.4xlarge", 16, 64, 0.768),
    builtin("m5.8xlarge", 32, 128, 1.536),
    builtin("m5.16xlarge", 64, 256, 3.072),
    builtin("c5.large", 2, 4, 0.085),
    builtin("c5.xlarge", 4, 8, 0.17),
    builtin("c5.2xlarge", 8, 16, 0.34),
    builtin("c5.4xlarge", 16, 32, 0.68),
    builtin("r5.large", 2, 16, 0.126),
    builtin("r5.xlarge", 4, 32, 0.252),
    builtin("db.m5.large", 2, 8, 0.171),
    builtin("db.m5.xlarge", 4, 16, 0.342),
    builtin("db.m5.2xlarge", 8, 32, 0.684),
    builtin("db.m5.4xlarge", 16, 64, 1.368),
    builtin("db.m5.8xlarge", 32, 128, 2.736),
    builtin("db.r5.large", 2, 16, 0.24),
    builtin("db.r5.xlarge", 4, 32, 0.48),
    builtin("db.r5.2xlarge", 8, 64, 0.96),
    builtin("db.r5.4xlarge", 16, 128, 1.92),
];

pub fn builtin_size(name: &str) -> Option<Size> {
    BUILTIN_SIZES
        .iter()
        .find(|builtin| builtin.name == name)
        .map(|builtin| Size {
            name: builtin.name.to_owned(),
            cores: builtin.cores,
            speed: 1.0,
            price_per_hour: builtin.price_per_hour,
            memory: Some(builtin.memory_gib << 30),
        })
}

/// Reads the whole scenario. `default_name` names it when `[scenario]` does not.
pub(crate) fn read_scenario(cx: &mut Cx, tree: &Spanned<DeTable>, default_name: &str) -> Option<Scenario> {
    // Too many classes or components: said at once, nothing else read.
    if names::check_counts(tree.get_ref(), &mut cx.reader.diagnostics) {
        return None;
    }
    cx.names = names::Names::new(tree.get_ref());
    let mut root = TableNode::new(tree.get_ref(), tree.span(), String::new());
    let limits = root.get("limits").map(|node| Limits::read(cx, &node));
    let max_duration = match &limits {
        Some(Some(limits)) => limits.max_duration,
        _ => Limits::default().max_duration,
    };
    let meta = root
        .require_section(&mut cx.reader, "scenario", "duration = \"10m\"")
        .and_then(|node| read_meta(cx, &node, default_name, max_duration));
    cx.run_times = meta.as_ref().map(|meta| RunTimes {
        duration: meta.keys.duration,
        warmup: meta.keys.warmup,
    });
    let workload_node = root.require_section(
        &mut cx.reader,
        "workload",
        "arrivals = { kind = \"open\", rate = \"100/s\" }\nmix = [{ class = \"home\", call = \"web/home\" }]",
    );
    let workload = workload_node
        .as_ref()
        .and_then(|node| workload::read_workload(cx, node));
    let network = root
        .get("network")
        .map(|node| components::read_network(cx, &node));
    let hosts = root
        .get("host")
        .map(|node| components::read_named(cx, &node, "host", super::host::Host::read))
        .unwrap_or_default();
    let sizes = root
        .get("size")
        .map(|node| components::read_named(cx, &node, "size", Size::read))
        .unwrap_or_default();
    let dns = root
        .get("dns")
        .map(|node| components::read_named(cx, &node, "dns", components::read_dns))
        .unwrap_or_default();
    let balancers = root
        .get("balancer")
        .map(|node| components::read_named(cx, &node, "balancer", components::read_balancer))
        .unwrap_or_default();
    let pools = root
        .get("pool")
        .map(|node| components::read_named(cx, &node, "pool", components::read_pool))
        .unwrap_or_default();
    let databases = root
        .get("database")
        .map(|node| components::read_named(cx, &node, "database", data::read_database))
        .unwrap_or_default();
    let keyspaces = root
        .get("keyspace")
        .map(|node| components::read_named(cx, &node, "keyspace", data::read_keyspace))
        .unwrap_or_default();
    let caches = root
        .get("cache")
        .map(|node| components::read_named(cx, &node, "cache", data::read_cache))
        .unwrap_or_default();
    let regions_node = root.get("region");
    let regions = regions_node
        .as_ref()
        .map(|node| components::read_named(cx, node, "region", super::geo::Region::read))
        .unwrap_or_default();
    let datacenters = root
        .get("datacenter")
        .map(|node| components::read_named(cx, &node, "datacenter", geo::read_datacenter))
        .unwrap_or_default();
    geo::check_sizes(cx, &regions, &datacenters, regions_node.as_ref());
    let cdns = root
        .get("cdn")
        .map(|node| components::read_named(cx, &node, "cdn", cdn::read_cdn))
        .unwrap_or_default();
    let queues = root
        .get("queue")
        .map(|node| components::read_named(cx, &node, "queue", queues::read_queue))
        .unwrap_or_default();
    let faults = root.get("faults").map(|node| faults::read_faults(cx, &node));
    let recovery = root
        .get("recovery")
        .map(|node| super::types::Recovery::read(cx, &node));
    let slo = root.get("slo").map(|node| super::types::Slos::read(cx, &node));
    let plan = root
        .get("plan")
        .map(|node| super::types::PlanTable::read(cx, &node));
    root.finish(&mut cx.reader);
    let meta = meta?;
    let scenario = Scenario {
        keys: meta.keys,
        name: meta.name,
        window: meta.window,
        limits: limits.unwrap_or(Some(Limits::default()))?,
        workload: workload?,
        network: network.unwrap_or(Some(Network::default()))?,
        sizes: sizes.into(),
        dns: dns.into(),
        balancers: balancers.into(),
        pools: pools.into(),
        databases: databases.into(),
        keyspaces: keyspaces.into(),
        caches: caches.into(),
        faults: faults.unwrap_or(Some(Vec::new()))?,
        recovery: recovery.unwrap_or(Some(super::types::Recovery::default()))?,
        geo: super::geo::Geo {
            regions: regions.into(),
            datacenters: datacenters.into(),
            ..std::mem::take(&mut cx.geo)
        },
        cdns: cdns.into(),
        queues: queues.into(),
        slo: slo.unwrap_or(Some(super::types::Slos::default()))?,
        plan: plan.unwrap_or(Some(super::types::PlanTable::default()))?,
        hosts: super::host::Hosts {
            hosts: hosts.into(),
            placements: std::mem::take(&mut cx.host_placements),
        },
    };
    limits::check_event_budget(cx, &scenario, workload_node.as_ref()?);
    Some(scenario)
}

/// `[scenario]`: its plain keys, and `name` and `window`, whose defaults
/// come from the file name and `duration`.
struct Meta {
    keys: ScenarioKeys,
    name: String,
    window: SimDuration,
}

fn read_meta(cx: &mut Cx, node: &Node, default_name: &str, max_duration: SimDuration) -> Option<Meta> {
    let mut table = cx.reader.table(node)?;
    let name = table.get("name").map(|n| cx.reader.string(&n).map(str::to_owned));
    // Each key on its own, so the rules between the times are checked
    // even when, say, the seed is invalid.
    let keys = ScenarioKeys::read_partial(cx, &mut table);
    let duration_node = table.get("duration");
    let warmup_node = table.get("warmup");
    let window_node = table.get("window");
    let window = window_node.as_ref().map(|n| cx.reader.positive_duration(n));
    table.finish(&mut cx.reader);
    let reader = &mut cx.reader;
    let duration = keys.duration?;
    let warmup = keys.warmup?;
    if warmup >= duration {
        reader.invalid(
            warmup_node.as_ref()?,
            format!("`warmup` ({warmup}) must be shorter than `duration` ({duration})"),
            None,
        );
        return None;
    }
    let window = window.unwrap_or(Some(SimDuration::from_secs(10).min(duration)))?;
    if window > duration {
        reader.invalid(
            window_node.as_ref()?,
            format!("`window` ({window}) is longer than `duration` ({duration})"),
            None,
        );
        return None;
    }
    if warmup.as_nanos() % window.as_nanos() != 0 {
        reader.invalid(
            warmup_node.as_ref().or(window_node.as_ref())?,
            format!("`warmup` ({warmup}) is not a whole number of windows ({window})"),
            Some(
                "results after warm-up are merged window by window; make `warmup` a multiple of `window`"
                    .to_owned(),
            ),
        );
        return None;
    }
    if duration > max_duration {
        reader.invalid(
            duration_node.as_ref()?,
            format!("`duration` ({duration}) is longer than `limits.max_duration` ({max_duration})"),
            Some(
                "a run this long takes hours and its events.csv grows with it; shorten `duration`, \
                 or raise `max_duration` under `[limits]` if you mean it"
                    .to_owned(),
            ),
        );
        return None;
    }
    if duration.as_nanos() / window.as_nanos() > MAX_WINDOWS {
        reader.invalid(
            window_node.as_ref().or(duration_node.as_ref())?,
            format!("{duration} in windows of {window} is more than {MAX_WINDOWS} windows"),
            Some("use a longer `window`".to_owned()),
        );
        return None;
    }
    Some(Meta {
        keys: keys.complete()?,
        name: name.unwrap_or_else(|| Some(default_name.to_owned()))?,
        window,
    })
}

#[cfg(test)]
mod builtin_size_tests {
    use super::*;

    #[test]
    fn built_in_sizes_have_unique_names_and_their_shapes() {
        for (index, size) in BUILTIN_SIZES.iter().enumerate() {
            assert!(
                BUILTIN_SIZES[..index].iter().all(|other| other.name != size.name),
                "{} listed twice",
                size.name
            );
            assert!(size.cores >= 2 && size.memory_gib >= 4 && size.price_per_hour > 0.0);
        }
        let database = builtin_size("db.m5.large").expect("a managed database class");
        assert_eq!((database.cores, database.speed), (2, 1.0));
        assert_eq!(database.memory, Some(8 << 30));
        assert_eq!(database.price_per_hour, 0.171);
        assert!(builtin_size("db.m5.huge").is_none());
    }
}
