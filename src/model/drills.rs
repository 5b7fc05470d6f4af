//! Drill reports: for each fault that strikes, how long until it was
//! detected, how long until the service recovered (RTO: the error rate and
//! p99 back within the scenario's margins of the pre-fault baseline for
//! enough windows in a row), how many requests and users it hurt and how,
//! and what data it lost (writes and the lost window, RPO).

use super::frame::{Cause, InstanceId};
use super::ids::FaultSourceId;
use super::{LoggedEvent, Model};
use crate::engine::{SimDuration, SimTime};
use crate::metrics::Summary;
use crate::metrics::catalog as metric;
use crate::scenario::Recovery;

/// Most drills recorded in one run (random faults can strike often).
pub const MAX_DRILLS: usize = 1_000;

/// One window's overall outcome, kept for baselines.
#[derive(Clone, Copy, Debug)]
pub struct WindowOutcome {
    pub start: SimTime,
    pub error_rate: f64,
    pub p99_ns: f64,
    pub ended: u64,
}

#[derive(Debug)]
pub struct Drill {
    pub target: String,
    pub instances: Vec<InstanceId>,
    pub started: SimTime,
    pub detected: Option<SimTime>,
    pub recovered: Option<SimTime>,
    baseline_error_rate: f64,
    baseline_p99_ns: f64,
    /// Start of the current run of recovered windows.
    streak_start: Option<SimTime>,
    streak: u32,
    /// A window after the fault missed the recovery margins.
    disturbed: bool,
    pub failed_attempts: u64,
    pub errors_by_cause: [u64; Cause::COUNT],
    users: Vec<u64>,
    pub users_affected: u64,
    pub lost_writes: u64,
    pub rpo: Option<SimDuration>,
    /// Messages lost with a broker.
    pub lost_messages: u64,
}

impl Drill {
    fn open(&self) -> bool {
        self.recovered.is_none()
    }

    /// Whether requests saw the fault: an attempt failed while it was
    /// open, or a window after it missed the recovery margins.
    fn seen(&self) -> bool {
        self.failed_attempts > 0 || self.disturbed || self.recovered.is_none()
    }
}

impl Model {
    /// Opens a drill for a fault that just struck (if there is room).
    pub(super) fn open_drill(&mut self, source: FaultSourceId, now: SimTime) -> Option<usize> {
        if self.drills.len() >= MAX_DRILLS {
            self.drills_not_recorded += 1;
            return None;
        }
        // The baseline: windows that ended before the fault, after warm-up
        // if there are any.
        let before: Vec<&WindowOutcome> = self.window_history.iter().filter(|w| w.start < now).collect();
        let warm: Vec<&WindowOutcome> = before
            .iter()
            .copied()
            .filter(|w| w.start >= self.warmup)
            .collect();
        let base = if warm.is_empty() { &before } else { &warm };
        // Windows in which nothing ended have no error rate, and those in
        // which nothing completed no p99 (NaN): they do not count.
        let ended: u64 = base.iter().map(|w| w.ended).sum();
        let error_rate = if ended == 0 {
            0.0
        } else {
            base.iter()
                .filter(|w| w.ended > 0)
                .map(|w| w.error_rate * w.ended as f64)
                .sum::<f64>()
                / ended as f64
        };
        let p99s: Vec<f64> = base
            .iter()
            .map(|w| w.p99_ns)
            .filter(|p99| !p99.is_nan())
            .collect();
        let p99 = if p99s.is_empty() {
            f64::INFINITY
        } else {
            p99s.iter().sum::<f64>() / p99s.len() as f64
        };
        let users = (self.user_count as usize).div_ceil(64);
        self.drills.push(Drill {
            target: self.fault_sources[source].label.clone(),
            instances: self.fault_sources[source].instances.clone(),
            started: now,
            detected: None,
            recovered: None,
            baseline_error_rate: error_rate,
            baseline_p99_ns: p99,
            streak_start: None,
            streak: 0,
            disturbed: false,
            failed_attempts: 0,
            errors_by_cause: [0; Cause::COUNT],
            users: vec![0; users],
            users_affected: 0,
            lost_writes: 0,
            rpo: None,
            lost_messages: 0,
        });
        Some(self.drills.len() - 1)
    }

    /// Something noticed that `instance` is down: the latest fault on it
    /// is detected (an earlier one that was repaired unnoticed stays so).
    pub(super) fn note_detection(&mut self, instance: InstanceId, now: SimTime) {
        let latest = self
            .drills
            .iter_mut()
            .rev()
            .find(|drill| drill.started <= now && drill.instances.contains(&instance));
        if let Some(drill) = latest
            && drill.detected.is_none()
        {
            drill.detected = Some(now);
        }
    }

    /// A failover lost writes of `instance`'s shard.
    pub(super) fn note_data_loss(&mut self, instance: InstanceId, lost_writes: u64, rpo: SimDuration) {
        if let Some(drill) = self
            .drills
            .iter_mut()
            .rev()
            .find(|drill| drill.instances.contains(&instance))
        {
            drill.lost_writes += lost_writes;
            drill.rpo = Some(drill.rpo.map_or(rpo, |known| known.max(rpo)));
        }
    }

    /// An attempt by `user` failed; `final_cause` when the request gave up.
    pub(super) fn note_failure(&mut self, user: u32, final_cause: Option<Cause>) {
        for drill in self.drills.iter_mut().filter(|drill| drill.open()) {
            drill.failed_attempts += 1;
            if let Some(cause) = final_cause {
                drill.errors_by_cause[cause.index()] += 1;
            }
            let (word, bit) = (user as usize / 64, 1u64 << (user % 64));
            if let Some(bits) = drill.users.get_mut(word)
                && *bits & bit == 0
            {
                *bits |= bit;
                drill.users_affected += 1;
            }
        }
    }

    /// Records a window's overall outcome and checks open drills for
    /// recovery.
    pub(super) fn drill_window(&mut self, outcome: WindowOutcome, end: SimTime, recovery: &Recovery) {
        self.window_history.push(outcome);
        let mut recovered = Vec::new();
        for drill in self.drills.iter_mut().filter(|drill| drill.open()) {
            if outcome.start < drill.started {
                continue;
            }
            // A window in which nothing ended is a stall (writes blocked,
            // callers jammed), not a calm one: recovery needs requests served.
            let calm = outcome.ended > 0
                && outcome.error_rate <= drill.baseline_error_rate + recovery.error_rate_margin
                && outcome.p99_ns <= drill.baseline_p99_ns * recovery.p99_factor;
            if calm {
                drill.streak += 1;
                let start = *drill.streak_start.get_or_insert(outcome.start);
                if drill.streak >= recovery.windows {
                    drill.recovered = Some(start);
                    drill.users = Vec::new();
                    recovered.push((drill.target.clone(), start.since(drill.started)));
                }
            } else {
                drill.streak = 0;
                drill.streak_start = None;
                drill.disturbed = true;
            }
        }
        for (target, rto) in recovered {
            self.events.push(LoggedEvent {
                time: end,
                kind: "recovered",
                scope: target,
                detail: format!("RTO {:.3} s", rto.as_secs_f64()),
            });
        }
    }

    /// One summary scope per drill: `drill:<target>@<time>`.
    pub(super) fn summary_drills(&self, summary: &mut Summary) {
        for drill in &self.drills {
            let scope = format!("drill:{}@{}s", drill.target, drill.started.as_secs_f64());
            let seconds = |time: SimTime| time.since(drill.started).as_secs_f64();
            summary.push(&scope, metric::FAULT_AT_S, drill.started.as_secs_f64());
            // Absent rows mean "never": not detected, not recovered.
            if let Some(detected) = drill.detected {
                summary.push(&scope, metric::TIME_TO_DETECT_S, seconds(detected));
            }
            if let Some(recovered) = drill.recovered {
                summary.push(&scope, metric::RTO_S, seconds(recovered));
            }
            summary.push(
                &scope,
                metric::RECOVERED,
                if drill.recovered.is_some() { 1.0 } else { 0.0 },
            );
            summary.push(
                &scope,
                metric::SEEN_BY_REQUESTS,
                if drill.seen() { 1.0 } else { 0.0 },
            );
            summary.push(&scope, metric::FAILED_ATTEMPTS, drill.failed_attempts as f64);
            summary.push(&scope, metric::USERS_AFFECTED, drill.users_affected as f64);
            for cause in Cause::ALL {
                if cause.is_opt_in() && !self.cause_possible(cause) {
                    continue;
                }
                summary.push(
                    &scope,
                    cause.error_metric(),
                    drill.errors_by_cause[cause.index()] as f64,
                );
            }
            summary.push(&scope, metric::LOST_WRITES, drill.lost_writes as f64);
            summary.push(&scope, metric::LOST_MESSAGES, drill.lost_messages as f64);
            if let Some(rpo) = drill.rpo {
                summary.push(&scope, metric::RPO_S, rpo.as_secs_f64());
            }
            summary.push(&scope, metric::BASELINE_ERROR_RATE, drill.baseline_error_rate);
            summary.push(
                &scope,
                metric::BASELINE_LATENCY_P99_MS,
                drill.baseline_p99_ns / 1e6,
            );
        }
        if self.drills_not_recorded > 0 {
            summary.push(
                "overall",
                metric::DRILLS_NOT_RECORDED,
                self.drills_not_recorded as f64,
            );
        }
    }
}
