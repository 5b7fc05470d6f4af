//! Writes a resolved scenario back as TOML in the input format, every
//! default explicit, so a run's folder reproduces the run on its own
//! (`capsim run out/scenario.resolved.toml`). Loading the dump gives back an
//! equal `Scenario`; a test checks that for every shipped scenario.
//!
//! In an output folder (`resolved`), an empirical distribution of more
//! than `INLINE_SAMPLES` samples is written to a side file beside the
//! TOML, which names it (`file = "scenario.resolved.samples-1.csv"`), so
//! the TOML stays within what the loader reads (`bounds::MAX_FILE_BYTES`)
//! however many samples there are; `check_rerunnable` refuses, at load
//! time, a scenario whose resolved TOML would not.

use std::cell::RefCell;
use std::fmt::Write;

use super::dist::{Dist, LogNormalSpread};
use super::geo::Placed;
use super::section::DistOut as _;
use super::types::{
    Arrivals, Cache, Cdn, CdnEdges, Database, DeployMode, Fault, FaultAction, FaultTime, Keyspace, OpenRate,
    Pool, ReplicationMode, Scenario, Sharding, Step,
};
use super::units::{format_duration, format_rate, format_size};
use crate::engine::SimDuration;

/// The resolved scenario's name in an output folder.
pub const RESOLVED_FILE: &str = "scenario.resolved.toml";

/// Most samples of an empirical distribution the resolved TOML holds
/// inline; a longer list goes to a side file.
pub const INLINE_SAMPLES: usize = 100;

/// The name of the `index`th (from 1) side file of samples.
pub fn side_file_name(index: usize) -> String {
    format!("scenario.resolved.samples-{index}.csv")
}

/// Whether `name` is a side file's name.
pub fn is_side_file_name(name: &str) -> bool {
    name.strip_prefix("scenario.resolved.samples-")
        .and_then(|rest| rest.strip_suffix(".csv"))
        .is_some_and(|index| !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()))
}

/// The resolved scenario as the files of an output folder: the TOML and
/// the side files of samples it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub toml: String,
    pub side_files: Vec<SideFile>,
}

/// Samples in whole nanoseconds, one per line, no header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The resolved scenario, long sample lists in side files.
pub fn resolved(scenario: &Scenario) -> Resolved {
    let mut out = Out::new(true);
    write_scenario(&mut out, scenario);
    let side_files = out
        .dists
        .side
        .into_inner()
        .iter()
        .enumerate()
        .map(|(index, samples)| SideFile {
            name: side_file_name(index + 1),
            bytes: side_file_bytes(samples),
        })
        .collect();
    Resolved {
        toml: out.text,
        side_files,
    }
}

fn side_file_bytes(samples: &[f64]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(samples.len() * 8);
    for sample in samples {
        // Whole nanoseconds, as inline (`dist`).
        bytes.extend_from_slice((*sample as u64).to_string().as_bytes());
        bytes.push(b'\n');
    }
    bytes
}

/// An error when the resolved TOML of `scenario` would be larger than a
/// scenario file may be, so `scenario.resolved.toml` could not be run again.
pub fn check_rerunnable(scenario: &Scenario) -> Option<super::Diagnostic> {
    let mut out = Out::new(true);
    write_scenario(&mut out, scenario);
    let limit = super::bounds::MAX_FILE_BYTES;
    (out.text.len() as u64 > limit).then(|| {
        super::Diagnostic::error(format!(
            "written out in full (every default explicit), this scenario is {} bytes, more than the \
             {} MiB a scenario file may be: its scenario.resolved.toml could not be run again",
            out.text.len(),
            limit >> 20
        ))
        .help("use fewer components or steps, or split the system into several scenarios")
    })
}

/// The text being written and, when long sample lists go to side files
/// (`use_side_files`), those lists, each once, in the order first met.
struct Out<'a> {
    text: String,
    dists: Dists<'a>,
}

impl<'a> Out<'a> {
    fn new(use_side_files: bool) -> Self {
        Out {
            text: String::new(),
            dists: Dists {
                side: RefCell::new(Vec::new()),
                use_side_files,
            },
        }
    }

    /// A distribution, its samples in a side file when they are many.
    fn dist(&self, d: &'a Dist) -> String {
        self.dists.dist(d)
    }
}

/// How distributions are written: inline, or (`use_side_files`) the
/// samples of a long empirical one in a side file, each list once, in the
/// order first met.
struct Dists<'a> {
    side: RefCell<Vec<&'a [f64]>>,
    use_side_files: bool,
}

impl<'a> super::section::DistOut<'a> for Dists<'a> {
    fn dist(&self, d: &'a Dist) -> String {
        match d {
            Dist::Empirical { samples } if self.use_side_files && samples.len() > INLINE_SAMPLES => {
                let mut side = self.side.borrow_mut();
                let index = match side.iter().position(|known| *known == samples.as_slice()) {
                    Some(index) => index,
                    None => {
                        side.push(samples);
                        side.len() - 1
                    }
                };
                format!(
                    "{{ dist = \"{}\", file = {}, unit = \"ns\" }}",
                    d.kind(),
                    string(&side_file_name(index + 1))
                )
            }
            _ => dist(d),
        }
    }
}

impl Write for Out<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.text.push_str(text);
        Ok(())
    }
}

/// A TOML string literal.
fn string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// A name as a TOML key: bare when it can be, quoted otherwise.
pub fn key(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        name.to_owned()
    } else {
        string(name)
    }
}

/// A float that reads back to the same bits.
pub(crate) fn float(value: f64) -> String {
    format!("{value:?}")
}

fn duration(value: SimDuration) -> String {
    string(&format_duration(value))
}

/// A duration parameter in (whole) nanoseconds.
fn nanos(value: f64) -> String {
    duration(SimDuration::from_nanos_f64(value))
}

pub fn dist(dist: &Dist) -> String {
    let kind = dist.kind();
    match dist {
        Dist::Const { value } => format!("{{ dist = \"{kind}\", value = {} }}", nanos(*value)),
        Dist::Exp { mean } => format!("{{ dist = \"{kind}\", mean = {} }}", nanos(*mean)),
        Dist::Uniform { min, max } => {
            format!(
                "{{ dist = \"{kind}\", min = {}, max = {} }}",
                nanos(*min),
                nanos(*max)
            )
        }
        Dist::Normal { mean, sd } => {
            format!(
                "{{ dist = \"{kind}\", mean = {}, sd = {} }}",
                nanos(*mean),
                nanos(*sd)
            )
        }
        Dist::LogNormal { mean, spread } => match spread {
            LogNormalSpread::Cv(cv) => {
                format!(
                    "{{ dist = \"{kind}\", mean = {}, cv = {} }}",
                    nanos(*mean),
                    float(*cv)
                )
            }
            LogNormalSpread::P99(p99) => {
                format!(
                    "{{ dist = \"{kind}\", mean = {}, p99 = {} }}",
                    nanos(*mean),
                    nanos(*p99)
                )
            }
        },
        Dist::Gamma { mean, cv } => {
            format!(
                "{{ dist = \"{kind}\", mean = {}, cv = {} }}",
                nanos(*mean),
                float(*cv)
            )
        }
        Dist::Pareto { min, alpha } => {
            format!(
                "{{ dist = \"{kind}\", min = {}, alpha = {} }}",
                nanos(*min),
                float(*alpha)
            )
        }
        Dist::Empirical { samples } => {
            let values: Vec<String> = samples.iter().map(|s| format!("{}", *s as u64)).collect();
            format!(
                "{{ dist = \"{kind}\", unit = \"ns\", samples = [{}] }}",
                values.join(", ")
            )
        }
    }
}

fn step<'a>(o: &Out<'a>, s: &Scenario, step: &'a Step) -> String {
    match step {
        Step::Compute(d) => format!("{{ compute = {} }}", o.dist(d)),
        Step::Delay(d) => format!("{{ delay = {} }}", o.dist(d)),
        Step::Call { target, keys } => {
            let mut lines = format!("call = {}\n", string(&s.target_text(*target)));
            keys.dump_keys(&mut lines);
            super::section::inline_table(&lines)
        }
        Step::Read {
            database,
            cache,
            keys,
        }
        | Step::Write {
            database,
            cache,
            keys,
        } => {
            let operation = if matches!(step, Step::Read { .. }) {
                "read"
            } else {
                "write"
            };
            let mut lines = format!("{operation} = {}\n", string(&s.databases[*database].name));
            keys.dump_keys_with(&mut lines, &o.dists);
            if let Some(cache) = cache {
                writeln!(lines, "cache = {}", string(&s.caches[*cache].name)).unwrap();
            }
            super::section::inline_table(&lines)
        }
        Step::Parallel(branches) => {
            let branches: Vec<String> = branches.iter().map(|branch| steps_inline(o, s, branch)).collect();
            format!("{{ parallel = [{}] }}", branches.join(", "))
        }
        Step::Maybe { keys, steps } => {
            let mut lines = String::new();
            keys.dump_keys(&mut lines);
            writeln!(lines, "steps = {}", steps_inline(o, s, steps)).unwrap();
            super::section::inline_table(&lines)
        }
        Step::Enqueue(queue) => format!("{{ enqueue = {} }}", string(&s.queues[*queue].name)),
    }
}

fn steps_inline<'a>(o: &Out<'a>, s: &Scenario, steps: &'a [Step]) -> String {
    let items: Vec<String> = steps.iter().map(|item| step(o, s, item)).collect();
    format!("[{}]", items.join(", "))
}

/// The scenario as TOML text, every sample inline.
pub fn to_toml(scenario: &Scenario) -> String {
    let mut out = Out::new(false);
    write_scenario(&mut out, scenario);
    out.text
}

fn write_scenario<'a>(o: &mut Out<'a>, scenario: &'a Scenario) {
    writeln!(
        o,
        "# The scenario exactly as simulated: defaults applied, overrides merged."
    )
    .unwrap();
    writeln!(
        o,
        "# Written by capsim {}; run it again with `capsim run <this file>`.",
        env!("CARGO_PKG_VERSION")
    )
    .unwrap();
    writeln!(o, "\n[scenario]").unwrap();
    writeln!(o, "name = {}", string(&scenario.name)).unwrap();
    scenario.keys.dump_keys(&mut o.text);
    writeln!(o, "window = {}", duration(scenario.window)).unwrap();

    writeln!(o, "\n[limits]").unwrap();
    scenario.limits.dump_keys(&mut o.text);

    write_workload(o, scenario);

    writeln!(o, "\n[network]").unwrap();
    scenario.network.dump_keys_with(&mut o.text, &o.dists);
    super::dump_geo::write_links(&mut o.text, &scenario.geo);
    super::dump_geo::write_places(&mut o.text, &scenario.geo);

    for size in &scenario.sizes {
        writeln!(o, "\n[size.{}]", key(&size.name)).unwrap();
        size.dump_keys(&mut o.text);
    }
    for host in &scenario.hosts.hosts {
        writeln!(o, "\n[host.{}]", key(&host.name)).unwrap();
        host.dump_keys(&mut o.text);
    }
    for (id, dns) in scenario.dns.iter_enumerated() {
        writeln!(o, "\n[dns.{}]", key(&dns.name)).unwrap();
        dns.keys.dump_keys_with(&mut o.text, &o.dists);
        super::dump_geo::write_dns_targets(&mut o.text, scenario, id, dns);
    }
    for (id, balancer) in scenario.balancers.iter_enumerated() {
        writeln!(o, "\n[balancer.{}]", key(&balancer.name)).unwrap();
        writeln!(o, "pool = {}", string(&scenario.pools[balancer.pool].name)).unwrap();
        super::dump_geo::write_placement(&mut o.text, &scenario.geo, Placed::Balancer(id));
        if let Some(sticky) = &balancer.sticky {
            writeln!(o, "sticky = true").unwrap();
            writeln!(o, "session_ttl = {}", duration(sticky.session_ttl)).unwrap();
        }
        balancer.keys.dump_keys_with(&mut o.text, &o.dists);
    }
    for (id, pool) in scenario.pools.iter_enumerated() {
        write_pool(o, scenario, id, pool);
    }
    for (id, database) in scenario.databases.iter_enumerated() {
        write_database(o, scenario, database);
        super::dump_geo::write_placement(&mut o.text, &scenario.geo, Placed::Database(id));
        write_host(o, scenario, Placed::Database(id));
    }
    for keyspace in &scenario.keyspaces {
        write_keyspace(o, keyspace);
    }
    for (id, cache) in scenario.caches.iter_enumerated() {
        write_cache(o, scenario, cache);
        super::dump_geo::write_placement(&mut o.text, &scenario.geo, Placed::Cache(id));
        write_host(o, scenario, Placed::Cache(id));
    }
    for cdn in &scenario.cdns {
        write_cdn(o, scenario, cdn);
        super::cdn_regions::write_serving(&mut o.text, scenario, cdn);
    }
    for queue in &scenario.queues {
        writeln!(o, "\n[queue.{}]", key(&queue.name)).unwrap();
        queue.keys.dump_keys_with(&mut o.text, &o.dists);
        writeln!(o, "consumer = {}", string(&scenario.target_text(queue.consumer))).unwrap();
        if let Some(dead_letter) = queue.dead_letter {
            writeln!(o, "dead_letter = {}", string(&scenario.queues[dead_letter].name)).unwrap();
        }
    }
    for fault in &scenario.faults {
        write_fault(o, scenario, fault);
    }
    let recovery = &scenario.recovery;
    writeln!(o, "\n[recovery]").unwrap();
    recovery.dump_keys(&mut o.text);
    // Written only when there are objectives, so a scenario without them
    // resolves as before.
    if !scenario.slo.objectives.is_empty() {
        writeln!(o, "\n[slo]").unwrap();
        scenario.slo.dump_keys(&mut o.text);
    }
    if scenario.plan != super::types::PlanTable::default() {
        writeln!(o, "\n[plan]").unwrap();
        scenario.plan.dump_keys(&mut o.text);
    }
}

fn write_fault<'a>(o: &mut Out<'a>, s: &Scenario, fault: &'a Fault) {
    writeln!(o, "\n[[faults]]").unwrap();
    let target = string(&s.fault_target_text(&fault.target));
    match fault.action {
        FaultAction::Partition => {
            if let super::types::FaultTarget::Partition { a, b } = fault.target {
                let name = |dc: super::ids::DatacenterId| string(&s.geo.datacenters[dc].name);
                writeln!(o, "partition = [{}, {}]", name(a), name(b)).unwrap();
            }
        }
        FaultAction::Kill(keys) => {
            writeln!(o, "kill = {target}").unwrap();
            keys.dump_keys(&mut o.text);
        }
        FaultAction::Restore => writeln!(o, "restore = {target}").unwrap(),
        FaultAction::Slow(keys) => {
            writeln!(o, "slow = {target}").unwrap();
            keys.dump_keys(&mut o.text);
        }
    }
    match &fault.when {
        FaultTime::At { at, lasting } => {
            writeln!(o, "at = {}", duration(*at)).unwrap();
            if let Some(lasting) = lasting {
                writeln!(o, "for = {}", duration(*lasting)).unwrap();
            }
        }
        // A constant time between failures is a periodic fault: `every`
        // (a plain `mtbf` reads as the mean of an exponential).
        FaultTime::Random {
            mtbf: Dist::Const { value },
            mttr,
        } => {
            writeln!(o, "every = {}", duration(SimDuration::from_nanos_f64(*value))).unwrap();
            writeln!(o, "mttr = {}", o.dist(mttr)).unwrap();
        }
        FaultTime::Random { mtbf, mttr } => {
            writeln!(o, "mtbf = {}", o.dist(mtbf)).unwrap();
            writeln!(o, "mttr = {}", o.dist(mttr)).unwrap();
        }
    }
}

/// A component's `host`, if it stands on one.
fn write_host(o: &mut Out, s: &Scenario, component: Placed) {
    if let Some(host) = s.hosts.of(component) {
        writeln!(o, "host = {}", string(&s.hosts.hosts[host].name)).unwrap();
    }
}

fn write_database<'a>(o: &mut Out<'a>, s: &Scenario, database: &'a Database) {
    writeln!(o, "\n[database.{}]", key(&database.name)).unwrap();
    database.keys.dump_keys_with(&mut o.text, &o.dists);
    writeln!(o, "connections = {}", database.connections).unwrap();
    if let Some(size) = database.size {
        writeln!(o, "size = {}", string(&s.sizes[size].name)).unwrap();
    }
    writeln!(o, "read_cpu = {}", o.dist(&database.read_cpu)).unwrap();
    writeln!(o, "write_cpu = {}", o.dist(&database.write_cpu)).unwrap();
    writeln!(o, "read = {}", o.dist(&database.read)).unwrap();
    writeln!(o, "write = {}", o.dist(&database.write)).unwrap();
    if let Some(keyspace) = database.keyspace {
        writeln!(o, "keyspace = {}", string(&s.keyspaces[keyspace].name)).unwrap();
    }
    writeln!(o, "read_from = {}", string(database.read_from.name())).unwrap();
    let replication = &database.replication;
    let mut lines = String::new();
    match &replication.mode {
        ReplicationMode::Async => lines.push_str("mode = \"async\"\n"),
        ReplicationMode::SemiSync(semi_sync) => {
            lines.push_str("mode = \"semi_sync\"\n");
            semi_sync.dump_keys(&mut lines);
        }
    }
    writeln!(lines, "apply = {}", o.dist(&replication.apply)).unwrap();
    writeln!(lines, "appliers = {}", replication.appliers).unwrap();
    replication.keys.dump_keys_with(&mut lines, &o.dists);
    writeln!(o, "replication = {}", super::section::inline_table(&lines)).unwrap();
    let sharding = match &database.sharding {
        Sharding::Hash => "by = \"hash\"\n".to_owned(),
        Sharding::Range => "by = \"range\"\n".to_owned(),
        Sharding::Consistent(ring) => {
            let mut lines = "by = \"consistent\"\n".to_owned();
            ring.dump_keys(&mut lines);
            lines
        }
    };
    writeln!(o, "sharding = {}", super::section::inline_table(&sharding)).unwrap();
    if let Some(reshard) = &database.reshard {
        writeln!(o, "reshard = {}", reshard.dump_inline()).unwrap();
    }
}

fn write_keyspace<'a>(o: &mut Out<'a>, keyspace: &'a Keyspace) {
    writeln!(o, "\n[keyspace.{}]", key(&keyspace.name)).unwrap();
    keyspace.dump_keys_with(&mut o.text, &o.dists);
}

/// A size parameter in (whole) bytes.
fn bytes(value: f64) -> String {
    string(&format_size(value as u64))
}

/// An object size: a size, or a distribution of sizes in bytes.
pub(crate) fn size_dist(dist: &Dist) -> String {
    let kind = dist.kind();
    match dist {
        Dist::Const { value } => bytes(*value),
        Dist::Exp { mean } => format!("{{ dist = \"{kind}\", mean = {} }}", bytes(*mean)),
        Dist::Uniform { min, max } => format!(
            "{{ dist = \"{kind}\", min = {}, max = {} }}",
            bytes(*min),
            bytes(*max)
        ),
        Dist::LogNormal {
            mean,
            spread: LogNormalSpread::Cv(cv),
        } => format!(
            "{{ dist = \"{kind}\", mean = {}, cv = {} }}",
            bytes(*mean),
            float(*cv)
        ),
        Dist::Pareto { min, alpha } => format!(
            "{{ dist = \"{kind}\", min = {}, alpha = {} }}",
            bytes(*min),
            float(*alpha)
        ),
        _ => unreachable!("object sizes are read as const, exp, uniform, lognormal by cv or pareto"),
    }
}

fn write_cdn<'a>(o: &mut Out<'a>, s: &Scenario, cdn: &'a Cdn) {
    writeln!(o, "\n[cdn.{}]", key(&cdn.name)).unwrap();
    writeln!(o, "keyspace = {}", string(&s.keyspaces[cdn.keyspace].name)).unwrap();
    match &cdn.edges {
        CdnEdges::Count(count) => writeln!(o, "edges = {count}").unwrap(),
        CdnEdges::Named(names) => {
            let names: Vec<String> = names.iter().map(|name| string(name)).collect();
            writeln!(o, "edges = [{}]", names.join(", ")).unwrap();
        }
    }
    writeln!(o, "origin = {}", string(&s.origin_text(&cdn.origin))).unwrap();
    cdn.keys.dump_keys_with(&mut o.text, &o.dists);
    for deploy in &cdn.deploys {
        writeln!(o, "\n[[cdn.{}.deploy]]", key(&cdn.name)).unwrap();
        deploy.keys.dump_keys(&mut o.text);
        if deploy.mode == DeployMode::Invalidate {
            writeln!(o, "propagation = {}", duration(deploy.propagation)).unwrap();
        }
    }
}

fn write_cache<'a>(o: &mut Out<'a>, s: &Scenario, cache: &'a Cache) {
    writeln!(o, "\n[cache.{}]", key(&cache.name)).unwrap();
    writeln!(o, "keyspace = {}", string(&s.keyspaces[cache.keyspace].name)).unwrap();
    if let Some(size) = cache.size {
        writeln!(o, "size = {}", string(&s.sizes[size].name)).unwrap();
    }
    cache.keys.dump_keys_with(&mut o.text, &o.dists);
}

fn write_workload<'a>(o: &mut Out<'a>, scenario: &'a Scenario) {
    let workload = &scenario.workload;
    writeln!(o, "\n[workload]").unwrap();
    let mut arrivals = String::new();
    match &workload.arrivals {
        Arrivals::Open { rate, keys } => {
            arrivals.push_str("kind = \"open\"\n");
            match rate {
                OpenRate::PerSecond(rate) => {
                    writeln!(arrivals, "rate = {}", string(&format_rate(*rate))).unwrap()
                }
                OpenRate::Daily(daily) => daily.dump_keys(&mut arrivals),
            }
            keys.dump_keys(&mut arrivals);
        }
        Arrivals::Closed(closed) => {
            arrivals.push_str("kind = \"closed\"\n");
            closed.dump_keys_with(&mut arrivals, &o.dists);
        }
    }
    writeln!(o, "arrivals = {}", super::section::inline_table(&arrivals)).unwrap();
    if matches!(workload.arrivals, Arrivals::Open { .. }) {
        writeln!(o, "profile = [").unwrap();
        for change in &workload.profile {
            writeln!(o, "  {},", change.dump_inline()).unwrap();
        }
        writeln!(o, "]").unwrap();
    }
    workload.keys.dump_keys_with(&mut o.text, &o.dists);
    writeln!(o, "mix = [").unwrap();
    for class in &workload.mix {
        let mut lines = format!("class = {}\n", string(&class.name));
        class.keys.dump_keys(&mut lines);
        writeln!(lines, "call = {}", string(&scenario.call_text(&class.call))).unwrap();
        if let Some(key) = class.key {
            writeln!(lines, "key = {}", string(&scenario.keyspaces[key].name)).unwrap();
        }
        writeln!(o, "  {},", super::section::inline_table(&lines)).unwrap();
    }
    writeln!(o, "]").unwrap();
    if let Some(class) = workload.relogin {
        writeln!(o, "relogin = {}", string(&workload.mix[class].name)).unwrap();
    }
}

fn write_pool<'a>(o: &mut Out<'a>, s: &Scenario, id: super::ids::PoolId, pool: &'a Pool) {
    let geo = &s.geo;
    writeln!(o, "\n[pool.{}]", key(&pool.name)).unwrap();
    writeln!(o, "instances = {}", pool.instances).unwrap();
    if let Some(size) = pool.size {
        writeln!(o, "size = {}", string(&s.sizes[size].name)).unwrap();
    }
    pool.keys.dump_keys_with(&mut o.text, &o.dists);
    if let Some(store) = pool.session_store {
        writeln!(o, "session_store = {}", string(&s.databases[store].name)).unwrap();
    }
    super::dump_geo::write_placement(&mut o.text, geo, Placed::Pool(id));
    write_host(o, s, Placed::Pool(id));
    if let Some(scale) = &pool.autoscale {
        let mut lines = String::new();
        scale.keys.dump_keys_with(&mut lines, &o.dists);
        writeln!(lines, "scale_in_cooldown = {}", duration(scale.scale_in_cooldown)).unwrap();
        writeln!(o, "autoscale = {}", super::section::inline_table(&lines)).unwrap();
    }
    for endpoint in &pool.endpoints {
        writeln!(o, "\n[pool.{}.endpoint.{}]", key(&pool.name), key(&endpoint.name)).unwrap();
        endpoint.keys.dump_keys_with(&mut o.text, &o.dists);
        writeln!(o, "steps = [").unwrap();
        for item in &endpoint.steps {
            writeln!(o, "  {},", step(o, s, item)).unwrap();
        }
        writeln!(o, "]").unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(samples: usize, second: &str) -> Scenario {
        let list: Vec<String> = (1..=samples).map(|i| i.to_string()).collect();
        let text = format!(
            "[scenario]\nduration = \"1s\"\n[workload]\narrivals = {{ kind = \"open\", rate = \"1/s\" }}\n\
             mix = [{{ class = \"q\", call = \"p/e\" }}]\n[pool.p]\nworkers = 1\n[pool.p.endpoint.e]\n\
             service = {{ dist = \"empirical\", unit = \"ms\", samples = [{}] }}\nsteps = [{{ delay = {second} }}]\n",
            list.join(", ")
        );
        crate::scenario::load_str(&text).unwrap().scenario
    }

    #[test]
    fn long_sample_lists_go_to_one_side_file_each() {
        let same = scenario(
            INLINE_SAMPLES + 1,
            "{ dist = \"empirical\", unit = \"ms\", samples = [1] }",
        );
        let resolved = resolved(&same);
        assert_eq!(resolved.side_files.len(), 1);
        let side = &resolved.side_files[0];
        assert_eq!(side.name, "scenario.resolved.samples-1.csv");
        assert!(resolved.toml.contains(
            "service = { dist = \"empirical\", file = \"scenario.resolved.samples-1.csv\", unit = \"ns\" }"
        ));
        assert!(side.bytes.starts_with(b"1000000\n2000000\n"));
        assert_eq!(
            side.bytes.iter().filter(|&&b| b == b'\n').count(),
            INLINE_SAMPLES + 1
        );
        // Inline, all of it, for `to_toml`.
        assert!(!to_toml(&same).contains("samples-1.csv"));
        // A list at the limit stays inline.
        assert!(resolved_has_no_side_files(INLINE_SAMPLES));
    }

    fn resolved_has_no_side_files(samples: usize) -> bool {
        resolved(&scenario(samples, "\"1ms\"")).side_files.is_empty()
    }

    #[test]
    fn equal_lists_share_a_side_file() {
        let list: Vec<String> = (1..=INLINE_SAMPLES + 1).map(|i| i.to_string()).collect();
        let twice = scenario(
            INLINE_SAMPLES + 1,
            &format!(
                "{{ dist = \"empirical\", unit = \"ms\", samples = [{}] }}",
                list.join(", ")
            ),
        );
        let resolved = resolved(&twice);
        assert_eq!(resolved.side_files.len(), 1);
        assert_eq!(
            resolved.toml.matches("scenario.resolved.samples-1.csv").count(),
            2
        );
    }

    #[test]
    fn side_file_names() {
        assert!(is_side_file_name("scenario.resolved.samples-12.csv"));
        assert!(!is_side_file_name("scenario.resolved.samples-.csv"));
        assert!(!is_side_file_name("scenario.resolved.samples-1x.csv"));
        assert!(!is_side_file_name("summary.csv"));
    }

    #[test]
    fn a_small_scenario_can_be_run_again() {
        assert!(check_rerunnable(&scenario(3, "\"1ms\"")).is_none());
    }
}
