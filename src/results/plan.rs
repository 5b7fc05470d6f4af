//! What `plan` found: each simulated configuration (its knob values, why it
//! was tried, how its SLOs fared and its busiest node) and the outcome.
//! `study::plan` searches; `report::plan_files` writes `plan.csv` and the
//! patch.

use super::bottleneck::Bottleneck;
use super::interval::IntervalSummary;
use super::knobs::Knob;
use super::slo::{Op, Slo};

/// One objective checked on one configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct SloCheck {
    pub slo: Slo,
    pub mean: f64,
    /// The conservative end of the 95 % interval (the mean when there is
    /// no interval).
    pub bound: f64,
    pub met: bool,
}

impl SloCheck {
    /// How far the bound is inside the threshold, as a share of it
    /// (negative when the SLO fails).
    pub fn margin(&self) -> f64 {
        let threshold = self.slo.threshold;
        let gap = match self.slo.op {
            Op::Less | Op::LessOrEqual => threshold - self.bound,
            Op::Greater | Op::GreaterOrEqual => self.bound - threshold,
        };
        if threshold == 0.0 {
            gap
        } else {
            gap / threshold.abs()
        }
    }
}

/// The simulation of one configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// `None` when some runs could not finish.
    pub summary: Option<IntervalSummary>,
    pub failure: Option<String>,
    pub checks: Vec<SloCheck>,
    /// The configuration's hottest node (`results::headroom::hottest`: the
    /// bottleneck rule over nodes, a database's and a cache's nodes rather
    /// than their mean).
    pub busiest: Option<Bottleneck>,
    pub cost_per_month_usd: f64,
    pub met: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Start,
    Raise,
    Trim,
    /// A design of a `[plan]` space, tried in order of cost.
    Design,
    /// The chosen design with one knob a step lower, to name what binds it.
    Binding,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Start => "start",
            Phase::Raise => "raise",
            Phase::Trim => "trim",
            Phase::Design => "design",
            Phase::Binding => "binding",
        }
    }
}

/// One configuration the search simulated.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanStep {
    pub phase: Phase,
    /// Knob values, in knob order.
    pub values: Vec<u32>,
    /// Why this configuration was tried.
    pub reason: String,
    pub evaluation: Evaluation,
}

/// How the final configuration stands: the headroom of its busiest node,
/// by the rule `run` and the report use.
pub use super::headroom::Headroom;

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Every SLO holds at `steps[step]`, the cheapest found.
    Met {
        step: usize,
        headroom: Option<Headroom>,
    },
    NotMet {
        reason: String,
    },
}

/// The plan: the path taken and where it ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub knobs: Vec<Knob>,
    /// Knob values in the scenario as given.
    pub initial: Vec<u32>,
    pub steps: Vec<PlanStep>,
    pub outcome: Outcome,
    /// Every configuration within the knobs' ranges was ruled out (no
    /// design meets the SLOs), rather than the search stopping early.
    pub exhausted: bool,
    /// For a design search: each knob's binding constraint, in knob order
    /// (`pool.web.instances = 4: with 3, p99 < 300ms fails …`).
    pub bindings: Vec<String>,
    /// For a design search: the failures each design had to survive.
    pub survive: Vec<String>,
}

impl Plan {
    /// A plan refused before any simulation: no value of the knobs can
    /// meet the load (`reason` says which station and why).
    pub fn refused(knobs: &[Knob], initial: Vec<u32>, reason: String) -> Plan {
        Plan {
            knobs: knobs.to_vec(),
            initial,
            steps: Vec::new(),
            outcome: Outcome::NotMet { reason },
            exhausted: true,
            bindings: Vec::new(),
            survive: Vec::new(),
        }
    }

    /// The configuration that meets every SLO, if one was found.
    pub fn answer(&self) -> Option<&PlanStep> {
        match self.outcome {
            Outcome::Met { step, .. } => Some(&self.steps[step]),
            Outcome::NotMet { .. } => None,
        }
    }

    /// The knob assignments that turn the scenario into the answer (only
    /// the knobs that change).
    pub fn patch(&self) -> Vec<(usize, u32)> {
        self.answer().map_or_else(Vec::new, |answer| {
            answer
                .values
                .iter()
                .enumerate()
                .filter(|&(index, &value)| value != self.initial[index])
                .map(|(index, &value)| (index, value))
                .collect()
        })
    }
}
