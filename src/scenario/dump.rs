//! Writes a resolved scenario back as TOML in the input format, every
//! default explicit, so a run's folder reproduces the run on its own
//! (`capsim run out/scenario.resolved.toml`). Loading the dump gives back an
//! equal `Scenario`; a test checks that for every shipped scenario.

use std::fmt::Write;

use super::dist::{Dist, LogNormalSpread};
use super::geo::Placed;
use super::types::{
    Arrivals, Cache, Cdn, CdnEdges, Database, DeployMode, Fault, FaultAction, FaultTime, Keyspace, OpenRate,
    Pool, ReplicationMode, Scenario, Sharding, Step,
};
use super::units::{format_duration, format_rate, format_size};
use crate::engine::SimDuration;

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

fn step(s: &Scenario, step: &Step) -> String {
    match step {
        Step::Compute(d) => format!("{{ compute = {} }}", dist(d)),
        Step::Delay(d) => format!("{{ delay = {} }}", dist(d)),
        Step::Call(target) => format!("{{ call = {} }}", string(&s.target_text(*target))),
        Step::Read {
            database,
            service,
            cache,
        }
        | Step::Write {
            database,
            service,
            cache,
        } => {
            let operation = if matches!(step, Step::Read { .. }) {
                "read"
            } else {
                "write"
            };
            let mut text = format!("{{ {operation} = {}", string(&s.databases[*database].name));
            if let Some(service) = service {
                text.push_str(&format!(", service = {}", dist(service)));
            }
            if let Some(cache) = cache {
                text.push_str(&format!(", cache = {}", string(&s.caches[*cache].name)));
            }
            text.push_str(" }");
            text
        }
        Step::Parallel(branches) => {
            let branches: Vec<String> = branches.iter().map(|branch| steps_inline(s, branch)).collect();
            format!("{{ parallel = [{}] }}", branches.join(", "))
        }
        Step::Maybe { probability, steps } => {
            format!(
                "{{ probability = {}, steps = {} }}",
                float(*probability),
                steps_inline(s, steps)
            )
        }
        Step::Enqueue(queue) => format!("{{ enqueue = {} }}", string(&s.queues[*queue].name)),
    }
}

fn steps_inline(s: &Scenario, steps: &[Step]) -> String {
    let items: Vec<String> = steps.iter().map(|item| step(s, item)).collect();
    format!("[{}]", items.join(", "))
}

/// The scenario as TOML text.
pub fn to_toml(scenario: &Scenario) -> String {
    let mut out = String::new();
    let o = &mut out;
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
    writeln!(o, "description = {}", string(&scenario.description)).unwrap();
    writeln!(o, "seed = {}", scenario.seed).unwrap();
    writeln!(o, "duration = {}", duration(scenario.duration)).unwrap();
    writeln!(o, "warmup = {}", duration(scenario.warmup)).unwrap();
    writeln!(o, "window = {}", duration(scenario.window)).unwrap();

    writeln!(o, "\n[limits]").unwrap();
    scenario.limits.dump_keys(o);

    write_workload(o, scenario);

    writeln!(o, "\n[network]").unwrap();
    scenario.network.dump_keys(o);
    super::dump_geo::write_links(o, &scenario.geo);
    super::dump_geo::write_places(o, &scenario.geo);

    for size in &scenario.sizes {
        writeln!(o, "\n[size.{}]", key(&size.name)).unwrap();
        size.dump_keys(o);
    }
    for dns in &scenario.dns {
        writeln!(o, "\n[dns.{}]", key(&dns.name)).unwrap();
        dns.keys.dump_keys(o);
        super::dump_geo::write_dns_targets(o, scenario, dns);
    }
    for balancer in &scenario.balancers {
        writeln!(o, "\n[balancer.{}]", key(&balancer.name)).unwrap();
        writeln!(o, "pool = {}", string(&scenario.pools[balancer.pool].name)).unwrap();
        super::dump_geo::write_placement(o, &scenario.geo, Placed::Balancer, &balancer.name);
        if let Some(sticky) = &balancer.sticky {
            writeln!(o, "sticky = true").unwrap();
            writeln!(o, "session_ttl = {}", duration(sticky.session_ttl)).unwrap();
        }
        balancer.keys.dump_keys(o);
    }
    for pool in &scenario.pools {
        write_pool(o, scenario, pool);
    }
    for database in &scenario.databases {
        write_database(o, scenario, database);
        super::dump_geo::write_placement(o, &scenario.geo, Placed::Database, &database.name);
    }
    for keyspace in &scenario.keyspaces {
        write_keyspace(o, keyspace);
    }
    for cache in &scenario.caches {
        write_cache(o, scenario, cache);
        super::dump_geo::write_placement(o, &scenario.geo, Placed::Cache, &cache.name);
    }
    for cdn in &scenario.cdns {
        write_cdn(o, scenario, cdn);
        super::cdn_regions::write_serving(o, scenario, cdn);
    }
    for queue in &scenario.queues {
        writeln!(o, "\n[queue.{}]", key(&queue.name)).unwrap();
        queue.keys.dump_keys(o);
        writeln!(o, "consumer = {}", string(&scenario.target_text(queue.consumer))).unwrap();
    }
    for fault in &scenario.faults {
        write_fault(o, scenario, fault);
    }
    let recovery = &scenario.recovery;
    writeln!(o, "\n[recovery]").unwrap();
    recovery.dump_keys(o);
    out
}

fn write_fault(o: &mut String, s: &Scenario, fault: &Fault) {
    writeln!(o, "\n[[faults]]").unwrap();
    let target = string(&s.fault_target_text(&fault.target));
    match fault.action {
        FaultAction::Partition => {
            if let super::types::FaultTarget::Partition { a, b } = &fault.target {
                writeln!(o, "partition = [{}, {}]", string(a), string(b)).unwrap();
            }
        }
        FaultAction::Kill { mode } => {
            writeln!(o, "kill = {target}").unwrap();
            writeln!(o, "mode = {}", string(mode.name())).unwrap();
        }
        FaultAction::Restore => writeln!(o, "restore = {target}").unwrap(),
        FaultAction::Slow { factor, add } => {
            writeln!(o, "slow = {target}").unwrap();
            writeln!(o, "factor = {}", float(factor)).unwrap();
            writeln!(o, "add = {}", duration(add)).unwrap();
        }
    }
    match &fault.when {
        FaultTime::At { at, lasting } => {
            writeln!(o, "at = {}", duration(*at)).unwrap();
            if let Some(lasting) = lasting {
                writeln!(o, "for = {}", duration(*lasting)).unwrap();
            }
        }
        FaultTime::Random { mtbf, mttr } => {
            writeln!(o, "mtbf = {}", dist(mtbf)).unwrap();
            writeln!(o, "mttr = {}", dist(mttr)).unwrap();
        }
    }
}

fn write_database(o: &mut String, s: &Scenario, database: &Database) {
    writeln!(o, "\n[database.{}]", key(&database.name)).unwrap();
    database.keys.dump_keys(o);
    writeln!(o, "connections = {}", database.connections).unwrap();
    writeln!(o, "read = {}", dist(&database.read)).unwrap();
    writeln!(o, "write = {}", dist(&database.write)).unwrap();
    if let Some(keyspace) = database.keyspace {
        writeln!(o, "keyspace = {}", string(&s.keyspaces[keyspace].name)).unwrap();
    }
    writeln!(o, "read_from = {}", string(database.read_from.name())).unwrap();
    let replication = &database.replication;
    let mode = match replication.mode {
        ReplicationMode::Async => "mode = \"async\"".to_owned(),
        ReplicationMode::SemiSync { acks, timeout } => {
            let timeout = timeout.map_or_else(|| string("never"), duration);
            format!("mode = \"semi_sync\", acks = {acks}, semi_sync_timeout = {timeout}")
        }
    };
    let ship = replication
        .ship
        .as_ref()
        .map_or(String::new(), |ship| format!(", ship = {}", dist(ship)));
    writeln!(
        o,
        "replication = {{ {mode}, apply = {}, appliers = {}{ship} }}",
        dist(&replication.apply),
        replication.appliers
    )
    .unwrap();
    let sharding = match database.sharding {
        Sharding::Hash => "{ by = \"hash\" }".to_owned(),
        Sharding::Range => "{ by = \"range\" }".to_owned(),
        Sharding::Consistent { virtual_nodes } => {
            format!("{{ by = \"consistent\", virtual_nodes = {virtual_nodes} }}")
        }
    };
    writeln!(o, "sharding = {sharding}").unwrap();
    if let Some(reshard) = &database.reshard {
        writeln!(
            o,
            "reshard = {{ at = {}, shards = {}, rate = {} }}",
            duration(reshard.at),
            reshard.shards,
            string(&format_rate(reshard.rate))
        )
        .unwrap();
    }
}

fn write_keyspace(o: &mut String, keyspace: &Keyspace) {
    writeln!(o, "\n[keyspace.{}]", key(&keyspace.name)).unwrap();
    keyspace.dump_keys(o);
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

fn write_cdn(o: &mut String, s: &Scenario, cdn: &Cdn) {
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
    cdn.keys.dump_keys(o);
    for deploy in &cdn.deploys {
        writeln!(o, "\n[[cdn.{}.deploy]]", key(&cdn.name)).unwrap();
        writeln!(o, "at = {}", duration(deploy.at)).unwrap();
        writeln!(o, "mode = {}", string(deploy.mode.name())).unwrap();
        writeln!(o, "share = {}", float(deploy.share)).unwrap();
        if deploy.mode == DeployMode::Invalidate {
            writeln!(o, "propagation = {}", duration(deploy.propagation)).unwrap();
        }
    }
}

fn write_cache(o: &mut String, s: &Scenario, cache: &Cache) {
    writeln!(o, "\n[cache.{}]", key(&cache.name)).unwrap();
    writeln!(o, "keyspace = {}", string(&s.keyspaces[cache.keyspace].name)).unwrap();
    cache.keys.dump_keys(o);
}

fn write_workload(o: &mut String, scenario: &Scenario) {
    let workload = &scenario.workload;
    writeln!(o, "\n[workload]").unwrap();
    let arrivals = match &workload.arrivals {
        Arrivals::Open { rate, users } => match rate {
            OpenRate::PerSecond(rate) => {
                format!(
                    "{{ kind = \"open\", rate = {}, users = {users} }}",
                    string(&format_rate(*rate))
                )
            }
            OpenRate::Daily {
                daily_users,
                requests_per_user,
                peak_factor,
            } => format!(
                "{{ kind = \"open\", daily_users = {}, requests_per_user = {}, peak_factor = {}, users = {users} }}",
                float(*daily_users),
                float(*requests_per_user),
                float(*peak_factor)
            ),
        },
        Arrivals::Closed { users, think } => {
            format!(
                "{{ kind = \"closed\", users = {users}, think = {} }}",
                dist(think)
            )
        }
    };
    writeln!(o, "arrivals = {arrivals}").unwrap();
    if matches!(workload.arrivals, Arrivals::Open { .. }) {
        writeln!(o, "profile = [").unwrap();
        for change in &workload.profile {
            write!(
                o,
                "  {{ at = {}, rate = {}, over = {}",
                duration(change.at),
                string(&format_rate(change.rate)),
                duration(change.over)
            )
            .unwrap();
            if let Some(hold) = change.hold {
                write!(o, ", for = {}", duration(hold)).unwrap();
            }
            writeln!(o, " }},").unwrap();
        }
        writeln!(o, "]").unwrap();
    }
    workload.keys.dump_keys(o);
    writeln!(o, "mix = [").unwrap();
    for class in &workload.mix {
        let key = class.key.as_ref().map_or(String::new(), |key| {
            format!(", key = {}", string(&scenario.keyspaces[*key].name))
        });
        writeln!(
            o,
            "  {{ class = {}, weight = {}, call = {}{key} }},",
            string(&class.name),
            float(class.weight),
            string(&scenario.call_text(&class.call))
        )
        .unwrap();
    }
    writeln!(o, "]").unwrap();
}

fn write_pool(o: &mut String, s: &Scenario, pool: &Pool) {
    let geo = &s.geo;
    writeln!(o, "\n[pool.{}]", key(&pool.name)).unwrap();
    writeln!(o, "instances = {}", pool.instances).unwrap();
    if let Some(size) = pool.size {
        writeln!(o, "size = {}", string(&s.sizes[size].name)).unwrap();
    }
    pool.keys.dump_keys(o);
    if let Some(store) = pool.session_store {
        writeln!(o, "session_store = {}", string(&s.databases[store].name)).unwrap();
    }
    super::dump_geo::write_placement(o, geo, Placed::Pool, &pool.name);
    if let Some(scale) = &pool.autoscale {
        let mut lines = String::new();
        scale.keys.dump_keys(&mut lines);
        writeln!(lines, "scale_in_cooldown = {}", duration(scale.scale_in_cooldown)).unwrap();
        writeln!(o, "autoscale = {}", super::section::inline_table(&lines)).unwrap();
    }
    for endpoint in &pool.endpoints {
        writeln!(o, "\n[pool.{}.endpoint.{}]", key(&pool.name), key(&endpoint.name)).unwrap();
        endpoint.keys.dump_keys(o);
        writeln!(o, "steps = [").unwrap();
        for item in &endpoint.steps {
            writeln!(o, "  {},", step(s, item)).unwrap();
        }
        writeln!(o, "]").unwrap();
    }
}
