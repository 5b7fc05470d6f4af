//! `plan`: the cheapest configuration that meets every SLO at a target
//! load, found by simulation and led by the bottleneck.
//!
//! 1. **Start** where the utilization law allows: each knob at the least
//!    value that keeps its station below ρ = 1 at the target load (the
//!    analytic estimate; below it a queue grows without bound, so no
//!    simulation is needed to rule those configurations out).
//! 2. **Raise** the bottleneck until every SLO holds: simulate the
//!    configuration (R replications), and while an SLO fails, raise the
//!    knob of the bottleneck station (the most utilized, preferring a
//!    resource busy with its own work over workers waiting on it: see
//!    `bottleneck`; a database by its hottest node, as `headroom` reads
//!    it) by one unit, or 10 % when it is at 10 or more, then simulate
//!    again.
//! 3. **Trim** the overshoot: knobs in order of monthly cost, most expensive
//!    first, are lowered one unit at a time while every SLO still holds.
//!
//! A `[host.*]` is judged by its own load: its cores are no knob (pool
//! instances, connections and balancer cores add none), so a host the
//! utilization law saturates ends the plan at once, naming it, and a
//! hosted component's floor follows its workers or connections only.
//!
//! An SLO holds *with 95 % confidence* when the conservative end of the
//! metric's 95 % interval over the replications meets it: the upper bound
//! for `<` objectives (`p99<200ms`), the lower bound for `>` ones. Each
//! configuration is simulated once (results are remembered), so the search
//! is deterministic. The search assumes more capacity never hurts (true of
//! every knob today); it stops when every knob that could help is at its
//! limit, when three raises in a row improve no failing SLO by 1 %, or when
//! its budget of simulated configurations is spent.

use std::collections::BTreeMap;

use crate::metrics::catalog as metric;
use crate::results::bottleneck::{self, Bottleneck};
use crate::results::headroom;
use crate::results::interval::IntervalSummary;
use crate::results::knobs::{HOURS_PER_MONTH, Knob, KnobKind};
use crate::results::plan::{Evaluation, Headroom, Outcome, Phase, Plan, PlanStep, SloCheck};
use crate::results::slo::{Op, Slo};
use crate::scenario::{Arrivals, OpenRate, Scenario};

use super::analytic;
use super::feasibility::{self, offered_rate};
use super::replicate::{aggregate, replicate_summaries};

/// What `plan` is asked.
#[derive(Clone, Debug)]
pub struct PlanSettings {
    pub slos: Vec<Slo>,
    /// The workload's peak rate to plan for, requests per second.
    pub load_rps: f64,
    pub replications: u32,
    /// Most configurations simulated.
    pub max_steps: u32,
}

/// Builds the scenario of a configuration from knob assignments
/// (`pool.web.instances=6`), applied as overrides at load.
pub type Build<'a> = dyn Fn(&[String]) -> Result<Scenario, String> + Sync + 'a;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PlanError {
    #[error("no SLO to plan for; give at least one `--slo`, like `--slo 'p99<200ms'`, or an `[slo]` table")]
    NoSlo,
    #[error("the scenario has no knob to turn (no pool or database)")]
    NoKnobs,
    #[error("`--load` needs an open workload; this scenario's users are a closed population")]
    ClosedWorkload,
    #[error("`--load` must be a positive rate")]
    BadLoad,
    #[error("the configuration {config} does not load: {reason}")]
    Build { config: String, reason: String },
    #[error("the design space holds more than {max} designs; narrow the `[plan] knobs` ranges")]
    TooManyDesigns { max: usize },
    #[error("the SLO `{slo}` names `{scope}/{metric}`, which the summary does not have")]
    UnknownMetric {
        slo: String,
        scope: String,
        metric: String,
    },
}

/// Sets the workload's peak rate to `load_rps`, scaling the profile with
/// it (a spike stays a spike of the same shape).
pub fn scale_to_load(scenario: &mut Scenario, load_rps: f64) -> Result<(), PlanError> {
    if !(load_rps.is_finite() && load_rps > 0.0) {
        return Err(PlanError::BadLoad);
    }
    let peak = offered_rate(scenario);
    let Arrivals::Open { rate, .. } = &mut scenario.workload.arrivals else {
        return Err(PlanError::ClosedWorkload);
    };
    if peak <= 0.0 {
        *rate = OpenRate::PerSecond(load_rps);
        return Ok(());
    }
    let factor = load_rps / peak;
    *rate = OpenRate::PerSecond(rate.per_second() * factor);
    for change in &mut scenario.workload.profile {
        change.rate *= factor;
    }
    Ok(())
}

/// Monthly cost of a configuration as written, without simulating it: every
/// pool's instances, database node and cache node × its size's price, and every
/// balancer's and broker's price, for 730 hours. A plan reports the simulated `cost_per_month_usd`
/// (which also bills up-time, autoscaling and CDN egress) when its runs
/// finish, and this when they cannot.
pub fn monthly_cost_usd(scenario: &Scenario) -> f64 {
    let pools: f64 = scenario
        .pools
        .iter()
        .map(|pool| pool.instances as f64 * scenario.pool_size(pool).price_per_hour)
        .sum();
    let balancers: f64 = scenario
        .balancers
        .iter()
        .map(|balancer| balancer.price_per_hour)
        .sum();
    let brokers: f64 = scenario.queues.iter().map(|queue| queue.price_per_hour).sum();
    let databases: f64 = scenario
        .databases
        .iter()
        .map(|database| {
            let nodes = database.shards * (1 + database.replicas);
            nodes as f64 * scenario.database_size(database).price_per_hour
        })
        .sum();
    let caches: f64 = scenario
        .caches
        .iter()
        .map(|cache| cache.nodes as f64 * cache.size.map_or(0.0, |size| scenario.sizes[size].price_per_hour))
        .sum();
    (pools + balancers + brokers + databases + caches) * HOURS_PER_MONTH
}

/// Fraction a knob at 10 or more is raised by in one step.
const RAISE_FRACTION: f64 = 0.1;
/// Raises in a row that may fail to improve before the search gives up.
const STALL_RAISES: usize = 3;
/// The relative improvement of a failing SLO that counts as progress.
const PROGRESS: f64 = 0.01;

fn raised(value: u32, max: u32) -> u32 {
    let step = if value < 10 {
        1
    } else {
        (value as f64 * RAISE_FRACTION).ceil() as u32
    };
    value.saturating_add(step).min(max)
}

struct Search<'a> {
    knobs: &'a [Knob],
    settings: &'a PlanSettings,
    build: &'a Build<'a>,
    done: &'a (dyn Fn() + Sync),
    memo: BTreeMap<Vec<u32>, Evaluation>,
    steps: Vec<PlanStep>,
    /// The least value of each knob that keeps its station below ρ = 1.
    floors: Vec<u32>,
    /// Set when the search ends with every knob at its limit.
    exhausted: bool,
}

impl Search<'_> {
    fn assignments(&self, values: &[u32]) -> Vec<String> {
        self.knobs
            .iter()
            .zip(values)
            .map(|(knob, &value)| knob.assignment(value))
            .collect()
    }

    fn scenario(&self, values: &[u32]) -> Result<Scenario, PlanError> {
        let assignments = self.assignments(values);
        let mut scenario = (self.build)(&assignments).map_err(|reason| PlanError::Build {
            config: assignments.join(" "),
            reason,
        })?;
        scale_to_load(&mut scenario, self.settings.load_rps)?;
        Ok(scenario)
    }

    fn budget_left(&self) -> bool {
        self.memo.len() < self.settings.max_steps as usize
    }

    /// Simulates `values` (once) and records the step.
    fn try_config(&mut self, phase: Phase, values: Vec<u32>, reason: String) -> Result<bool, PlanError> {
        let evaluation = match self.memo.get(&values) {
            Some(known) => known.clone(),
            None => {
                let evaluation = self.evaluate(&values)?;
                self.memo.insert(values.clone(), evaluation.clone());
                evaluation
            }
        };
        let met = evaluation.met;
        self.steps.push(PlanStep {
            phase,
            values,
            reason,
            evaluation,
        });
        Ok(met)
    }

    fn evaluate(&self, values: &[u32]) -> Result<Evaluation, PlanError> {
        let scenario = self.scenario(values)?;
        evaluate(
            &scenario,
            &self.settings.slos,
            self.settings.replications,
            self.done,
        )
    }

    /// The knob to raise: the one whose component holds the bottleneck
    /// among the nodes of the components of knobs below their maximum (a
    /// database by its hottest node, as the step's busiest is found), with
    /// that node's reading.
    fn bottleneck(
        &self,
        values: &[u32],
        evaluation: &Evaluation,
        scenario: &Scenario,
    ) -> Option<(usize, Option<Bottleneck>)> {
        let raisable: Vec<&str> = self
            .knobs
            .iter()
            .zip(values)
            .filter(|(knob, value)| **value < knob.max)
            .map(|(knob, _)| knob.station())
            .collect();
        let of_raisable = |stations: Vec<String>| -> Vec<String> {
            headroom::nodes(&stations)
                .into_iter()
                .filter(|node| {
                    raisable
                        .iter()
                        .any(|component| headroom::belongs_to(node, component))
                })
                .collect()
        };
        let choice = match &evaluation.summary {
            Some(summary) => {
                let stations = of_raisable(summary_stations(summary));
                bottleneck::among(&stations, &|station, metric| summary.mean(station, metric))
            }
            None => {
                let estimate = analytic::estimate(scenario);
                let stations = of_raisable(estimate.stations.iter().map(|s| s.station.clone()).collect());
                bottleneck::among(&stations, &analytic_value(&estimate))
            }
        };
        let Some(busiest) = choice else {
            // No utilization to go by: the first knob that can still rise.
            let index = self
                .knobs
                .iter()
                .zip(values)
                .position(|(knob, value)| *value < knob.max)?;
            return Some((index, None));
        };
        let index = self.knobs.iter().zip(values).position(|(knob, value)| {
            *value < knob.max && headroom::belongs_to(&busiest.station, knob.station())
        })?;
        Some((index, Some(busiest)))
    }
}

fn unmeasured(slo: &Slo) -> SloCheck {
    SloCheck {
        slo: slo.clone(),
        mean: f64::NAN,
        bound: f64::NAN,
        met: false,
    }
}

/// Simulates `scenario` (`replications` runs, `done` ticking after each)
/// and checks `slos` against the conservative ends of their intervals.
pub(super) fn evaluate(
    scenario: &Scenario,
    slos: &[Slo],
    replications: u32,
    done: &(dyn Fn() + Sync),
) -> Result<Evaluation, PlanError> {
    let cost_per_month_usd = monthly_cost_usd(scenario);
    let runs = replicate_summaries(scenario, replications);
    for _ in 0..runs.len() {
        done();
    }
    if let Some(Err(error)) = runs.iter().find(|run| run.is_err()) {
        let busiest = analytic_busiest(scenario);
        return Ok(Evaluation {
            summary: None,
            failure: Some(error.to_string()),
            checks: slos.iter().map(unmeasured).collect(),
            busiest,
            cost_per_month_usd,
            met: false,
        });
    }
    let summaries: Vec<_> = runs.iter().filter_map(|run| run.as_ref().ok()).collect();
    let summary = aggregate(&summaries);
    let checks = slos
        .iter()
        .map(|slo| check(slo, &summary))
        .collect::<Result<Vec<_>, _>>()?;
    let met = checks.iter().all(|check| check.met);
    // The runs' own cost, as `capsim run` reports it (the mean over
    // replications).
    let cost_per_month_usd = summary
        .mean("overall", metric::COST_PER_MONTH_USD.name)
        .unwrap_or(cost_per_month_usd);
    Ok(Evaluation {
        busiest: busiest(&summary),
        summary: Some(summary),
        failure: None,
        checks,
        cost_per_month_usd,
        met,
    })
}

/// Checks `slo` against the conservative end of its interval.
fn check(slo: &Slo, summary: &IntervalSummary) -> Result<SloCheck, PlanError> {
    // `drill:<target>` (without `@<time>s`) is the drill on that target.
    let drill = || {
        let prefix = format!("{}@", slo.scope);
        summary.rows.iter().find(|row| {
            slo.scope.starts_with("drill:") && row.scope.starts_with(&prefix) && row.metric == slo.metric
        })
    };
    let row = summary
        .get(&slo.scope, &slo.metric)
        .or_else(drill)
        .ok_or_else(|| PlanError::UnknownMetric {
            slo: slo.text.clone(),
            scope: slo.scope.clone(),
            metric: slo.metric.clone(),
        })?;
    let end = match slo.op {
        Op::Less | Op::LessOrEqual => row.high,
        Op::Greater | Op::GreaterOrEqual => row.low,
    };
    let bound = if end.is_nan() { row.mean } else { end };
    Ok(SloCheck {
        slo: slo.clone(),
        mean: row.mean,
        bound,
        met: slo.evaluate_value(Some(bound)).met,
    })
}

/// Every station of a summary (each scope with a utilization), nodes and
/// the components they belong to alike.
fn summary_stations(summary: &IntervalSummary) -> Vec<String> {
    bottleneck::stations(
        summary
            .rows
            .iter()
            .map(|row| (row.scope.as_str(), row.metric.as_str())),
    )
}

/// The hottest node of a simulated summary: the headroom's, so the step
/// table, the "why" lines and the answer's headroom name the same node.
fn busiest(summary: &IntervalSummary) -> Option<Bottleneck> {
    headroom::hottest(&summary_stations(summary), &|station, metric| {
        summary.mean(station, metric)
    })
}

/// The hottest station by the analytic estimate (for configurations whose
/// runs could not finish), hosts (`host:<name>`, by their CPU) included.
fn analytic_busiest(scenario: &Scenario) -> Option<Bottleneck> {
    let estimate = analytic::estimate(scenario);
    let stations: Vec<String> = (estimate.stations.iter().map(|s| s.station.clone()))
        .chain(estimate.hosts.iter().map(|host| host.station.clone()))
        .collect();
    headroom::hottest(&stations, &analytic_value(&estimate))
}

/// The estimate's utilizations by station and metric; a host has only a
/// CPU utilization.
fn analytic_value(estimate: &analytic::Estimate) -> impl Fn(&str, &str) -> Option<f64> + '_ {
    |station, name| {
        if let Some(host) = estimate.hosts.iter().find(|host| host.station == station) {
            return (name == metric::CPU_UTILIZATION.name).then_some(host.cpu_utilization);
        }
        let station = estimate.stations.iter().find(|s| s.station == station)?;
        if name == metric::UTILIZATION.name {
            Some(station.utilization)
        } else if name == metric::CPU_UTILIZATION.name {
            station.cpu_utilization
        } else {
            None
        }
    }
}

/// The failing SLOs' bounds of an evaluation (infinite when unmeasured),
/// for telling whether a raise helped.
fn failing_bounds(evaluation: &Evaluation) -> Vec<(usize, f64)> {
    evaluation
        .checks
        .iter()
        .enumerate()
        .filter(|(_, check)| !check.met)
        .map(|(index, check)| {
            let bound = if check.bound.is_finite() {
                check.bound
            } else {
                f64::INFINITY
            };
            (index, bound)
        })
        .collect()
}

fn improved(before: &Evaluation, after: &Evaluation) -> bool {
    let after_bounds = failing_bounds(after);
    if after_bounds.len() < failing_bounds(before).len() {
        return true;
    }
    after_bounds.iter().any(|&(index, now)| {
        let was = before.checks[index].bound;
        let was = if was.is_finite() { was } else { f64::INFINITY };
        match before.checks[index].slo.op {
            Op::Less | Op::LessOrEqual => {
                was.is_infinite() && now.is_finite() || now < was * (1.0 - PROGRESS)
            }
            Op::Greater | Op::GreaterOrEqual => now > was * (1.0 + PROGRESS),
        }
    })
}

/// Searches for the cheapest configuration of `knobs` meeting every SLO.
/// `base` is the scenario as given (for its knob values and the starting
/// point), `build` makes a configuration's scenario, `done` ticks after
/// each simulated run, and `on_step` sees each step as it is taken.
pub fn plan(
    base: &Scenario,
    knobs: &[Knob],
    settings: &PlanSettings,
    build: &Build,
    done: &(dyn Fn() + Sync),
    on_step: &mut dyn FnMut(&PlanStep),
) -> Result<Plan, PlanError> {
    if settings.slos.is_empty() {
        return Err(PlanError::NoSlo);
    }
    if knobs.is_empty() {
        return Err(PlanError::NoKnobs);
    }
    let mut loaded = base.clone();
    scale_to_load(&mut loaded, settings.load_rps)?;
    let initial: Vec<u32> = knobs.iter().map(|knob| knob.value(base)).collect();
    // The plain utilization law (no queueing delays in holding times) is a
    // true lower bound on every station's load.
    let loads = feasibility::estimate(&loaded);
    let saturated_host = loads
        .iter()
        .find(|load| !load.on_host.is_empty() && load.utilization >= 1.0);
    if let Some(host) = saturated_host
        && knobs.iter().all(|knob| KnobKind::ALL.contains(&knob.kind))
    {
        let name = host.station.strip_prefix("host:").unwrap_or(&host.station);
        let reason = format!(
            "{} is at ρ = {:.2} at {:.0}/s (the CPU work of `{}`), and no knob adds cores to a host: \
             give `[host.{name}]` more `cores`, or move a component off it",
            host.station,
            host.utilization,
            settings.load_rps,
            host.on_host.join("`, `"),
        );
        return Ok(Plan::refused(knobs, initial, reason));
    }
    let mut floors = Vec::with_capacity(knobs.len());
    for (knob, &value) in knobs.iter().zip(&initial) {
        // A hosted component's CPU is its host's, which this knob does not
        // add to: its floor follows its workers or connections.
        let rho = loads
            .iter()
            .find(|load| load.station == knob.station() && load.on_host.is_empty())
            .map_or(0.0, |load| {
                let cpu = if load.host.is_some() {
                    None
                } else {
                    load.cpu_utilization
                };
                load.utilization.max(cpu.unwrap_or(0.0))
            });
        match knob.lower_bound(value, rho) {
            Some(floor) => floors.push(floor),
            None => {
                let reason = format!(
                    "`{}` is at ρ = {rho:.2} with {value}; holding {:.0}/s needs more than the limit {} of `{}`",
                    knob.station(),
                    settings.load_rps,
                    knob.max,
                    knob.path()
                );
                return Ok(Plan::refused(knobs, initial, reason));
            }
        }
    }
    let mut search = Search {
        knobs,
        settings,
        build,
        done,
        memo: BTreeMap::new(),
        steps: Vec::new(),
        floors: floors.clone(),
        exhausted: false,
    };
    let outcome = search.run(floors, on_step)?;
    Ok(Plan {
        knobs: knobs.to_vec(),
        initial,
        steps: search.steps,
        exhausted: search.exhausted,
        outcome,
        bindings: Vec::new(),
        survive: Vec::new(),
    })
}

impl Search<'_> {
    fn run(&mut self, start: Vec<u32>, on_step: &mut dyn FnMut(&PlanStep)) -> Result<Outcome, PlanError> {
        let mut values = start;
        let mut met = self.try_config(
            Phase::Start,
            values.clone(),
            "the least capacity the utilization law allows (ρ < 1 everywhere)".to_owned(),
        )?;
        on_step(self.steps.last().expect("just pushed"));
        let mut stalled = 0;
        while !met {
            let last = self.steps.last().expect("a step was taken").evaluation.clone();
            let scenario = self.scenario(&values)?;
            let Some((index, busiest)) = self.bottleneck(&values, &last, &scenario) else {
                self.exhausted = true;
                return Ok(Outcome::NotMet {
                    reason: "every knob is at its limit and an SLO still fails".to_owned(),
                });
            };
            if !self.budget_left() {
                return Ok(Outcome::NotMet {
                    reason: format!(
                        "{} configurations simulated without meeting every SLO (raise --max-steps)",
                        self.memo.len()
                    ),
                });
            }
            let knob = &self.knobs[index];
            let from = values[index];
            values[index] = raised(from, knob.max);
            let failing: Vec<String> = last
                .checks
                .iter()
                .filter(|check| !check.met)
                .map(|check| check.slo.text.clone())
                .collect();
            // The numbers are the previous step's (the one whose SLOs
            // failed), named by step so they never read as this one's.
            let measured = match &busiest {
                Some(busiest) => format!(
                    "its bottleneck among the knobs' stations is `{}` ({} {:.0}%)",
                    busiest.station,
                    busiest.metric,
                    100.0 * busiest.utilization
                ),
                None => format!("no utilization was measured; `{}` can still rise", knob.station()),
            };
            let reason = format!(
                "{} fails at step {}; {measured}: {} {} → {}",
                failing.join(", "),
                self.steps.len(),
                knob.field(),
                from,
                values[index]
            );
            met = self.try_config(Phase::Raise, values.clone(), reason)?;
            on_step(self.steps.last().expect("just pushed"));
            let now = &self.steps.last().expect("just pushed").evaluation;
            stalled = if met || improved(&last, now) {
                0
            } else {
                stalled + 1
            };
            if stalled >= STALL_RAISES {
                return Ok(Outcome::NotMet {
                    reason: format!(
                        "{STALL_RAISES} raises in a row improved no failing SLO by {:.0}%: the SLO is out of reach by \
                         adding capacity (the service times themselves are too slow)",
                        100.0 * PROGRESS
                    ),
                });
            }
        }
        let values = self.trim(values, on_step)?;
        let step = self
            .steps
            .iter()
            .rposition(|step| step.values == values)
            .expect("the answer was simulated");
        let evaluation = &self.steps[step].evaluation;
        let headroom = evaluation.busiest.clone().and_then(|busiest| {
            let summary = evaluation.summary.as_ref();
            Headroom::of(busiest, &|station, name| summary?.mean(station, name))
        });
        Ok(Outcome::Met { step, headroom })
    }

    /// Lowers knobs, most expensive first, while every SLO still holds.
    fn trim(
        &mut self,
        mut values: Vec<u32>,
        on_step: &mut dyn FnMut(&PlanStep),
    ) -> Result<Vec<u32>, PlanError> {
        let scenario = self.scenario(&values)?;
        let mut order: Vec<usize> = (0..self.knobs.len()).collect();
        let cost = |index: &usize| self.knobs[*index].monthly_cost_per_unit(&scenario);
        order.sort_by(|a, b| cost(b).total_cmp(&cost(a)));
        for index in order {
            loop {
                let knob = &self.knobs[index];
                if values[index] <= knob.min.max(self.floors[index]) {
                    break;
                }
                let mut candidate = values.clone();
                candidate[index] -= 1;
                let known = self.memo.get(&candidate).map(|evaluation| evaluation.met);
                if known == Some(false) {
                    break;
                }
                if known.is_none() && !self.budget_left() {
                    return Ok(values);
                }
                let reason = format!(
                    "every SLO holds; try one fewer: {} {} → {}",
                    knob.path(),
                    values[index],
                    candidate[index]
                );
                let met = self.try_config(Phase::Trim, candidate.clone(), reason)?;
                on_step(self.steps.last().expect("just pushed"));
                if !met {
                    break;
                }
                values = candidate;
            }
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    const TEXT: &str = "[scenario]\nduration = \"1s\"\n[workload]\narrivals = { kind = \"open\", rate = \"100/s\" }\n\
                        profile = [{ at = \"0.5s\", rate = \"200/s\" }]\n\
                        mix = [{ class = \"a\", call = \"web/e\" }]\n[pool.web]\ninstances = 2\nsize = \"m5.large\"\n\
                        workers = 4\n[pool.web.endpoint.e]\nservice = \"1ms\"\n";

    #[test]
    fn the_load_sets_the_peak_and_keeps_the_profile_shape() {
        let mut scenario = load_str(TEXT).unwrap().scenario;
        scale_to_load(&mut scenario, 1000.0).unwrap();
        assert_eq!(offered_rate(&scenario), 1000.0);
        let Arrivals::Open { rate, .. } = &scenario.workload.arrivals else {
            panic!()
        };
        assert_eq!(rate.per_second(), 500.0);
        assert!(scale_to_load(&mut scenario, 0.0).is_err());
    }

    #[test]
    fn cost_is_instance_hours_of_a_month() {
        let scenario = load_str(TEXT).unwrap().scenario;
        assert!((monthly_cost_usd(&scenario) - 2.0 * 0.096 * 730.0).abs() < 1e-9);
    }

    #[test]
    fn raises_are_one_unit_then_ten_percent() {
        assert_eq!(raised(3, 100), 4);
        assert_eq!(raised(10, 100), 11);
        assert_eq!(raised(31, 100), 35);
        assert_eq!(raised(99, 100), 100);
    }

    #[test]
    fn margins_and_conservative_bounds() {
        let mut summary = IntervalSummary::default();
        summary.rows.push(crate::results::interval::IntervalRow {
            scope: "overall".into(),
            metric: "latency_p99_ms".into(),
            mean: 150.0,
            low: 140.0,
            high: 210.0,
        });
        let slo = crate::results::slo::parse("p99<200ms").unwrap();
        let checked = check(&slo, &summary).unwrap();
        // The mean meets it, the upper bound does not: not met.
        assert_eq!((checked.bound, checked.met), (210.0, false));
        assert!((checked.margin() + 0.05).abs() < 1e-12);
        let faster = crate::results::slo::parse("p99<250ms").unwrap();
        assert!(check(&faster, &summary).unwrap().met);
        let missing = crate::results::slo::parse("web/utilization<0.5").unwrap();
        assert!(matches!(
            check(&missing, &summary),
            Err(PlanError::UnknownMetric { .. })
        ));
    }
}
