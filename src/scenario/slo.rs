//! Service-level objectives: the grammar `[SCOPE/]METRIC OP THRESHOLD`
//! (`p99<200ms`, `error_rate<0.001`, `errors<0.1%`, `web/cpu_utilization<=0.8`,
//! `drill:db.primary/rto_s<30s`), shared by `--slo` flags
//! and the scenario's `[slo] objectives`, and the `[slo]` checks at load.
//!
//! `OP` is one of `<`, `<=`, `>`, `>=`. `SCOPE` defaults to `overall`.
//! `METRIC` is any metric of the catalogue (`metrics::catalog`; a misspelt
//! one gets a suggestion), or a short name: `p50`, `p95`, `p99`, `p999`,
//! `mean`, `max` (latency), `errors` (`error_rate`), `throughput`
//! (`throughput_rps`), `rto`, `rpo` (`rto_s`, `rpo_s`), `cost`
//! (`cost_per_month_usd`). The threshold is read in the metric's unit, given
//! by the end of its name: a duration for `_ms` and `_s` metrics (`200ms`,
//! `1.5s`; a bare number is taken in the metric's unit only when the full
//! metric name says it), a rate or number for `_rps`, and a number or a
//! percentage (`0.1%`) for everything else.
//!
//! In a scenario, each objective's scope must be one the scenario has
//! (`overall`, `class:<name>`, a component, a database or cache node, a
//! drill's target) and the metric must be measured there: checked at load,
//! so a typo is an error before anything runs. `drill:<target>` (without
//! `@<time>s`) stands for every drill on that target.

use std::fmt;

use schemars::SchemaGenerator;
use serde_json::Value;

use super::diagnostic::Diagnostic;
use super::parse::{Cx, RefKind, Reference};
use super::reader::{Node, did_you_mean};
use super::section::Kind;
use super::types::{FaultTime, Scenario};
use super::units::{parse_duration, parse_percent, parse_rate};
use crate::metrics::catalog::{self as metric, Metric, Scope, suggest};

/// How a measured value must compare to the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Less => "<",
            Op::LessOrEqual => "<=",
            Op::Greater => ">",
            Op::GreaterOrEqual => ">=",
        }
    }

    pub fn holds(self, measured: f64, threshold: f64) -> bool {
        match self {
            Op::Less => measured < threshold,
            Op::LessOrEqual => measured <= threshold,
            Op::Greater => measured > threshold,
            Op::GreaterOrEqual => measured >= threshold,
        }
    }
}

/// One objective on one summary metric, the threshold in the metric's unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    pub scope: String,
    pub metric: String,
    pub op: Op,
    pub threshold: f64,
    /// The objective as the user wrote it.
    pub text: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SloError {
    #[error("invalid SLO `{text}`: expected METRIC<THRESHOLD, like `p99<200ms` or `error_rate<0.001`")]
    NoOperator { text: String },
    #[error("invalid SLO `{text}`: the metric is missing before `{op}`")]
    NoMetric { text: String, op: &'static str },
    #[error("invalid SLO `{text}`: `{metric}` is not a metric name (use letters, digits and `_`)")]
    BadMetric { text: String, metric: String },
    #[error("invalid SLO `{text}`: `{metric}` is not a metric{}", suggestion.map_or(String::new(), |known| format!(" (did you mean `{known}`?)")))]
    UnknownMetric {
        text: String,
        metric: String,
        suggestion: Option<&'static str>,
    },
    #[error("invalid SLO `{text}`: {reason}")]
    BadThreshold { text: String, reason: String },
}

/// Short names for the metrics objectives are most often about.
const ALIASES: [(&str, &str); 11] = [
    ("p50", metric::LATENCY_P50_MS.name),
    ("p95", metric::LATENCY_P95_MS.name),
    ("p99", metric::LATENCY_P99_MS.name),
    ("p999", metric::LATENCY_P999_MS.name),
    ("mean", metric::LATENCY_MEAN_MS.name),
    ("max", metric::LATENCY_MAX_MS.name),
    ("errors", metric::ERROR_RATE.name),
    ("throughput", metric::THROUGHPUT_RPS.name),
    ("rto", metric::RTO_S.name),
    ("rpo", metric::RPO_S.name),
    ("cost", metric::COST_PER_MONTH_USD.name),
];
/// Parses one objective.
pub fn parse(text: &str) -> Result<Slo, SloError> {
    let trimmed = text.trim();
    let (left, op, right) = split_operator(trimmed).ok_or_else(|| SloError::NoOperator {
        text: text.to_owned(),
    })?;
    let left = left.trim();
    if left.is_empty() {
        return Err(SloError::NoMetric {
            text: text.to_owned(),
            op: op.symbol(),
        });
    }
    let (scope, written_metric) = match left.rsplit_once('/') {
        Some((scope, metric)) if !scope.trim().is_empty() => (scope.trim(), metric.trim()),
        _ => ("overall", left),
    };
    if written_metric.is_empty()
        || !written_metric
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(SloError::BadMetric {
            text: text.to_owned(),
            metric: written_metric.to_owned(),
        });
    }
    let alias = ALIASES.iter().find(|(short, _)| *short == written_metric);
    let metric = alias.map_or(written_metric, |(_, full)| full);
    if metric::lookup(metric).is_none() {
        return Err(SloError::UnknownMetric {
            text: text.to_owned(),
            metric: metric.to_owned(),
            suggestion: suggest(metric),
        });
    }
    let threshold =
        parse_threshold(metric, right.trim(), alias.is_some()).map_err(|reason| SloError::BadThreshold {
            text: text.to_owned(),
            reason,
        })?;
    Ok(Slo {
        scope: scope.to_owned(),
        metric: metric.to_owned(),
        op,
        threshold,
        text: trimmed.to_owned(),
    })
}

/// Parses every objective, stopping at the first bad one.
pub fn parse_all(texts: &[String]) -> Result<Vec<Slo>, SloError> {
    texts.iter().map(|text| parse(text)).collect()
}

fn split_operator(text: &str) -> Option<(&str, Op, &str)> {
    let index = text.find(['<', '>'])?;
    let (left, rest) = text.split_at(index);
    let (op, length) = match (rest.as_bytes()[0], rest.as_bytes().get(1)) {
        (b'<', Some(b'=')) => (Op::LessOrEqual, 2),
        (b'<', _) => (Op::Less, 1),
        (b'>', Some(b'=')) => (Op::GreaterOrEqual, 2),
        _ => (Op::Greater, 1),
    };
    Some((left, op, &rest[length..]))
}

/// Reads `text` in the unit of `metric`.
fn parse_threshold(metric: &str, text: &str, short_name: bool) -> Result<f64, String> {
    if text.is_empty() {
        return Err("the threshold is missing".to_owned());
    }
    let bare: Option<f64> = text.parse().ok().filter(|value: &f64| value.is_finite());
    let seconds = metric.ends_with("_s");
    let value = if metric.ends_with("_ms") || seconds {
        let per_second = if seconds { 1.0 } else { 1e3 };
        match bare {
            Some(_) if short_name => {
                return Err(format!("`{text}` has no unit: write `{text}ms` or `{text}s`"));
            }
            Some(in_unit) => in_unit,
            None => parse_duration(text)?.as_secs_f64() * per_second,
        }
    } else if metric.ends_with("_rps") && text.contains('/') {
        parse_rate(text)?
    } else if text.ends_with('%') {
        parse_percent(text)?
    } else {
        bare.ok_or_else(|| format!("`{text}` is not a number"))?
    };
    if value < 0.0 {
        return Err(format!("`{text}` is negative"));
    }
    Ok(value)
}

/// `scope/metric op threshold`, the scope left out when it is `overall`.
impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scope != "overall" {
            write!(f, "{}/", self.scope)?;
        }
        write!(f, "{} {} {}", self.metric, self.op.symbol(), self.threshold)
    }
}

/// `objectives = ["p99 < 300ms", …]`: each string an objective in the
/// grammar above, its metric checked here and its scope recorded as a
/// reference for [`check_scopes`], once every component is known.
pub(crate) struct Objectives;

impl Kind for Objectives {
    type Value = Vec<Slo>;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<Vec<Slo>> {
        read_objectives(cx, node, true)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        objectives_schema(generator)
    }

    fn toml(&self, value: &Vec<Slo>) -> String {
        objectives_toml(value)
    }
}

/// `[plan] degraded`: objectives like `[slo]`'s, but a `drill:` scope is
/// left unchecked at load (the drill is the planner's survived failure,
/// not a fault of the scenario).
pub(crate) struct DegradedObjectives;

impl Kind for DegradedObjectives {
    type Value = Vec<Slo>;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<Vec<Slo>> {
        read_objectives(cx, node, false)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        objectives_schema(generator)
    }

    fn toml(&self, value: &Vec<Slo>) -> String {
        objectives_toml(value)
    }
}

/// Reads a list of objectives; `drills`: a `drill:` scope is checked too.
fn read_objectives(cx: &mut Cx, node: &Node, drills: bool) -> Option<Vec<Slo>> {
    {
        let items = cx.reader.array(node)?;
        let mut objectives = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in &items {
            let Some(text) = cx.reader.string(item) else {
                ok = false;
                continue;
            };
            match parse(text) {
                Ok(slo) if !drills && slo.scope.starts_with("drill:") => objectives.push(slo),
                Ok(slo) => {
                    let metric =
                        metric::lookup(&slo.metric).expect("a parsed objective names a catalogued metric");
                    cx.references.push(Reference {
                        kind: RefKind::SloScope { metric },
                        name: slo.scope.clone(),
                        endpoint: None,
                        span: item.span.clone(),
                        path: item.path.clone(),
                    });
                    objectives.push(slo);
                }
                Err(error) => {
                    let help = match &error {
                        SloError::UnknownMetric {
                            metric,
                            suggestion: Some(known),
                            ..
                        } => format!(
                            "did you mean \"{}\"?",
                            text.trim().replacen(metric.as_str(), known, 1)
                        ),
                        SloError::UnknownMetric { .. } => {
                            "README.md, \"Metrics\", lists every metric and the scopes it is measured in"
                                .to_owned()
                        }
                        _ => "an objective is `[SCOPE/]METRIC OP THRESHOLD`, like \"p99 < 300ms\", \
                              \"class:view/p99 < 300ms\" or \"web/cpu_utilization < 0.8\""
                            .to_owned(),
                    };
                    cx.reader.invalid(item, error.to_string(), Some(help));
                    ok = false;
                }
            }
        }
        ok.then_some(objectives)
    }
}

fn objectives_schema(_: &mut SchemaGenerator) -> Value {
    serde_json::json!({
        "type": "array",
        "items": {
            "type": "string",
            "pattern": r"^\s*[^<>]+(<=|>=|<|>)[^<>]+$"
        }
    })
}

fn objectives_toml(value: &[Slo]) -> String {
    let texts: Vec<String> = value
        .iter()
        .map(|slo| toml::Value::String(slo.text.clone()).to_string())
        .collect();
    format!("[{}]", texts.join(", "))
}

/// What kind of scope `scope` is in `scenario`, or `None` when it names
/// nothing there. `drills` are the fault targets (`None`: not known, any
/// `drill:` scope is taken).
fn scope_kind(scenario: &Scenario, scope: &str, drills: Option<&[(String, Option<f64>)]>) -> Option<Scope> {
    fn named<'a>(mut names: impl Iterator<Item = &'a str>, name: &str) -> bool {
        names.any(|known| known == name)
    }
    if scope == "overall" {
        return Some(Scope::Overall);
    }
    if let Some(class) = scope.strip_prefix("class:") {
        return named(scenario.workload.mix.iter().map(|c| c.name.as_str()), class).then_some(Scope::Class);
    }
    if let Some(region) = scope.strip_prefix("region:") {
        return named(scenario.geo.regions.iter().map(|r| r.name.as_str()), region).then_some(Scope::Region);
    }
    if let Some(datacenter) = scope.strip_prefix("datacenter:") {
        return named(
            scenario.geo.datacenters.iter().map(|d| d.name.as_str()),
            datacenter,
        )
        .then_some(Scope::Datacenter);
    }
    if let Some(pair) = scope.strip_prefix("link:") {
        let (a, b) = pair.split_once('/')?;
        let region = |name: &str| scenario.geo.regions.iter().any(|r| r.name == name);
        return (region(a) && region(b)).then_some(Scope::Link);
    }
    if let Some(drill) = scope.strip_prefix("drill:") {
        let Some(drills) = drills else {
            return Some(Scope::Drill);
        };
        let (target, at) = match drill.split_once('@') {
            Some((target, at)) => (target, Some(at.strip_suffix('s')?.parse::<f64>().ok()?)),
            None => (drill, None),
        };
        let found = drills.iter().any(|(known, time)| {
            // A random fault's drills strike at drawn times: any time is taken.
            known == target && (at.is_none() || time.is_none() || *time == at)
        });
        return found.then_some(Scope::Drill);
    }
    if scenario.pool(scope).is_some() {
        return Some(Scope::Pool);
    }
    if scenario.database(scope).is_some() {
        return Some(Scope::Database);
    }
    if scenario.balancer(scope).is_some() {
        return Some(Scope::Balancer);
    }
    if scenario.queue(scope).is_some() {
        return Some(Scope::Queue);
    }
    if scenario.cache(scope).is_some() {
        return Some(Scope::Cache);
    }
    if scenario.cdn(scope).is_some() {
        return Some(Scope::Cdn);
    }
    if scenario.dns_name(scope).is_some() {
        return Some(Scope::Dns);
    }
    if let Some((dns, _)) = scope.split_once('/') {
        return scenario.dns_name(dns).map(|_| Scope::DnsTarget);
    }
    let (owner, _) = scope.split_once('.')?;
    if let Some(database) = scenario.database(owner) {
        // A reshard adds shards during the run: any node of the database.
        let known = database.reshard.is_some() || node_scopes(scenario).iter().any(|node| node == scope);
        return known.then_some(Scope::DatabaseNode);
    }
    if scenario.cache(owner).is_some() {
        return node_scopes(scenario)
            .iter()
            .any(|node| node == scope)
            .then_some(Scope::CacheNode);
    }
    scenario.cdn(owner).map(|_| Scope::CdnEdge)
}

/// The database and cache node scopes the scenario's summary has.
fn node_scopes(scenario: &Scenario) -> Vec<String> {
    let mut nodes = Vec::new();
    for database in &scenario.databases {
        for shard in 0..database.shards {
            nodes.extend((0..=database.replicas).map(|slot| database.node_name(shard, slot)));
        }
    }
    for cache in &scenario.caches {
        if cache.nodes > 1 {
            nodes.extend((0..cache.nodes).map(|node| format!("{}.node[{node}]", cache.name)));
        }
    }
    nodes
}

/// Scopes to offer for a misspelt one.
fn candidate_scopes(scenario: &Scenario, drills: Option<&[(String, Option<f64>)]>) -> Vec<String> {
    let mut scopes = vec!["overall".to_owned()];
    scopes.extend(scenario.workload.mix.iter().map(|c| format!("class:{}", c.name)));
    scopes.extend(scenario.geo.regions.iter().map(|r| format!("region:{}", r.name)));
    scopes.extend(
        scenario
            .geo
            .datacenters
            .iter()
            .map(|d| format!("datacenter:{}", d.name)),
    );
    scopes.extend(scenario.pools.iter().map(|c| c.name.clone()));
    scopes.extend(scenario.databases.iter().map(|c| c.name.clone()));
    scopes.extend(scenario.balancers.iter().map(|c| c.name.clone()));
    scopes.extend(scenario.queues.iter().map(|c| c.name.clone()));
    scopes.extend(scenario.caches.iter().map(|c| c.name.clone()));
    scopes.extend(scenario.cdns.iter().map(|c| c.name.clone()));
    scopes.extend(scenario.dns.iter().map(|c| c.name.clone()));
    scopes.extend(node_scopes(scenario));
    for (target, _) in drills.unwrap_or_default() {
        scopes.push(format!("drill:{target}"));
    }
    scopes
}

/// The drills a scenario can have: each fault's target and, for a fault
/// at a set time, that time in seconds.
fn drills(scenario: &Scenario) -> Vec<(String, Option<f64>)> {
    scenario
        .faults
        .iter()
        .map(|fault| {
            let at = match &fault.when {
                FaultTime::At { at, .. } => Some(at.as_secs_f64()),
                FaultTime::Random { .. } => None,
            };
            (scenario.fault_label(&fault.target), at)
        })
        .collect()
}

/// What is wrong with `slo`'s scope in `scenario` — it names nothing there,
/// or its metric is not measured there — as a message and a hint.
fn scope_problem(
    scenario: &Scenario,
    slo_scope: &str,
    metric: &Metric,
    drills: Option<&[(String, Option<f64>)]>,
) -> Option<(String, String)> {
    match scope_kind(scenario, slo_scope, drills) {
        None => {
            let candidates = candidate_scopes(scenario, drills);
            let help = match did_you_mean(slo_scope, candidates.iter().map(String::as_str)) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!(
                    "scopes here: {}",
                    super::reader::list(&candidates.iter().map(String::as_str).collect::<Vec<_>>())
                ),
            };
            Some((
                format!("the objective's scope `{slo_scope}` names nothing in this scenario"),
                help,
            ))
        }
        Some(kind) if !metric.scopes.contains(&kind) => {
            let measured: Vec<&str> = metric.scopes.iter().map(|scope| scope.label()).collect();
            Some((
                format!(
                    "`{}` is not measured for {} `{slo_scope}`",
                    metric.name,
                    article(kind.label())
                ),
                format!("`{}` is measured per {}", metric.name, measured.join(", per ")),
            ))
        }
        Some(_) => None,
    }
}

/// Checks objectives given outside the scenario (`--slo`) against a loaded
/// scenario, as `[slo]`'s are at load: one message (with its hint) per bad
/// scope.
pub fn check_objectives(scenario: &Scenario, objectives: &[Slo]) -> Vec<String> {
    let drills = drills(scenario);
    objectives
        .iter()
        .filter_map(|slo| {
            let metric = metric::lookup(&slo.metric)?;
            let (message, help) = scope_problem(scenario, &slo.scope, metric, Some(&drills))?;
            Some(format!("invalid SLO `{}`: {message} ({help})", slo.text))
        })
        .collect()
}

/// Checks the scope of every objective of `[slo]` against the scenario:
/// it must name something there, and its metric be measured in that kind of
/// scope. `faults_resolved`: the faults' targets are valid ids (no earlier
/// error), so drills can be named.
pub(crate) fn check_scopes(
    scenario: &Scenario,
    references: &[Reference],
    faults_resolved: bool,
) -> Vec<Diagnostic> {
    let drills = faults_resolved.then(|| drills(scenario));
    let mut diagnostics = Vec::new();
    for reference in references {
        let RefKind::SloScope { metric } = reference.kind else {
            continue;
        };
        if let Some((message, help)) = scope_problem(scenario, &reference.name, metric, drills.as_deref()) {
            diagnostics.push(
                Diagnostic::error(message)
                    .at(reference.span.clone())
                    .path(reference.path.clone())
                    .label("not in this scenario")
                    .help(help),
            );
        }
    }
    diagnostics
}

fn article(word: &str) -> String {
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {word}"),
        _ => format!("a {word}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_and_units() {
        let slo = parse("p99<200ms").unwrap();
        assert_eq!(
            (slo.scope.as_str(), slo.metric.as_str(), slo.op, slo.threshold),
            ("overall", "latency_p99_ms", Op::Less, 200.0)
        );
        assert_eq!(parse("p99 <= 1.5s").unwrap().threshold, 1500.0);
        assert_eq!(parse("errors<0.1%").unwrap().metric, "error_rate");
        assert!((parse("errors<0.1%").unwrap().threshold - 0.001).abs() < 1e-15);
        assert_eq!(parse("error_rate<0.001").unwrap().threshold, 0.001);
        assert_eq!(parse("throughput>=1.2k/s").unwrap().threshold, 1200.0);
        assert_eq!(parse("throughput>=500").unwrap().op, Op::GreaterOrEqual);
    }

    #[test]
    fn scoped_objectives() {
        let slo = parse("web/cpu_utilization<=80%").unwrap();
        assert_eq!(
            (slo.scope.as_str(), slo.metric.as_str()),
            ("web", "cpu_utilization")
        );
        assert!((slo.threshold - 0.8).abs() < 1e-15);
        let class = parse("class:view_page/p99<150ms").unwrap();
        assert_eq!(class.scope, "class:view_page");
        assert_eq!(class.to_string(), "class:view_page/latency_p99_ms < 150");
    }

    #[test]
    fn full_ms_names_take_bare_milliseconds() {
        assert_eq!(parse("latency_p99_ms<250").unwrap().threshold, 250.0);
    }

    #[test]
    fn unknown_metrics_are_named_with_a_suggestion() {
        let message = |text: &str| parse(text).unwrap_err().to_string();
        assert_eq!(
            message("web/cpu_utilisation<0.8"),
            "invalid SLO `web/cpu_utilisation<0.8`: `cpu_utilisation` is not a metric \
             (did you mean `cpu_utilization`?)"
        );
        assert_eq!(
            message("bananas<3"),
            "invalid SLO `bananas<3`: `bananas` is not a metric"
        );
    }

    #[test]
    fn bad_objectives_say_why() {
        let message = |text: &str| parse(text).unwrap_err().to_string();
        assert!(message("p99").contains("expected METRIC<THRESHOLD"));
        assert!(message("<200ms").contains("metric is missing"));
        assert!(message("p 99<200ms").contains("not a metric name"));
        assert!(message("p99<200").contains("has no unit: write `200ms`"));
        assert!(message("p99<").contains("threshold is missing"));
        assert!(message("error_rate<abc").contains("`abc` is not a number"));
        assert!(message("p99<200parsecs").contains("unknown duration unit"));
        assert!(message("error_rate<-1").contains("negative"));
    }
}
