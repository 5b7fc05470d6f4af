//! The knobs `plan` may turn: one per component field that buys capacity.
//!
//! A knob is a kind (what field of what component type), a component and
//! the values the user allows. Kinds are a list: each says where it lives in
//! the scenario (its override path and patch table), how to read it, which
//! station's utilization says it is saturated, what a unit costs, and how
//! capacity scales with it (for the analytic starting point). Adding a kind
//! (queue consumers, say) is one entry in `KnobKind::DESIGN` and one arm in
//! each match below.
//!
//! Without a `[plan] knobs` list, `plan` turns the default kinds
//! (`KnobKind::ALL`: pool instances, database connections, balancer cores)
//! over integer ranges. A `[plan]` knob lists its values (`choices`): a
//! range expanded to its integers, or a list; sizes are ordered by price, so
//! a knob's levels always go from least to most capacity and cost.
//!
//! Nothing is free to the design search: its candidates are ordered by the
//! monthly cost the pricing gives (`study::plan::monthly_cost_usd`), and
//! among designs of equal cost by the least capacity (the sum of the knobs'
//! levels). Database connections cost nothing in the pricing (a sized
//! database's cores are its size's; connections only let more operations in
//! at once), so rather than invent a price for them, a design with more
//! connections is tried only after every design with fewer at the same cost
//! has failed: connections are added only when they make a failing SLO hold.

use crate::metrics::catalog as metric;
use crate::scenario::plan::{KnobValues, PlanKnob};
use crate::scenario::{Scenario, bounds};

/// Hours in a billing month (365 × 24 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// What a knob changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnobKind {
    /// `pool.<name>.instances`: servers behind the pool.
    PoolInstances,
    /// `pool.<name>.size`: the instance type of each of them.
    PoolSize,
    /// `database.<name>.connections`: operations a database serves at once.
    DatabaseConnections,
    /// `database.<name>.size`: the instance class of every node.
    DatabaseSize,
    /// `database.<name>.replicas`: read replicas per shard.
    DatabaseReplicas,
    /// `database.<name>.shards`: shards, each a primary and its replicas.
    DatabaseShards,
    /// `cache.<name>.nodes`: nodes on the ring.
    CacheNodes,
    /// `cache.<name>.size`: each node's instance type (cores and memory).
    CacheSize,
    /// `balancer.<name>.cores`: requests a balancer with `cores` processes
    /// at once.
    BalancerCores,
}

/// How a station's capacity follows a knob's value, for the analytic
/// estimate (`feasibility::estimate` of the built candidate does the
/// pruning; this says what to expect of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scaling {
    /// Capacity ∝ value (instances, connections, cores, nodes, shards;
    /// replicas for reads).
    Linear,
    /// Capacity follows the size's cores × speed, read from the catalogue.
    BySize,
}

impl KnobKind {
    /// The knobs `plan` finds without a `[plan] knobs` list.
    pub const ALL: [KnobKind; 3] = [
        KnobKind::PoolInstances,
        KnobKind::DatabaseConnections,
        KnobKind::BalancerCores,
    ];

    /// Every kind a `[plan]` knob may be.
    pub const DESIGN: [KnobKind; 9] = [
        KnobKind::PoolInstances,
        KnobKind::PoolSize,
        KnobKind::DatabaseConnections,
        KnobKind::DatabaseSize,
        KnobKind::DatabaseReplicas,
        KnobKind::DatabaseShards,
        KnobKind::CacheNodes,
        KnobKind::CacheSize,
        KnobKind::BalancerCores,
    ];

    /// The scenario section and field: `("pool", "instances")`.
    pub fn section_field(self) -> (&'static str, &'static str) {
        match self {
            KnobKind::PoolInstances => ("pool", "instances"),
            KnobKind::PoolSize => ("pool", "size"),
            KnobKind::DatabaseConnections => ("database", "connections"),
            KnobKind::DatabaseSize => ("database", "size"),
            KnobKind::DatabaseReplicas => ("database", "replicas"),
            KnobKind::DatabaseShards => ("database", "shards"),
            KnobKind::CacheNodes => ("cache", "nodes"),
            KnobKind::CacheSize => ("cache", "size"),
            KnobKind::BalancerCores => ("balancer", "cores"),
        }
    }

    /// The kind at `section.NAME.field`.
    pub fn of(section: &str, field: &str) -> Option<KnobKind> {
        KnobKind::DESIGN
            .into_iter()
            .find(|kind| kind.section_field() == (section, field))
    }

    /// Whether the values are instance sizes (by name).
    pub fn is_size(self) -> bool {
        matches!(
            self,
            KnobKind::PoolSize | KnobKind::DatabaseSize | KnobKind::CacheSize
        )
    }

    /// The components of this kind, in scenario order (autoscaled pools
    /// are not knobs).
    fn components(self, scenario: &Scenario) -> Vec<String> {
        match self {
            // An autoscaled pool sizes itself: its `instances` is only where
            // it starts, so the planner leaves it alone.
            KnobKind::PoolInstances => scenario
                .pools
                .iter()
                .filter(|p| p.autoscale.is_none())
                .map(|p| p.name.clone())
                .collect(),
            KnobKind::DatabaseConnections => scenario.databases.iter().map(|d| d.name.clone()).collect(),
            // A balancer without `cores` has unlimited capacity: nothing to buy.
            KnobKind::BalancerCores => scenario
                .balancers
                .iter()
                .filter(|b| b.cores.is_some())
                .map(|b| b.name.clone())
                .collect(),
            // Not found by default: a `[plan]` knob names them.
            _ => Vec::new(),
        }
    }

    fn value(self, scenario: &Scenario, component: &str) -> Option<u32> {
        match self {
            KnobKind::PoolInstances => scenario.pool(component).map(|p| p.instances),
            KnobKind::DatabaseConnections => scenario.database(component).map(|d| d.connections),
            KnobKind::DatabaseReplicas => scenario.database(component).map(|d| d.replicas),
            KnobKind::DatabaseShards => scenario.database(component).map(|d| d.shards),
            KnobKind::CacheNodes => cache(scenario, component).map(|c| c.nodes),
            KnobKind::BalancerCores => scenario.balancer(component).and_then(|b| b.cores),
            KnobKind::PoolSize | KnobKind::DatabaseSize | KnobKind::CacheSize => None,
        }
    }

    /// The value as the scenario has it, as text (a size by name).
    fn value_text(self, scenario: &Scenario, component: &str) -> Option<String> {
        let size_name =
            |size: Option<crate::scenario::ids::SizeId>| size.map(|id| scenario.sizes[id].name.clone());
        match self {
            KnobKind::PoolSize => scenario.pool(component).and_then(|p| size_name(p.size)),
            KnobKind::DatabaseSize => scenario.database(component).and_then(|d| size_name(d.size)),
            KnobKind::CacheSize => cache(scenario, component).and_then(|c| size_name(c.size)),
            _ => self.value(scenario, component).map(|v| v.to_string()),
        }
    }

    /// The largest value a scenario accepts.
    fn bound(self) -> u32 {
        match self {
            KnobKind::PoolInstances => bounds::MAX_INSTANCES as u32,
            KnobKind::DatabaseConnections => bounds::MAX_WORKERS as u32,
            KnobKind::BalancerCores => bounds::MAX_CORES as u32,
            KnobKind::DatabaseReplicas => crate::scenario::bounds::MAX_REPLICAS as u32,
            KnobKind::DatabaseShards => crate::scenario::bounds::MAX_SHARDS as u32,
            KnobKind::CacheNodes => crate::scenario::bounds::MAX_CACHE_NODES as u32,
            KnobKind::PoolSize | KnobKind::DatabaseSize | KnobKind::CacheSize => 0,
        }
    }

    /// Summary metrics of the component's station whose highest value says
    /// how saturated it is.
    pub fn utilization_metrics(self) -> &'static [&'static str] {
        match self {
            KnobKind::DatabaseConnections => &[metric::UTILIZATION.name],
            KnobKind::BalancerCores => &[metric::CPU_UTILIZATION.name],
            _ => &[metric::UTILIZATION.name, metric::CPU_UTILIZATION.name],
        }
    }

    /// US dollars a month for one more unit: one more instance, replica
    /// (on every shard), shard (a primary and its replicas) or cache node
    /// at the component's size; for a size knob, what the component's
    /// nodes cost at the size it has. Connections and balancer cores carry
    /// no price in the pricing (see the module doc for how the search keeps
    /// them from being added for nothing).
    fn monthly_cost_per_unit(self, scenario: &Scenario, component: &str) -> f64 {
        let hourly = match self {
            KnobKind::PoolInstances => scenario
                .pool(component)
                .map_or(0.0, |pool| scenario.pool_size(pool).price_per_hour),
            KnobKind::PoolSize => scenario.pool(component).map_or(0.0, |pool| {
                pool.instances as f64 * scenario.pool_size(pool).price_per_hour
            }),
            KnobKind::DatabaseReplicas | KnobKind::DatabaseShards | KnobKind::DatabaseSize => {
                scenario.database(component).map_or(0.0, |database| {
                    let price = scenario.database_size(database).price_per_hour;
                    let nodes = match self {
                        KnobKind::DatabaseReplicas => database.shards,
                        KnobKind::DatabaseShards => 1 + database.replicas,
                        _ => database.shards * (1 + database.replicas),
                    };
                    nodes as f64 * price
                })
            }
            KnobKind::CacheNodes | KnobKind::CacheSize => cache(scenario, component).map_or(0.0, |cache| {
                let price = cache.size.map_or(0.0, |size| scenario.sizes[size].price_per_hour);
                if self == KnobKind::CacheNodes {
                    price
                } else {
                    cache.nodes as f64 * price
                }
            }),
            KnobKind::DatabaseConnections | KnobKind::BalancerCores => 0.0,
        };
        hourly * HOURS_PER_MONTH
    }

    /// How capacity scales with the value.
    pub fn scaling(self) -> Scaling {
        if self.is_size() {
            Scaling::BySize
        } else {
            Scaling::Linear
        }
    }

    /// Whether the station's capacity is proportional to the value (so a
    /// utilization ρ at value v means ρ·v/v' at v').
    fn capacity_is_linear(self) -> bool {
        self.scaling() == Scaling::Linear
    }
}

fn cache<'a>(scenario: &'a Scenario, name: &str) -> Option<&'a crate::scenario::Cache> {
    scenario.caches.iter().find(|cache| cache.name == name)
}

/// One knob of a plan, with the values it may take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Knob {
    pub kind: KnobKind,
    pub component: String,
    pub min: u32,
    pub max: u32,
    /// A `[plan]` knob's values in order of capacity; a value of the knob
    /// is then an index into them (`min` 0, `max` the last). Empty: the
    /// value is the field's number itself.
    pub choices: Vec<String>,
}

impl Knob {
    /// The table the knob lives in: `pool.web`.
    pub fn table(&self) -> String {
        format!(
            "{}.{}",
            self.kind.section_field().0,
            crate::scenario::dump::key(&self.component)
        )
    }

    /// The override path: `pool.web.instances`.
    pub fn path(&self) -> String {
        format!("{}.{}", self.table(), self.kind.section_field().1)
    }

    pub fn field(&self) -> &'static str {
        self.kind.section_field().1
    }

    /// `pool.web.instances=6`, `pool.web.size=m5.xlarge`.
    pub fn assignment(&self, value: u32) -> String {
        format!("{}={}", self.path(), self.value_text(value))
    }

    /// A value as the scenario writes it: the number, or the choice.
    pub fn value_text(&self, value: u32) -> String {
        match self.choices.get(value as usize) {
            Some(choice) => choice.clone(),
            None => value.to_string(),
        }
    }

    /// A value as TOML (a size quoted).
    pub fn toml_value(&self, value: u32) -> String {
        if self.kind.is_size() {
            toml::Value::String(self.value_text(value)).to_string()
        } else {
            self.value_text(value)
        }
    }

    /// The knob's value in `scenario`; for a knob with choices, the index
    /// of the scenario's value among them, or one past the last when it is
    /// not one of them.
    pub fn value(&self, scenario: &Scenario) -> u32 {
        if self.choices.is_empty() {
            return self
                .kind
                .value(scenario, &self.component)
                .expect("knobs come from the scenario");
        }
        let text = self.kind.value_text(scenario, &self.component);
        self.choices
            .iter()
            .position(|choice| Some(choice) == text.as_ref())
            .unwrap_or(self.choices.len()) as u32
    }

    pub fn monthly_cost_per_unit(&self, scenario: &Scenario) -> f64 {
        self.kind.monthly_cost_per_unit(scenario, &self.component)
    }

    /// The station whose utilization leads this knob.
    pub fn station(&self) -> &str {
        &self.component
    }

    /// The smallest value (within the knob's range) at which the station's
    /// utilization law stays below 1, given utilization `rho` at `value`.
    /// `None` when it would take more than the knob's maximum.
    pub fn lower_bound(&self, value: u32, rho: f64) -> Option<u32> {
        if !self.kind.capacity_is_linear() || !rho.is_finite() {
            return Some(self.min);
        }
        let needed = (rho * value as f64).floor() + 1.0;
        if needed > self.max as f64 {
            return None;
        }
        Some((needed as u32).max(self.min))
    }
}

/// Every knob of `scenario`, each allowed from 1 to the scenario bound.
pub fn discover(scenario: &Scenario) -> Vec<Knob> {
    KnobKind::ALL
        .iter()
        .flat_map(|&kind| {
            kind.components(scenario).into_iter().map(move |component| Knob {
                kind,
                component,
                min: 1,
                max: kind.bound(),
                choices: Vec::new(),
            })
        })
        .collect()
}

/// The knobs of the scenario's `[plan] knobs` (checked at load), each
/// with its values as choices: a range's integers in order, a size list
/// ordered by price (then name), a count list by number.
pub fn from_plan(scenario: &Scenario) -> Vec<Knob> {
    scenario
        .plan
        .knobs
        .iter()
        .map(|knob| design_knob(scenario, knob))
        .collect()
}

fn design_knob(scenario: &Scenario, knob: &PlanKnob) -> Knob {
    let kind = KnobKind::of(&knob.section, &knob.field).expect("checked at load");
    let mut choices: Vec<String> = match &knob.values {
        KnobValues::Range { min, max } => (*min..=*max).map(|v| v.to_string()).collect(),
        KnobValues::List(list) => list.clone(),
    };
    if kind.is_size() {
        let price = |name: &String| {
            scenario
                .sizes
                .iter()
                .find(|size| &size.name == name)
                .map(|size| size.price_per_hour)
                .or_else(|| crate::scenario::builtin_size(name).map(|size| size.price_per_hour))
                .unwrap_or(0.0)
        };
        choices.sort_by(|a, b| price(a).total_cmp(&price(b)).then_with(|| a.cmp(b)));
    } else {
        choices.sort_by_key(|v| v.parse::<u32>().unwrap_or(0));
    }
    choices.dedup();
    Knob {
        kind,
        component: knob.component.clone(),
        min: 0,
        max: choices.len() as u32 - 1,
        choices,
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LimitError {
    #[error(
        "invalid `--limit {text}`: expected PATH=MIN..MAX (either may be left out, like `pool.web.instances=..20`) or PATH=N"
    )]
    Shape { text: String },
    #[error("invalid `--limit {text}`: `{path}` is not a knob; knobs are {known}")]
    UnknownKnob {
        text: String,
        path: String,
        known: String,
    },
    #[error("invalid `--limit {text}`: the range is empty or outside 1..{bound}")]
    Range { text: String, bound: u32 },
}

/// Applies `--limit PATH=MIN..MAX` (or `PATH=N` to fix a knob) in order.
pub fn apply_limit(knobs: &mut [Knob], text: &str) -> Result<(), LimitError> {
    let shape = || LimitError::Shape {
        text: text.to_owned(),
    };
    let (path, range) = text.split_once('=').ok_or_else(shape)?;
    let path = path.trim();
    let parse = |part: &str| -> Result<Option<u32>, LimitError> {
        let part = part.trim();
        if part.is_empty() {
            Ok(None)
        } else {
            part.parse().map(Some).map_err(|_| shape())
        }
    };
    let (min, max) = match range.split_once("..") {
        Some((min, max)) => (parse(min)?, parse(max)?),
        None => {
            let value = parse(range)?.ok_or_else(shape)?;
            (Some(value), Some(value))
        }
    };
    let known: Vec<String> = knobs.iter().map(Knob::path).collect();
    let knob = knobs
        .iter_mut()
        .find(|knob| knob.path() == path)
        .ok_or_else(|| LimitError::UnknownKnob {
            text: text.to_owned(),
            path: path.to_owned(),
            known: known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let bound = knob.kind.bound();
    let (min, max) = (min.unwrap_or(knob.min), max.unwrap_or(knob.max));
    if min < 1 || max > bound || min > max {
        return Err(LimitError::Range {
            text: text.to_owned(),
            bound,
        });
    }
    knob.min = min;
    knob.max = max;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    fn scenario() -> Scenario {
        load_str(
            "[scenario]\nduration = \"1s\"\n[workload]\narrivals = { kind = \"open\", rate = \"10/s\" }\n\
             mix = [{ class = \"a\", call = \"web/e\" }]\n[pool.web]\ninstances = 3\nsize = \"m5.large\"\nworkers = 4\n\
             [pool.web.endpoint.e]\nservice = \"1ms\"\nsteps = [{ read = \"my.db\" }]\n\
             [database.\"my.db\"]\nconnections = 8\nread = \"1ms\"\n",
        )
        .unwrap()
        .scenario
    }

    #[test]
    fn knobs_of_a_scenario() {
        let scenario = scenario();
        let knobs = discover(&scenario);
        let paths: Vec<String> = knobs.iter().map(Knob::path).collect();
        assert_eq!(paths, ["pool.web.instances", "database.\"my.db\".connections"]);
        assert_eq!(knobs[0].value(&scenario), 3);
        assert_eq!(knobs[1].value(&scenario), 8);
        assert!((knobs[0].monthly_cost_per_unit(&scenario) - 0.096 * 730.0).abs() < 1e-9);
        assert_eq!(knobs[1].monthly_cost_per_unit(&scenario), 0.0);
        assert_eq!(knobs[0].assignment(5), "pool.web.instances=5");
    }

    #[test]
    fn the_assignment_loads_as_an_override() {
        let text = "[scenario]\nduration = \"1s\"\n[workload]\narrivals = { kind = \"open\", rate = \"10/s\" }\n\
                    mix = [{ class = \"a\", call = \"web/e\" }]\n[pool.web]\nworkers = 1\n\
                    [pool.web.endpoint.e]\nservice = \"1ms\"\nsteps = [{ read = \"my.db\" }]\n\
                    [database.\"my.db\"]\nread = \"1ms\"\n";
        let knobs = discover(&load_str(text).unwrap().scenario);
        let overrides = vec![knobs[0].assignment(7), knobs[1].assignment(9)];
        let loaded =
            crate::scenario::load_text("t", text, &overrides, std::path::Path::new("."), "t").unwrap();
        assert_eq!(knobs[0].value(&loaded.scenario), 7);
        assert_eq!(knobs[1].value(&loaded.scenario), 9);
    }

    #[test]
    fn lower_bounds_keep_utilization_below_one() {
        let knob = Knob {
            kind: KnobKind::PoolInstances,
            component: "web".into(),
            min: 2,
            max: 10,
            choices: Vec::new(),
        };
        // ρ = 2.5 at 2 instances: 5 is exactly saturated, 6 is the least.
        assert_eq!(knob.lower_bound(2, 2.5), Some(6));
        assert_eq!(knob.lower_bound(4, 0.1), Some(2));
        assert_eq!(knob.lower_bound(4, 3.0), None);
    }

    #[test]
    fn limits() {
        let mut knobs = discover(&scenario());
        apply_limit(&mut knobs, "pool.web.instances=2..20").unwrap();
        assert_eq!((knobs[0].min, knobs[0].max), (2, 20));
        apply_limit(&mut knobs, "pool.web.instances=..12").unwrap();
        assert_eq!((knobs[0].min, knobs[0].max), (2, 12));
        apply_limit(&mut knobs, "database.\"my.db\".connections=16").unwrap();
        assert_eq!((knobs[1].min, knobs[1].max), (16, 16));
        let unknown = apply_limit(&mut knobs, "pool.api.instances=1..2")
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("knobs are `pool.web.instances`"), "{unknown}");
        assert!(apply_limit(&mut knobs, "pool.web.instances=5..3").is_err());
        assert!(apply_limit(&mut knobs, "pool.web.instances=0..3").is_err());
        assert!(apply_limit(&mut knobs, "pool.web.instances").is_err());
    }
}
