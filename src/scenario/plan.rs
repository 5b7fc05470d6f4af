//! `[plan]`: what `capsim plan` may change and what the design must
//! survive. `knobs` lists design knobs by override path with a range
//! (`{ knob = "database.db.replicas", min = 0, max = 5 }`) or a list of
//! values (`{ knob = "pool.web.size", values = ["m5.large", "m5.xlarge"] }`);
//! `survive` lists failures (`pool.web.instance[*]`, `database.db.primary`,
//! `cache.c.node[*]`, `datacenter.east`); `degraded` is the objectives that
//! must hold during a survived failure (the `[slo]` grammar; the normal set
//! when empty); `load` is the peak rate to plan for (`--load` overrides it).
//!
//! Shapes (a known section and field, a range inside the field's bounds)
//! are checked while reading; names (the component exists, a size is in the
//! catalogue) by [`check`], once every component is known. Both report at
//! the knob's or target's span with a "did you mean".

use std::ops::Range;

use schemars::SchemaGenerator;
use serde_json::Value;

use toml::de::DeValue;

use super::diagnostic::Diagnostic;
use super::parse::{Cx, FaultSpec, FaultUse, NOT_IN_A_DRILL, RunTimes};
use super::reader::{Node, did_you_mean};
use super::section::Kind;
use super::types::{Fault, FaultAction, FaultTarget, FaultTime, KillKeys, Scenario};
use crate::engine::SimDuration;

/// A design knob's allowed range (`None`: a size, chosen by name).
pub type KnobBounds = Option<(u32, u32)>;

/// Every design knob: section, field, and its bounds.
pub const DESIGN_FIELDS: [(&str, &str, KnobBounds); 9] = [
    (
        "pool",
        "instances",
        Some((1, super::bounds::MAX_INSTANCES as u32)),
    ),
    ("pool", "size", None),
    (
        "database",
        "connections",
        Some((1, super::bounds::MAX_WORKERS as u32)),
    ),
    ("database", "size", None),
    (
        "database",
        "replicas",
        Some((0, super::parse::MAX_REPLICAS as u32)),
    ),
    ("database", "shards", Some((1, super::parse::MAX_SHARDS as u32))),
    ("cache", "nodes", Some((1, super::parse::MAX_CACHE_NODES as u32))),
    ("cache", "size", None),
    ("balancer", "cores", Some((1, super::bounds::MAX_CORES as u32))),
];

/// The values a `[plan]` knob may take.
#[derive(Clone, Debug, PartialEq)]
pub enum KnobValues {
    /// `min = 0, max = 5`: every integer between, both included.
    Range { min: u32, max: u32 },
    /// `values = [...]`: sizes by name, or counts.
    List(Vec<String>),
}

/// One `[plan] knobs` entry.
#[derive(Clone, Debug)]
pub struct PlanKnob {
    /// `database`, `pool`, `cache` or `balancer`.
    pub section: String,
    pub component: String,
    /// `replicas`, `size`, …
    pub field: String,
    pub values: KnobValues,
    /// Where it was written, for [`check`].
    pub span: Range<usize>,
    pub at: String,
}

/// One `[plan] survive` entry: a component that fails (`[*]` meaning any
/// one: the planner kills index 0, instances and nodes being alike), or a
/// named drill written in the `[[faults]]` grammar.
#[derive(Clone, Debug)]
pub struct SurviveTarget {
    /// The target as written (`pool.web.instance[*]`), or the drill's name.
    pub text: String,
    pub failure: Survived,
    pub span: Range<usize>,
    pub at: String,
}

/// What a survived failure does to a design.
#[derive(Clone, Debug, PartialEq)]
pub enum Survived {
    /// A crash of the component, [`fault_at`] into the run, not repaired.
    Kill(FaultTarget),
    /// A named drill: the fault as its `[[faults]]` keys say, and those
    /// keys as TOML (`kill = "datacenter.dc-us", mode = "hang", at = "2m"`)
    /// for the dump.
    Drill { fault: Fault, keys_toml: String },
}

/// When a component target's failure strikes: a third into the run.
pub fn fault_at(scenario: &Scenario) -> SimDuration {
    third_of(scenario.duration)
}

fn third_of(duration: SimDuration) -> SimDuration {
    SimDuration::from_nanos(duration.as_nanos() / 3)
}

impl SurviveTarget {
    /// How reports name it: the target as written, or `drill `NAME``.
    pub fn label(&self) -> String {
        match self.failure {
            Survived::Kill(_) => self.text.clone(),
            Survived::Drill { .. } => format!("drill `{}`", self.text),
        }
    }

    /// The fault that strikes a design (a `[[faults]]` entry appended to
    /// its scenario), or why it cannot: the design has no such component
    /// (fewer replicas, nodes or shards than the target's index), so there
    /// is nothing for this failure to take down.
    pub fn fault(&self, design: &Scenario) -> Result<Fault, String> {
        let fault = match &self.failure {
            Survived::Kill(target) => Fault {
                target: target.clone(),
                when: FaultTime::At {
                    at: fault_at(design),
                    lasting: None,
                },
                action: FaultAction::Kill(KillKeys::defaults().expect("every key of a kill has a default")),
            },
            Survived::Drill { fault, .. } => fault.clone(),
        };
        match super::check::missing_fault_target(design, &fault.target) {
            Some(reason) => Err(reason),
            None => Ok(fault),
        }
    }
}

/// Where a knob was written is not part of what it means: a scenario
/// dumped and loaded back is equal to the one it was dumped from.
impl PartialEq for PlanKnob {
    fn eq(&self, other: &Self) -> bool {
        (
            &self.section,
            &self.component,
            &self.field,
            &self.values,
            &self.at,
        ) == (
            &other.section,
            &other.component,
            &other.field,
            &other.values,
            &other.at,
        )
    }
}

/// As for [`PlanKnob`]: equal whatever their spans.
impl PartialEq for SurviveTarget {
    fn eq(&self, other: &Self) -> bool {
        (&self.text, &self.failure, &self.at) == (&other.text, &other.failure, &other.at)
    }
}

/// The concrete fault target a component target kills: `[*]` is `[0]`.
pub fn fault_target(text: &str) -> String {
    text.replace("[*]", "[0]")
}

/// Splits `database."my.db".replicas` into section, component and field.
pub fn split_path(path: &str) -> Option<(&str, String, &str)> {
    let (section, rest) = path.split_once('.')?;
    let (component, field) = rest.rsplit_once('.')?;
    let component = component.trim_matches('"');
    if component.is_empty() {
        return None;
    }
    Some((section, component.to_owned(), field))
}

fn field_bounds(section: &str, field: &str) -> Option<KnobBounds> {
    DESIGN_FIELDS
        .iter()
        .find(|(s, f, _)| *s == section && *f == field)
        .map(|(_, _, bounds)| *bounds)
}

fn knob_shapes() -> Vec<String> {
    DESIGN_FIELDS
        .iter()
        .map(|(section, field, _)| format!("{section}.NAME.{field}"))
        .collect()
}

/// `knobs = [{ knob = "...", min = .., max = .. } | { knob = "...", values = [..] }]`.
pub(crate) struct Knobs;

impl Knobs {
    fn read_one(cx: &mut Cx, item: &Node) -> Option<PlanKnob> {
        let mut table = cx.reader.table(item)?;
        let knob = table.require(&mut cx.reader, "knob", "\"database.db.replicas\"");
        let min = table.get("min");
        let max = table.get("max");
        let values = table.get("values");
        table.finish(&mut cx.reader);
        let knob = knob?;
        let path = cx.reader.string(&knob)?;
        let shapes = knob_shapes();
        let Some((section, component, field)) = split_path(path) else {
            cx.reader.invalid(
                &knob,
                format!("`{path}` is not a knob path"),
                Some(format!("a knob is one of {}", shapes.join(", "))),
            );
            return None;
        };
        let Some(bounds) = field_bounds(section, field) else {
            let written = format!("{section}.NAME.{field}");
            let help = match did_you_mean(&written, shapes.iter().map(String::as_str)) {
                Some(known) => format!(
                    "did you mean \"{}\"? knobs are {}",
                    known.replace("NAME", &component),
                    shapes.join(", ")
                ),
                None => format!("knobs are {}", shapes.join(", ")),
            };
            cx.reader.invalid(
                &knob,
                format!("`{path}` is not a knob `plan` can turn"),
                Some(help),
            );
            return None;
        };
        let values = match (min, max, values) {
            (None, None, Some(values)) => {
                let items = cx.reader.array(&values)?;
                let mut list = Vec::with_capacity(items.len());
                for value in &items {
                    match (bounds, value.value) {
                        (None, _) => list.push(cx.reader.string(value)?.to_owned()),
                        (Some((low, high)), _) => {
                            let count = cx.reader.integer(value, low as u64, high as u64)?;
                            list.push(count.to_string());
                        }
                    }
                }
                if list.is_empty() {
                    cx.reader.invalid(
                        &values,
                        "`values` is empty",
                        Some("list at least one value".to_owned()),
                    );
                    return None;
                }
                KnobValues::List(list)
            }
            (min, max, None) if bounds.is_some() && min.is_some() && max.is_some() => {
                let (low, high) = bounds.expect("checked");
                let (min, max) = (min.expect("checked"), max.expect("checked"));
                let min_value = cx.reader.integer(&min, low as u64, high as u64)? as u32;
                let max_value = cx.reader.integer(&max, low as u64, high as u64)? as u32;
                if min_value > max_value {
                    cx.reader.invalid(
                        &max,
                        format!("`max = {max_value}` is below `min = {min_value}`"),
                        None,
                    );
                    return None;
                }
                KnobValues::Range {
                    min: min_value,
                    max: max_value,
                }
            }
            _ => {
                let help = if bounds.is_none() {
                    "a size knob lists its sizes: `values = [\"m5.large\", \"m5.xlarge\"]`"
                } else {
                    "give `min` and `max` (`min = 0, max = 5`), or `values = [1, 2, 4]`"
                };
                cx.reader.invalid(
                    item,
                    format!("the knob `{path}` needs either `min` and `max` or `values`"),
                    Some(help.to_owned()),
                );
                return None;
            }
        };
        Some(PlanKnob {
            section: section.to_owned(),
            component,
            field: field.to_owned(),
            values,
            span: knob.span.clone(),
            at: knob.path.clone(),
        })
    }
}

impl Kind for Knobs {
    type Value = Vec<PlanKnob>;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<Vec<PlanKnob>> {
        let items = cx.reader.array(node)?;
        let read: Vec<Option<PlanKnob>> = items.iter().map(|item| Knobs::read_one(cx, item)).collect();
        read.into_iter().collect()
    }

    fn schema(&self, _: &mut SchemaGenerator) -> Value {
        serde_json::json!({
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "knob": { "type": "string" },
                    "min": { "type": "integer", "minimum": 0 },
                    "max": { "type": "integer", "minimum": 0 },
                    "values": { "type": "array", "items": { "type": ["string", "integer"] } }
                },
                "required": ["knob"],
                "additionalProperties": false
            }
        })
    }

    fn toml(&self, value: &Vec<PlanKnob>) -> String {
        let items: Vec<String> = value
            .iter()
            .map(|knob| {
                let path = format!(
                    "{}.{}.{}",
                    knob.section,
                    super::dump::key(&knob.component),
                    knob.field
                );
                let range = match &knob.values {
                    KnobValues::Range { min, max } => format!("min = {min}, max = {max}"),
                    KnobValues::List(list) if knob.field == "size" => format!(
                        "values = [{}]",
                        list.iter()
                            .map(|v| toml::Value::String(v.clone()).to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    KnobValues::List(list) => format!("values = [{}]", list.join(", ")),
                };
                format!("{{ knob = {}, {range} }}", toml::Value::String(path))
            })
            .collect();
        format!("[{}]", items.join(", "))
    }
}

/// `survive = ["database.db.primary", { name = "dc-us lost", kill = "datacenter.dc-us", at = "2m" }, …]`:
/// component targets, and drills read by the `[[faults]]` reader with a `name`.
pub(crate) struct Survive;

/// The shapes `survive` accepts.
const SURVIVE_SHAPES: &str = concat!(
    "pool.NAME.instance[*], database.NAME.primary, database.NAME.replica[*], \
     database.NAME.shard[S].primary, cache.NAME.node[*], datacenter.NAME, or a drill: ",
    super::parse::drill_example!()
);

impl Survive {
    fn read_target(cx: &mut Cx, item: &Node) -> Option<SurviveTarget> {
        let text = cx.reader.string(item)?.trim().to_owned();
        let Some(spec) = super::parse::parse_fault_target(&fault_target(&text))
            .filter(|spec| survive_component(spec).is_some())
        else {
            cx.reader.invalid(
                item,
                format!("`{text}` is not a failure `plan` can survive"),
                Some(format!("survive one of {SURVIVE_SHAPES}")),
            );
            return None;
        };
        // It strikes a third into the run, which the results must measure.
        if let Some(RunTimes { duration, warmup }) = cx.run_times
            && third_of(duration) < warmup
        {
            let at = third_of(duration);
            cx.reader.invalid(
                item,
                format!(
                    "`{text}` fails a third into the run ({at}), inside the warm-up (`warmup` = {warmup}), \
                     which the results leave out"
                ),
                Some(format!(
                    "the design would be judged without the failure: shorten `warmup` to at most {at}, or \
                     survive it as a drill with its own `at`: {{ name = \"{text}\", kill = \"{}\", at = \"{warmup}\" }}",
                    fault_target(&text)
                )),
            );
            return None;
        }
        Some(SurviveTarget {
            text,
            failure: Survived::Kill(cx.names.fault_target(&spec)),
            span: item.span.clone(),
            at: item.path.clone(),
        })
    }

    fn read_drill(cx: &mut Cx, item: &Node) -> Option<SurviveTarget> {
        let mut table = cx.reader.table(item)?;
        let name = table.require(&mut cx.reader, "name", "\"dc-us lost\"");
        let read = super::parse::read_fault_keys(cx, item, table, FaultUse::Drill);
        let name_node = name?;
        let name = cx.reader.string(&name_node)?.trim().to_owned();
        if name.is_empty() {
            cx.reader.invalid(
                &name_node,
                "a drill's `name` is empty",
                Some("name it as reports should: `name = \"dc-us lost\"`".to_owned()),
            );
            return None;
        }
        let read = read?;
        let refuse = |cx: &mut Cx, message: &str, help: &str| {
            cx.reader
                .invalid(item, format!("drill `{name}`: {message}"), Some(help.to_owned()));
        };
        // The reader refuses a drill's `restore`, `mtbf`, `mttr` and
        // `every` (`NOT_IN_A_DRILL`): what it returns strikes at `at`.
        let (action, keys) = match read.fault.action {
            FaultAction::Kill(keys) => ("kill", inline(|out| keys.dump_keys(out))),
            FaultAction::Slow(keys) => ("slow", inline(|out| keys.dump_keys(out))),
            FaultAction::Partition => ("partition", String::new()),
            FaultAction::Restore => unreachable!("the reader refuses a drill's `restore`"),
        };
        if let FaultTarget::CdnEdgeNamed { .. } = read.fault.target {
            refuse(
                cx,
                "a drill names a CDN edge by its index",
                "write `cdn.NAME.edge[I]`",
            );
            return None;
        }
        let mut keys_toml = format!("{action} = {}", read.target_toml);
        if !keys.is_empty() {
            keys_toml.push_str(", ");
            keys_toml.push_str(&keys);
        }
        let FaultTime::At { at, lasting } = read.fault.when else {
            unreachable!("the reader gives a drill its `at`")
        };
        keys_toml.push_str(&format!(", at = {}", duration_toml(at)));
        if let Some(lasting) = lasting {
            keys_toml.push_str(&format!(", for = {}", duration_toml(lasting)));
        }
        Some(SurviveTarget {
            text: name,
            failure: Survived::Drill {
                fault: read.fault,
                keys_toml,
            },
            span: item.span.clone(),
            at: item.path.clone(),
        })
    }
}

/// A section's `dump_keys` lines as the inside of an inline table.
fn inline(dump: impl FnOnce(&mut String)) -> String {
    let mut lines = String::new();
    dump(&mut lines);
    lines
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

fn duration_toml(value: SimDuration) -> String {
    toml::Value::String(super::units::format_duration(value)).to_string()
}

impl Kind for Survive {
    type Value = Vec<SurviveTarget>;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<Vec<SurviveTarget>> {
        let items = cx.reader.array(node)?;
        let mut targets: Vec<SurviveTarget> = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in &items {
            let read = if matches!(item.value, DeValue::Table(_)) {
                Survive::read_drill(cx, item)
            } else {
                Survive::read_target(cx, item)
            };
            let Some(target) = read else {
                ok = false;
                continue;
            };
            let twin = targets
                .iter()
                .any(|known| known.text == target.text && matches!(known.failure, Survived::Drill { .. }));
            if twin && matches!(target.failure, Survived::Drill { .. }) {
                cx.reader.invalid(
                    item,
                    format!("two drills are named `{}`", target.text),
                    Some("give each drill its own name: reports tell them apart by it".to_owned()),
                );
                ok = false;
                continue;
            }
            targets.push(target);
        }
        ok.then_some(targets)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        serde_json::json!({ "type": "array", "items": { "anyOf": [{ "type": "string" }, drill_schema(generator)] } })
    }

    fn toml(&self, value: &Vec<SurviveTarget>) -> String {
        let items: Vec<String> = value
            .iter()
            .map(|target| match &target.failure {
                Survived::Kill(_) => toml::Value::String(target.text.clone()).to_string(),
                Survived::Drill { keys_toml, .. } => format!(
                    "{{ name = {}, {keys_toml} }}",
                    toml::Value::String(target.text.clone())
                ),
            })
            .collect();
        format!("[{}]", items.join(", "))
    }
}

/// A drill's schema: the `[[faults]]` table's, with a `name`, less the keys
/// a drill refuses (`NOT_IN_A_DRILL`), and with `at` required beside one of
/// `kill`, `slow` and `partition` — what `Survive::read_drill` accepts.
fn drill_schema(generator: &mut SchemaGenerator) -> Value {
    let mut drill = <super::schema::Fault as schemars::JsonSchema>::json_schema(generator).to_value();
    let object = drill.as_object_mut().expect("a fault's schema is an object");
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for (key, _, _) in NOT_IN_A_DRILL {
            properties.remove(key);
        }
        properties.insert(
            "name".to_owned(),
            serde_json::json!({ "type": "string", "pattern": "\\S", "description": "How reports name the drill (not blank)." }),
        );
    }
    object.insert(
        "description".to_owned(),
        "A named drill: a `[[faults]]` entry that breaks something (`kill`, `slow` or `partition`)\n\
         once, at its `at`."
            .into(),
    );
    object.insert("required".to_owned(), serde_json::json!(["name", "at"]));
    object.insert(
        "allOf".to_owned(),
        serde_json::json!([{ "oneOf": [
            { "required": ["kill"] },
            { "required": ["slow"] },
            { "required": ["partition"] },
        ] }]),
    );
    drill
}

/// The kind and component a survivable component target hits.
fn survive_component(spec: &FaultSpec) -> Option<(&'static str, &str)> {
    match spec {
        FaultSpec::PoolInstance { pool, .. } => Some(("pool", pool)),
        FaultSpec::DatabasePrimary { database, .. } | FaultSpec::DatabaseReplica { database, .. } => {
            Some(("database", database))
        }
        FaultSpec::CacheNode { cache, .. } => Some(("cache", cache)),
        FaultSpec::Datacenter { datacenter } => Some(("datacenter", datacenter)),
        _ => None,
    }
}

fn names<'a>(scenario: &'a Scenario, section: &str) -> Vec<&'a str> {
    match section {
        "pool" => scenario.pools.iter().map(|p| p.name.as_str()).collect(),
        "database" => scenario.databases.iter().map(|d| d.name.as_str()).collect(),
        "cache" => scenario.caches.iter().map(|c| c.name.as_str()).collect(),
        "balancer" => scenario.balancers.iter().map(|b| b.name.as_str()).collect(),
        "datacenter" => scenario.geo.datacenters.iter().map(|d| d.name.as_str()).collect(),
        _ => Vec::new(),
    }
}

fn unknown(span: &Range<usize>, at: &str, message: String, known: &[&str], name: &str) -> Diagnostic {
    let help = match did_you_mean(name, known.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None if known.is_empty() => "the scenario has none".to_owned(),
        None => format!("known: {}", known.join(", ")),
    };
    Diagnostic::error(message)
        .at(span.clone())
        .path(at.to_owned())
        .label("not in this scenario")
        .help(help)
}

/// Checks `[plan]` against the scenario: every knob's component exists
/// (and can be turned: a balancer with `cores`), every size is known, and
/// every survived target names a component.
pub(crate) fn check(scenario: &Scenario) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for knob in &scenario.plan.knobs {
        let known = names(scenario, &knob.section);
        if !known.contains(&knob.component.as_str()) {
            diagnostics.push(unknown(
                &knob.span,
                &knob.at,
                format!(
                    "the knob's {} `{}` is not in the scenario",
                    knob.section, knob.component
                ),
                &known,
                &knob.component,
            ));
            continue;
        }
        if let KnobValues::List(list) = &knob.values
            && knob.field == "size"
        {
            for size in list {
                if scenario.size(size).is_none() && super::parse::builtin_size(size).is_none() {
                    let catalogue: Vec<&str> = super::parse::BUILTIN_SIZES
                        .iter()
                        .map(|b| b.name)
                        .chain(scenario.sizes.iter().map(|s| s.name.as_str()))
                        .collect();
                    diagnostics.push(unknown(
                        &knob.span,
                        &knob.at,
                        format!(
                            "the size `{size}` of knob `{}` is not a known size",
                            knob.component
                        ),
                        &catalogue,
                        size,
                    ));
                }
            }
        }
        if knob.section == "balancer"
            && scenario
                .balancer(&knob.component)
                .is_some_and(|balancer| balancer.cores.is_none())
        {
            diagnostics.push(
                Diagnostic::error(format!(
                    "balancer `{}` has no `cores`: its capacity is unlimited, nothing to plan",
                    knob.component
                ))
                .at(knob.span.clone())
                .path(knob.at.clone())
                .help("give the balancer `cores` to make it a knob"),
            );
        }
    }
    // A drill's target is checked where the `[[faults]]` reader records it.
    for target in &scenario.plan.survive {
        if let Survived::Drill { fault, .. } = &target.failure {
            if let FaultTarget::Partition { a, b } = fault.target
                && a == b
                && a.index() < scenario.geo.datacenters.len()
            {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "drill `{}`: a partition separates two data centers, not `{}` from itself",
                        target.text, scenario.geo.datacenters[a].name
                    ))
                    .at(target.span.clone())
                    .path(target.at.clone()),
                );
            }
            continue;
        }
        let Some(spec) = super::parse::parse_fault_target(&fault_target(&target.text)) else {
            continue;
        };
        let Some((section, component)) = survive_component(&spec) else {
            continue;
        };
        let component = component.to_owned();
        let known = names(scenario, section);
        if !known.contains(&component.as_str()) {
            diagnostics.push(unknown(
                &target.span,
                &target.at,
                format!(
                    "`{}` names {section} `{component}`, which is not in the scenario",
                    target.text
                ),
                &known,
                &component,
            ));
        }
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    const BASE: &str = "[scenario]\nduration = \"1s\"\n[workload]\narrivals = { kind = \"open\", rate = \"10/s\" }\n\
                        mix = [{ class = \"a\", call = \"web/e\" }]\n[pool.web]\nworkers = 4\nsize = \"m5.large\"\n\
                        [pool.web.endpoint.e]\nservice = \"1ms\"\nsteps = [{ read = \"db\" }]\n\
                        [database.db]\nread = \"1ms\"\nsize = \"db.m5.large\"\n";

    fn error(plan: &str) -> String {
        load_str(&format!("{BASE}[plan]\n{plan}"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn knobs_and_targets_are_read() {
        let text = format!(
            "{BASE}[plan]\nknobs = [{{ knob = \"database.db.replicas\", min = 0, max = 3 }}, \
             {{ knob = \"pool.web.size\", values = [\"m5.large\", \"m5.xlarge\"] }}]\n\
             survive = [\"database.db.primary\", \"pool.web.instance[*]\"]\nload = \"200/s\"\n"
        );
        let plan = load_str(&text).unwrap().scenario.plan;
        assert_eq!(plan.knobs.len(), 2);
        assert_eq!(plan.knobs[0].values, KnobValues::Range { min: 0, max: 3 });
        assert_eq!(plan.knobs[1].field, "size");
        assert_eq!(fault_target(&plan.survive[1].text), "pool.web.instance[0]");
        assert_eq!(plan.load, Some(200.0));
    }

    #[test]
    fn misspellings_get_a_hint() {
        let field = error("knobs = [{ knob = \"database.db.replica\", min = 0, max = 3 }]\n");
        assert!(field.contains("did you mean \"database.db.replicas\""), "{field}");
        let component = error("knobs = [{ knob = \"database.dbb.replicas\", min = 0, max = 3 }]\n");
        assert!(component.contains("did you mean `db`"), "{component}");
        let size = error("knobs = [{ knob = \"pool.web.size\", values = [\"m5.larg\"] }]\n");
        assert!(size.contains("did you mean `m5.large`"), "{size}");
        let target = error("survive = [\"database.dbb.primary\"]\n");
        assert!(target.contains("did you mean `db`"), "{target}");
        let shape = error("survive = [\"database.db\"]\n");
        assert!(shape.contains("not a failure `plan` can survive"), "{shape}");
        let range = error("knobs = [{ knob = \"database.db.replicas\", min = 3, max = 1 }]\n");
        assert!(range.contains("below `min = 3`"), "{range}");
    }

    #[test]
    fn a_drill_is_a_named_fault_and_dumps_back() {
        let text = format!(
            "{BASE}[plan]\nsurvive = [\"database.db.primary\", \
             {{ name = \"slow db\", slow = \"database.db.primary\", factor = 3, at = \"200ms\", for = \"300ms\" }}, \
             {{ name = \"hung web\", kill = \"pool.web.instance[0]\", mode = \"hang\", at = \"0.5s\" }}]\n"
        );
        let scenario = load_str(&text).unwrap().scenario;
        let survive = &scenario.plan.survive;
        assert_eq!(survive.len(), 3);
        assert_eq!(survive[1].label(), "drill `slow db`");
        let Survived::Drill { fault, keys_toml } = &survive[1].failure else {
            panic!("a drill: {:?}", survive[1]);
        };
        assert!(matches!(fault.action, FaultAction::Slow(keys) if keys.factor == 3.0));
        assert_eq!(
            fault.when,
            FaultTime::At {
                at: SimDuration::from_millis(200),
                lasting: Some(SimDuration::from_millis(300))
            }
        );
        assert!(
            keys_toml.starts_with("slow = \"database.db.primary\", factor = 3"),
            "{keys_toml}"
        );
        let Survived::Drill { fault, .. } = &survive[2].failure else {
            panic!("a drill: {:?}", survive[2]);
        };
        assert!(
            matches!(fault.action, FaultAction::Kill(keys) if keys.mode == super::super::types::KillMode::Hang)
        );
        // The component target strikes a third into the run.
        let kill = survive[0].fault(&scenario).unwrap();
        assert_eq!(
            kill.when,
            FaultTime::At {
                at: SimDuration::from_nanos(scenario.duration.as_nanos() / 3),
                lasting: None
            }
        );
        // Dumped and loaded back, the drills are the same.
        let dumped = crate::scenario::dump::resolved(&scenario).toml;
        let again = load_str(&dumped).unwrap().scenario;
        assert_eq!(again.plan.survive, scenario.plan.survive, "{dumped}");
    }

    #[test]
    fn a_drill_is_checked_like_a_fault() {
        let drill = |keys: &str| error(&format!("survive = [{{ name = \"d\", {keys} }}]\n"));
        let target = drill("kill = \"database.dbb.primary\", at = \"500ms\"");
        assert!(target.contains("did you mean `db`"), "{target}");
        let key = drill("kill = \"database.db.primary\", mdoe = \"hang\", at = \"500ms\"");
        assert!(key.contains("did you mean `mode`"), "{key}");
        let restore = drill("restore = \"database.db.primary\", at = \"500ms\"");
        assert!(restore.contains("a restore alone breaks nothing"), "{restore}");
        let random = drill("kill = \"database.db.primary\", mtbf = \"1s\", mttr = \"1s\"");
        assert!(random.contains("not at random"), "{random}");
        let periodic = drill("kill = \"database.db.primary\", every = \"1s\", mttr = \"1s\"");
        assert!(periodic.contains("not periodically"), "{periodic}");
        let unnamed = error("survive = [{ kill = \"database.db.primary\", at = \"500ms\" }]\n");
        assert!(unnamed.contains("`name`"), "{unnamed}");
        let twice = error(
            "survive = [{ name = \"d\", kill = \"database.db.primary\", at = \"500ms\" }, \
             { name = \"d\", kill = \"pool.web.instance[0]\", at = \"500ms\" }]\n",
        );
        assert!(twice.contains("two drills are named `d`"), "{twice}");
    }

    #[test]
    fn a_drill_must_say_when_it_strikes() {
        // No default time: the error points at the drill, names `at` and
        // says why no other time key will do.
        let text = format!("{BASE}[plan]\nsurvive = [{{ name = \"d\", kill = \"database.db.primary\" }}]\n");
        let Err(error) = load_str(&text) else {
            panic!("a drill without `at` loads")
        };
        let diagnostics: Vec<_> = error.errors().collect();
        assert_eq!(diagnostics.len(), 1, "{error}");
        assert_eq!(diagnostics[0].message, "a drill needs `at`: when it strikes");
        assert_eq!(diagnostics[0].path.as_deref(), Some("plan.survive[0].at"));
        assert!(
            diagnostics[0]
                .help
                .as_deref()
                .unwrap()
                .contains("no default time")
        );
        // Each refused key is reported where it stands, its hint asking for `at`.
        let text = text.replace("primary\" }", "primary\", mtbf = \"1s\", mttr = \"2s\" }");
        let error = load_str(&text).unwrap_err();
        let paths: Vec<&str> = error.errors().filter_map(|d| d.path.as_deref()).collect();
        assert_eq!(paths, ["plan.survive[0].mtbf", "plan.survive[0].mttr"], "{error}");
        assert!(
            error
                .errors()
                .all(|d| d.help.as_deref().unwrap().starts_with("give `at`"))
        );
    }

    #[test]
    fn a_drill_strikes_while_the_run_measures() {
        let base = BASE.replace(
            "duration = \"1s\"",
            "duration = \"1m\"\nwarmup = \"10s\"\nwindow = \"5s\"",
        );
        let plan = |survive: &str| format!("{base}[plan]\nsurvive = [{survive}]\n");
        let drill = |at: &str| {
            plan(&format!(
                "{{ name = \"d\", kill = \"database.db.primary\", at = \"{at}\" }}"
            ))
        };
        for at in ["10s", "30s", "59s"] {
            assert!(load_str(&drill(at)).is_ok(), "a drill at {at}");
        }
        let late = load_str(&drill("1m")).unwrap_err();
        let late: Vec<_> = late.errors().collect();
        assert_eq!(late.len(), 1);
        let late = late[0];
        assert!(late.is_error());
        assert_eq!(
            late.message,
            "this drill strikes at 1m, at or after the end of the run (`duration` = 1m): it never strikes"
        );
        assert_eq!(late.path.as_deref(), Some("plan.survive[0].at"));
        assert!(late.help.as_deref().unwrap().contains("tests nothing"));
        let early = load_str(&drill("5s")).unwrap_err();
        let early = early.errors().next().unwrap();
        assert!(
            early.message.contains("inside the warm-up (`warmup` = 10s)"),
            "{}",
            early.message
        );
        assert!(early.help.as_deref().unwrap().contains("shorten `warmup`"));
        // Both at once, with another problem elsewhere.
        let both = plan(
            "{ name = \"late\", kill = \"database.db.primary\", at = \"2m\" }, \
             { name = \"early\", slow = \"pool.web.instance[0]\", factor = 2, at = \"0s\", for = \"5s\" }, \
             { name = \"split\", partition = [\"a\", \"b\"], at = \"90s\" }",
        );
        let error = load_str(&both.replace("workers = 4", "workers = 0")).unwrap_err();
        let messages: Vec<&str> = error.errors().map(|d| d.message.as_str()).collect();
        assert!(
            messages.iter().any(|m| m.contains("at 2m, at or after the end")),
            "{error}"
        );
        assert!(
            messages.iter().any(|m| m.contains("at 0s, inside the warm-up")),
            "{error}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("at 1m30s") || m.contains("at 90s")),
            "{error}"
        );
        assert!(messages.iter().any(|m| m.contains("workers")), "{error}");
        // A component target strikes a third into the run: 20 s here, but
        // inside a 30 s warm-up.
        let target = plan("\"database.db.primary\"");
        assert!(load_str(&target).is_ok());
        let error = load_str(&target.replace("warmup = \"10s\"", "warmup = \"30s\"")).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("fails a third into the run (20s), inside the warm-up"),
            "{error}"
        );
    }

    #[test]
    fn a_design_without_the_target_has_nothing_to_lose() {
        let text = format!("{BASE}[plan]\nsurvive = [\"database.db.replica[*]\"]\n");
        let text = text.replace(
            "[database.db]\n",
            "[keyspace.items]\nkeys = 100\n[database.db]\nreplicas = 1\nkeyspace = \"items\"\n",
        );
        let scenario = load_str(&text).unwrap().scenario;
        assert!(scenario.plan.survive[0].fault(&scenario).is_ok());
        let none = load_str(&format!(
            "{BASE}[plan]\nknobs = [{{ knob = \"database.db.replicas\", min = 0, max = 1 }}]\n"
        ))
        .unwrap()
        .scenario;
        let missing = scenario.plan.survive[0].fault(&none).unwrap_err();
        assert!(missing.contains("a replica that does not exist"), "{missing}");
    }
}
