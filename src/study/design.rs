//! `plan` over a `[plan]` design space: the cheapest design by
//! `cost_per_month_usd` that meets every SLO at the target load, and still
//! meets them (or the `degraded` set) through each survived failure.
//!
//! 1. **Enumerate** every combination of the knobs' values (at most
//!    [`MAX_DESIGNS`]), build each, and price it from the pricing without
//!    simulating (`plan::monthly_cost_usd`).
//! 2. **Prune** analytically: a design where the utilization law puts any
//!    station at ρ ≥ 1 (`feasibility::estimate`, a true lower bound; a
//!    host's row, the CPU of every component on it, counts too) has a
//!    queue that grows without bound; it is never simulated.
//! 3. **Try in order of cost**, ties broken by the least capacity (the sum
//!    of the knobs' levels, then the levels themselves): simulate the
//!    design (R replications); if every SLO holds with 95 % confidence, run
//!    each survived failure (a component target: a crash [`fault_at`] a
//!    third into the run, not repaired; a named drill: its fault as
//!    written), added to the design's scenario as one more `[[faults]]`
//!    entry, and require the `degraded` objectives (or the SLOs) to hold
//!    too. A failure whose target the design lacks (a replica of a design
//!    with none) has nothing to take down there and is not run. The first design that passes is the answer. Sizes are
//!    ordered by price and counts by value, so a design with every knob at
//!    or below a failed one's costs no more and, on a tie, has no more
//!    capacity: it came earlier in the order and was already tried.
//! 4. **Explain** each knob: simulate the answer with that knob one step
//!    lower and name what fails there (an SLO with its bound, the hottest
//!    node, or a survived failure), or say it is at its minimum. When the
//!    utilization law already rules that design out, its saturated station
//!    is the answer and it is not simulated (its queue only grows).
//!
//! Each design is simulated once (results are remembered); the order is a
//! total order, so the search is deterministic.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::results::knobs::Knob;
use crate::results::plan::{Evaluation, Headroom, Outcome, Phase, Plan, PlanStep, SloCheck};
use crate::results::slo::Slo;
use crate::scenario::Scenario;
pub use crate::scenario::plan::fault_at;
use crate::scenario::plan::{SurviveTarget, Survived};

use super::feasibility;
use super::plan::{PlanError, evaluate, monthly_cost_usd, scale_to_load};

/// Most designs a space may hold.
pub const MAX_DESIGNS: usize = 20_000;

/// What a design search is asked.
#[derive(Clone, Debug)]
pub struct DesignSettings {
    pub slos: Vec<Slo>,
    /// Objectives during a survived failure (empty: `slos`).
    pub degraded: Vec<Slo>,
    /// The failures to ride through (`[plan] survive`).
    pub survive: Vec<SurviveTarget>,
    pub load_rps: f64,
    pub replications: u32,
    /// Most designs simulated in the search (the binding checks are extra).
    pub max_steps: u32,
}

/// Builds a design's scenario from knob assignments (`--set` overrides on
/// the scenario as loaded).
pub type DesignBuild<'a> = dyn Fn(&[String]) -> Result<Scenario, String> + Sync + 'a;

/// A design's verdict: its own evaluation, and the first survived failure
/// it did not ride through.
#[derive(Clone, Debug)]
struct Verdict {
    evaluation: Evaluation,
    survive_failure: Option<(String, Evaluation)>,
}

impl Verdict {
    fn met(&self) -> bool {
        self.evaluation.met && self.survive_failure.is_none()
    }
}

struct Candidate {
    values: Vec<u32>,
    cost: f64,
    /// The station at ρ ≥ 1, if the utilization law rules the design out.
    saturated: Option<(String, f64)>,
}

struct Design<'a> {
    knobs: &'a [Knob],
    settings: &'a DesignSettings,
    build: &'a DesignBuild<'a>,
    memo: BTreeMap<Vec<u32>, Verdict>,
}

impl Design<'_> {
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

    fn candidate(&self, values: Vec<u32>) -> Result<Candidate, PlanError> {
        let scenario = self.scenario(&values)?;
        let saturated = feasibility::estimate(&scenario)
            .into_iter()
            .map(|load| {
                let rho = load.utilization.max(load.cpu_utilization.unwrap_or(0.0));
                (load.station, rho)
            })
            .filter(|(_, rho)| *rho >= 1.0)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        Ok(Candidate {
            values,
            cost: monthly_cost_usd(&scenario),
            saturated,
        })
    }

    /// Simulates `values` (once), then each survived failure while all holds.
    fn verdict(&mut self, values: &[u32]) -> Result<Verdict, PlanError> {
        if let Some(known) = self.memo.get(values) {
            return Ok(known.clone());
        }
        let settings = self.settings;
        let scenario = self.scenario(values)?;
        let evaluation = evaluate(&scenario, &settings.slos, settings.replications, &|| {})?;
        let mut survive_failure = None;
        if evaluation.met {
            let objectives = if settings.degraded.is_empty() {
                &settings.slos
            } else {
                &settings.degraded
            };
            for target in &settings.survive {
                // The design has nothing this failure could take down.
                let Ok(fault) = target.fault(&scenario) else {
                    continue;
                };
                let mut faulted = scenario.clone();
                faulted.faults.push(fault);
                let during = evaluate(&faulted, objectives, settings.replications, &|| {})?;
                if !during.met {
                    let during_text = match target.failure {
                        Survived::Kill(_) => format!("surviving {}", target.text),
                        Survived::Drill { .. } => target.label(),
                    };
                    survive_failure = Some((during_text, during));
                    break;
                }
            }
        }
        let verdict = Verdict {
            evaluation,
            survive_failure,
        };
        self.memo.insert(values.to_vec(), verdict.clone());
        Ok(verdict)
    }

    fn values_text(&self, values: &[u32]) -> String {
        self.assignments(values).join(" ")
    }
}

/// The first failing objective of `evaluation`: `p99<300ms fails (bound 668.2)`.
fn failing(evaluation: &Evaluation) -> String {
    if let Some(failure) = &evaluation.failure {
        return format!("the runs failed ({failure})");
    }
    let check: Option<&SloCheck> = evaluation.checks.iter().find(|check| !check.met);
    let slo = check.map_or_else(String::new, |check| {
        if check.bound.is_nan() {
            // Nothing measured: a latency of no request, or a rate of none.
            format!("{} fails (no request completed)", check.slo.text)
        } else {
            format!("{} fails (bound {})", check.slo.text, short(check.bound))
        }
    });
    match &evaluation.busiest {
        Some(busiest) => format!(
            "{slo}; hottest {} {} {}",
            busiest.station,
            busiest.metric,
            short(busiest.utilization)
        ),
        None => slo,
    }
}

fn short(value: f64) -> String {
    if value.abs() >= 100.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    }
}

/// Why a design fails, in words.
fn why(verdict: &Verdict) -> String {
    match &verdict.survive_failure {
        Some((target, during)) if verdict.evaluation.met => {
            format!("{target}: {}", failing(during))
        }
        _ => failing(&verdict.evaluation),
    }
}

/// How reports name the survived failures.
fn labels(survive: &[SurviveTarget]) -> Vec<String> {
    survive.iter().map(SurviveTarget::label).collect()
}

/// Every combination of the knobs' levels, in lexicographic order.
fn combinations(knobs: &[Knob]) -> Result<Vec<Vec<u32>>, PlanError> {
    let count = knobs.iter().try_fold(1usize, |count, knob| {
        count
            .checked_mul((knob.max - knob.min + 1) as usize)
            .filter(|&count| count <= MAX_DESIGNS)
    });
    let Some(count) = count else {
        return Err(PlanError::TooManyDesigns { max: MAX_DESIGNS });
    };
    let mut all = Vec::with_capacity(count);
    let mut values: Vec<u32> = knobs.iter().map(|knob| knob.min).collect();
    loop {
        all.push(values.clone());
        let mut index = knobs.len();
        loop {
            if index == 0 {
                return Ok(all);
            }
            index -= 1;
            if values[index] < knobs[index].max {
                values[index] += 1;
                break;
            }
            values[index] = knobs[index].min;
        }
    }
}

/// Searches `knobs`' space for the cheapest design meeting every SLO and
/// surviving every listed failure. `base` is the scenario as given (its
/// knob values are the patch's starting point); `on_step` sees each
/// simulated design.
pub fn design(
    base: &Scenario,
    knobs: &[Knob],
    settings: &DesignSettings,
    build: &DesignBuild,
    on_step: &mut dyn FnMut(&PlanStep),
) -> Result<Plan, PlanError> {
    if settings.slos.is_empty() {
        return Err(PlanError::NoSlo);
    }
    if knobs.is_empty() {
        return Err(PlanError::NoKnobs);
    }
    let initial: Vec<u32> = knobs.iter().map(|knob| knob.value(base)).collect();
    let mut search = Design {
        knobs,
        settings,
        build,
        memo: BTreeMap::new(),
    };
    let all = combinations(knobs)?;
    let mut candidates = {
        let search = &search;
        all.into_par_iter()
            .map(|values| search.candidate(values))
            .collect::<Result<Vec<_>, _>>()?
    };
    let capacity = |values: &[u32]| values.iter().map(|&v| v as u64).sum::<u64>();
    candidates.sort_by(|a, b| {
        a.cost
            .total_cmp(&b.cost)
            .then_with(|| capacity(&a.values).cmp(&capacity(&b.values)))
            .then_with(|| a.values.cmp(&b.values))
    });
    let mut steps = Vec::new();
    let mut simulated = 0u32;
    let mut pruned = 0usize;
    let mut answer = None;
    let mut stopped = None;
    for candidate in &candidates {
        if candidate.saturated.is_some() {
            pruned += 1;
            continue;
        }
        let values = &candidate.values;
        if simulated >= settings.max_steps {
            stopped = Some(format!(
                "{simulated} designs simulated without one meeting every SLO (raise --max-steps)"
            ));
            break;
        }
        simulated += 1;
        let verdict = search.verdict(values)?;
        let reason = if verdict.met() {
            if settings.survive.is_empty() {
                "the cheapest design left; every SLO holds".to_owned()
            } else {
                format!(
                    "the cheapest design left; every SLO holds, and through {}",
                    labels(&settings.survive).join(", ")
                )
            }
        } else {
            format!(
                "the cheapest design left (${:.2}/month by the pricing): {}",
                candidate.cost,
                why(&verdict)
            )
        };
        let mut evaluation = verdict.evaluation.clone();
        evaluation.met = verdict.met();
        steps.push(PlanStep {
            phase: Phase::Design,
            values: values.clone(),
            reason,
            evaluation,
        });
        on_step(steps.last().expect("just pushed"));
        if verdict.met() {
            answer = Some(steps.len() - 1);
            break;
        }
    }
    let Some(step) = answer else {
        let exhausted = stopped.is_none();
        let reason = stopped.unwrap_or_else(|| {
            format!(
                "no design of the {} in the knobs' ranges meets every SLO ({} ruled out by the utilization law, \
                 {simulated} simulated)",
                candidates.len(),
                pruned
            )
        });
        return Ok(Plan {
            knobs: knobs.to_vec(),
            initial,
            steps,
            outcome: Outcome::NotMet { reason },
            exhausted,
            bindings: Vec::new(),
            survive: labels(&settings.survive),
        });
    };
    let chosen = steps[step].values.clone();
    let mut bindings = Vec::with_capacity(knobs.len());
    for (index, knob) in knobs.iter().enumerate() {
        let value = chosen[index];
        let head = format!("{} = {}", knob.path(), knob.value_text(value));
        if value <= knob.min {
            bindings.push(format!("{head}: at its minimum"));
            continue;
        }
        let mut lower = chosen.clone();
        lower[index] -= 1;
        // A design the utilization law rules out has a queue that grows
        // without bound: that is its binding constraint, without a run
        // that would only show the queue growing.
        if let Some((station, rho)) = search.candidate(lower.clone())?.saturated {
            bindings.push(format!(
                "{head}: with {}, {station} at ρ = {rho:.2} ≥ 1 by the utilization law (its queue grows without bound)",
                knob.value_text(lower[index])
            ));
            continue;
        }
        let verdict = search.verdict(&lower)?;
        let text = if verdict.met() {
            "every SLO holds too (more capacity hurt somewhere: the search assumes it never does)".to_owned()
        } else {
            why(&verdict)
        };
        bindings.push(format!("{head}: with {}, {text}", knob.value_text(lower[index])));
        let mut evaluation = verdict.evaluation.clone();
        evaluation.met = verdict.met();
        steps.push(PlanStep {
            phase: Phase::Binding,
            reason: format!("what binds {}: {}", knob.path(), search.values_text(&lower)),
            values: lower,
            evaluation,
        });
        on_step(steps.last().expect("just pushed"));
    }
    let evaluation = &steps[step].evaluation;
    let headroom = evaluation.busiest.clone().and_then(|busiest| {
        let summary = evaluation.summary.as_ref();
        Headroom::of(busiest, &|station, name| summary?.mean(station, name))
    });
    Ok(Plan {
        knobs: knobs.to_vec(),
        initial,
        steps,
        outcome: Outcome::Met { step, headroom },
        exhausted: false,
        bindings,
        survive: labels(&settings.survive),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::knobs::KnobKind;

    #[test]
    fn combinations_cover_the_space_in_order() {
        let knob = |min, max| Knob {
            kind: KnobKind::PoolInstances,
            component: "web".into(),
            min,
            max,
            choices: Vec::new(),
        };
        let all = combinations(&[knob(1, 2), knob(0, 2)]).unwrap();
        assert_eq!(
            all,
            [[1, 0], [1, 1], [1, 2], [2, 0], [2, 1], [2, 2]].map(|v| v.to_vec())
        );
        assert!(combinations(&[knob(1, 200), knob(1, 200)]).is_err());
    }

    #[test]
    fn a_design_that_completed_nothing_says_so() {
        let slo = crate::results::slo::parse("p99<100ms").unwrap();
        let evaluation = Evaluation {
            summary: None,
            failure: None,
            checks: vec![SloCheck {
                slo,
                mean: f64::NAN,
                bound: f64::NAN,
                met: false,
            }],
            busiest: None,
            cost_per_month_usd: 1.0,
            met: false,
        };
        assert_eq!(failing(&evaluation), "p99<100ms fails (no request completed)");
    }
}
