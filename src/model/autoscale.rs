//! Autoscaling and billing by up-time.
//!
//! A `Scaler` does target tracking for one pool: every `interval` it
//! measures its metric (utilization of the serving instances over the
//! interval, or messages waiting per instance) and computes desired =
//! ceil(current × metric / target), clamped to [min, max]. Scaling out
//! first takes back draining instances, then launches stopped ones, which
//! take work only after their boot time; scaling in cancels boots first,
//! then drains serving instances (no new work; they stop when their
//! in-flight work is done). The pool's arena holds `max` instances from the
//! start, so scaling allocates nothing.
//!
//! `Billing` integrates, per station, the instances that run (booting,
//! serving or draining) and are up: cost is that integral × price, so an
//! autoscaled pool costs what it ran and a killed instance costs nothing
//! until it is restored.

use super::frame::{InstanceId, StationId};
use super::ids::{MemberId, QueueId, ScalerId};
use super::instance::Life;
use super::program::SiteId;
use super::queues::NO_QUEUE;
use super::{Event, Model};
use crate::engine::id::IdVec;
use crate::engine::{EventQueue, SimDuration, SimTime};
use crate::metrics::catalog as metric;
use crate::metrics::{StationCounters, Summary, TimeWeighted, Timeseries};
use crate::scenario::ScaleMetric;

#[derive(Debug)]
pub struct Scaler {
    pub pool: String,
    pub station: StationId,
    pub min: u32,
    pub max: u32,
    pub metric: ScaleMetric,
    pub target: f64,
    pub interval: SimDuration,
    pub cooldown: SimDuration,
    pub scale_in_cooldown: SimDuration,
    pub boot: SiteId,
    /// The queue the pool consumes (`NO_QUEUE`: none).
    pub queue: QueueId,
    pub last_action: Option<SimTime>,
    pub last_eval: SimTime,
    /// Per instance of the pool: its latest launch (stale boots are ignored).
    pub launches: IdVec<MemberId, u32>,
    /// ∫ busy workers dt of windows already closed, and the mark taken at
    /// the last evaluation (of that plus the open window).
    pub busy_closed: u128,
    pub busy_mark: u128,
    /// ∫ serving instances dt (never closed), and its mark.
    pub serving: TimeWeighted,
    pub serving_mark: u128,
    pub actions: u64,
}

/// One station's instances over time, for cost and capacity.
#[derive(Debug, Default)]
pub struct Billing {
    /// Running and up (billed).
    pub billed: TimeWeighted,
    /// Serving (taking work).
    pub serving: TimeWeighted,
    /// ∫ billed dt over the kept windows, in instance·nanoseconds.
    pub billed_kept: u128,
    /// ∫ serving dt over the kept windows.
    pub serving_kept: u128,
    /// The window just closed: mean billed and serving instances.
    pub billed_mean: f64,
    pub serving_mean: f64,
    /// Nothing is billed before this time: a shard node that only starts
    /// serving at a reshard is billed from it.
    pub billed_from: SimTime,
}

impl Billing {
    pub fn new(running: u64) -> Self {
        let mut billing = Billing::default();
        billing.billed.set(SimTime::ZERO, running);
        billing.serving.set(SimTime::ZERO, running);
        billing
    }

    /// Billing for a station whose `running` instances are billed only from
    /// `from` on (nothing before).
    pub fn from(running: u64, from: SimTime) -> Self {
        let mut billing = Billing::new(running);
        billing.billed.set(SimTime::ZERO, 0);
        billing.billed_from = from;
        billing
    }

    /// Cost of the kept windows at `price_per_hour`.
    pub fn cost(&self, price_per_hour: f64) -> f64 {
        super::observe::running_cost(price_per_hour, self.billed_kept)
    }
}

/// desired = ceil(current × metric / target), clamped to [min, max];
/// `current` is the (mean) instance count the metric was measured over.
pub fn desired(current: f64, metric: f64, target: f64, min: u32, max: u32) -> u32 {
    let raw = (current * metric / target - 1e-9).ceil();
    (raw.max(0.0) as u32).clamp(min, max)
}

impl Model {
    pub(super) fn schedule_scalers(&mut self, queue: &mut EventQueue<Event>) {
        for (scaler, state) in self.scalers.iter_enumerated() {
            queue.schedule_in(state.interval, Event::Autoscale { scaler });
        }
    }

    /// The numbers of the pool's instances (`InstanceId`s), in order.
    fn pool_instances(&self, scaler: ScalerId) -> std::ops::Range<u32> {
        let station = &self.stations[self.scalers[scaler].station];
        station.first_instance.0..station.first_instance.0 + station.instance_count
    }

    /// Recounts a station's billed and serving instances.
    pub(super) fn rebill(&mut self, station: StationId, now: SimTime) {
        let state = &self.stations[station];
        let range = state.instances();
        let billed = self.instances[range.clone()]
            .iter()
            .filter(|i| i.up && i.life.provisioned())
            .count() as u64;
        let serving = self.instances[range]
            .iter()
            .filter(|i| i.up && i.life == Life::Serving)
            .count() as u64;
        let billing = &mut self.billing[station];
        let billed = if now < billing.billed_from { 0 } else { billed };
        billing.billed.set(now, billed);
        billing.serving.set(now, serving);
        if let Some(scaler) = self.scalers.iter_mut().find(|s| s.station == station) {
            scaler.serving.set(now, serving);
        }
    }

    /// The autoscaler's periodic evaluation.
    #[inline(never)]
    pub(super) fn evaluate_scaler(&mut self, index: ScalerId, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let range = self.pool_instances(index);
        // Draining instances with nothing left stop (a fault may have
        // emptied them).
        for id in range.clone() {
            let instance = &self.instances[InstanceId(id)];
            if instance.life == Life::Draining && instance.present == 0 {
                self.stop_instance(InstanceId(id), now);
            }
        }
        let scaler = &self.scalers[index];
        let station = scaler.station;
        let current = self.instances[InstanceId(range.start)..InstanceId(range.end)]
            .iter()
            .filter(|i| matches!(i.life, Life::Booting | Life::Serving))
            .count() as u32;
        // Utilization over the interval, of the instances that served.
        let busy = scaler.busy_closed + self.station_metrics[station].busy.area_until(now);
        let serving = scaler.serving.area_until(now);
        let workers = self.stations[station].workers_per_instance as f64;
        let (busy_delta, serving_delta) = (busy - scaler.busy_mark, serving - scaler.serving_mark);
        // The metric, and the instances it was measured over: utilization
        // over the serving instances of the interval (their time-weighted
        // mean), queue depth per instance now.
        let elapsed = now.since(scaler.last_eval).as_nanos() as f64;
        let measured = match scaler.metric {
            ScaleMetric::Utilization if serving_delta == 0 || elapsed == 0.0 => None,
            ScaleMetric::Utilization => Some((
                busy_delta as f64 / (serving_delta as f64 * workers),
                serving_delta as f64 / elapsed,
            )),
            ScaleMetric::QueueDepth => {
                let depth = self.brokers[scaler.queue].len() as f64;
                Some((depth / current.max(1) as f64, current.max(1) as f64))
            }
        };
        let scaler = &mut self.scalers[index];
        scaler.busy_mark = busy;
        scaler.serving_mark = serving;
        scaler.last_eval = now;
        queue.schedule_in(scaler.interval, Event::Autoscale { scaler: index });
        let Some((value, over)) = measured else {
            return;
        };
        let wanted = desired(over, value, scaler.target, scaler.min, scaler.max);
        let since = scaler.last_action.map(|at| now.since(at));
        let allowed = |cooldown: SimDuration| since.is_none_or(|since| since >= cooldown);
        let (kind, allowed) = if wanted > current {
            ("scale_out", allowed(scaler.cooldown))
        } else if wanted < current {
            ("scale_in", allowed(scaler.scale_in_cooldown))
        } else {
            return;
        };
        if !allowed {
            return;
        }
        scaler.last_action = Some(now);
        scaler.actions += 1;
        let detail = format!(
            "{current} → {wanted}: {} {value:.3}, target {}",
            scaler.metric.name(),
            scaler.target
        );
        let pool = scaler.pool.clone();
        if wanted > current {
            self.scale_out(index, wanted - current, queue);
        } else {
            self.scale_in(index, current - wanted, now);
        }
        self.log(now, kind, &pool, detail);
    }

    /// Adds `count` instances: draining ones come back at once, stopped
    /// ones boot.
    fn scale_out(&mut self, index: ScalerId, mut count: u32, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let range = self.pool_instances(index);
        let station = self.scalers[index].station;
        for id in range.clone() {
            if count > 0 && self.instances[InstanceId(id)].life == Life::Draining {
                self.instances[InstanceId(id)].life = Life::Serving;
                count -= 1;
            }
        }
        for id in range.clone() {
            if count == 0 {
                break;
            }
            if self.instances[InstanceId(id)].life != Life::Stopped {
                continue;
            }
            count -= 1;
            self.instances[InstanceId(id)].life = Life::Booting;
            let local = MemberId(id - range.start);
            let scaler = &mut self.scalers[index];
            scaler.launches[local] += 1;
            let launch = scaler.launches[local];
            let boot = self.sample_duration(self.scalers[index].boot);
            queue.schedule_in(
                boot,
                Event::Booted {
                    instance: InstanceId(id),
                    launch,
                },
            );
        }
        self.rebill(station, now);
        let queue_id = self.scalers[index].queue;
        if queue_id != NO_QUEUE {
            self.deliver_messages(queue_id, queue);
        }
    }

    /// Removes `count` instances: boots are cancelled first, then the
    /// highest serving instances drain.
    fn scale_in(&mut self, index: ScalerId, mut count: u32, now: SimTime) {
        let range = self.pool_instances(index);
        let station = self.scalers[index].station;
        for id in range.clone().rev() {
            if count > 0 && self.instances[InstanceId(id)].life == Life::Booting {
                self.instances[InstanceId(id)].life = Life::Stopped;
                count -= 1;
            }
        }
        for id in range.rev() {
            if count == 0 {
                break;
            }
            if self.instances[InstanceId(id)].life != Life::Serving {
                continue;
            }
            count -= 1;
            self.instances[InstanceId(id)].life = Life::Draining;
            if self.instances[InstanceId(id)].present == 0 {
                self.instances[InstanceId(id)].life = Life::Stopped;
            }
        }
        self.rebill(station, now);
    }

    /// A launched instance finished booting: it takes work from now.
    #[inline(never)]
    pub(super) fn booted(&mut self, instance: InstanceId, launch: u32, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let station = self.instances[instance].station;
        let Some(index) = self
            .scalers
            .iter_enumerated()
            .find(|(_, s)| s.station == station)
            .map(|(id, _)| id)
        else {
            return;
        };
        let local = MemberId(instance.0 - self.stations[station].first_instance.0);
        if self.scalers[index].launches[local] != launch || self.instances[instance].life != Life::Booting {
            return;
        }
        self.instances[instance].life = Life::Serving;
        self.rebill(station, now);
        let pool = self.scalers[index].pool.clone();
        self.log(now, "instance_ready", &pool, format!("instance {local} serves"));
        let queue_id = self.scalers[index].queue;
        if queue_id != NO_QUEUE {
            self.deliver_messages(queue_id, queue);
        }
    }

    /// A drained instance stops (and stops billing).
    pub(super) fn stop_instance(&mut self, instance: InstanceId, now: SimTime) {
        self.instances[instance].life = Life::Stopped;
        let station = self.instances[instance].station;
        self.rebill(station, now);
    }

    /// Window bookkeeping: the busy integral the scalers need, billing
    /// means and kept billed time, and the `instances` rows of pools.
    pub(super) fn close_scaling_window(
        &mut self,
        closed: &IdVec<StationId, StationCounters>,
        keep: bool,
        now: SimTime,
        elapsed: u128,
    ) {
        for scaler in &mut self.scalers {
            scaler.busy_closed += closed[scaler.station].busy_area;
        }
        for billing in &mut self.billing {
            let billed = billing.billed.close_window(now);
            let serving = billing.serving.close_window(now);
            let per = |area: u128| {
                if elapsed == 0 {
                    0.0
                } else {
                    area as f64 / elapsed as f64
                }
            };
            billing.billed_mean = per(billed);
            billing.serving_mean = per(serving);
            if keep {
                billing.billed_kept += billed;
                billing.serving_kept += serving;
            }
        }
    }

    /// Workers and cores of a station group: for an autoscaled pool, those
    /// of its mean serving instances (over the window just closed, or over
    /// the kept windows); otherwise `fixed`.
    pub(super) fn scaled_capacity(
        &self,
        first_station: StationId,
        kept: bool,
        fixed: (u64, u64),
    ) -> (u64, u64) {
        if !self.scalers.iter().any(|s| s.station == first_station) {
            return fixed;
        }
        let billing = &self.billing[first_station];
        let serving = if kept {
            if self.kept_elapsed_ns == 0 {
                0.0
            } else {
                billing.serving_kept as f64 / self.kept_elapsed_ns as f64
            }
        } else {
            billing.serving_mean
        };
        let station = &self.stations[first_station];
        let scale = |per_instance: u32| ((serving * per_instance as f64).round() as u64).max(1);
        (
            scale(station.workers_per_instance),
            scale(station.cores_per_instance),
        )
    }

    /// Rows of a pool's instance counts for the window just closed.
    pub(super) fn instance_rows(
        &self,
        stations: std::ops::Range<StationId>,
        time_s: f64,
        scope: u32,
        series: &mut Timeseries,
    ) {
        let first_station = stations.start;
        let stations = &self.billing[stations];
        let billed: f64 = stations.iter().map(|b| b.billed_mean).sum();
        series.push(time_s, scope, metric::INSTANCES, billed);
        if self.scalers.iter().any(|s| s.station == first_station) {
            let serving: f64 = stations.iter().map(|b| b.serving_mean).sum();
            series.push(time_s, scope, metric::SERVING_INSTANCES, serving);
        }
    }

    /// Scaling totals per autoscaled pool.
    pub(super) fn summary_scalers(&self, summary: &mut Summary, kept_ns: u128) {
        for scaler in &self.scalers {
            let billing = &self.billing[scaler.station];
            let mean = if kept_ns == 0 {
                0.0
            } else {
                billing.billed_kept as f64 / kept_ns as f64
            };
            summary.push(&scaler.pool, metric::INSTANCES_MEAN, mean);
            summary.push(&scaler.pool, metric::SCALE_ACTIONS, scaler.actions as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_tracking_rounds_up_and_clamps() {
        assert_eq!(desired(4.0, 0.9, 0.6, 1, 10), 6);
        assert_eq!(desired(4.0, 0.6, 0.6, 1, 10), 4, "on target: no change");
        assert_eq!(desired(4.0, 0.1, 0.6, 2, 10), 2, "clamped to min");
        assert_eq!(desired(4.0, 5.0, 0.5, 1, 10), 10, "clamped to max");
        // Queue depth: 250 messages over 2 instances, 50 per instance wanted.
        assert_eq!(desired(2.0, 125.0, 50.0, 1, 20), 5);
        // Measured over 2.5 serving instances on average.
        assert_eq!(desired(2.5, 0.9, 0.6, 1, 10), 4);
    }

    #[test]
    fn billing_integrates_running_instances() {
        let mut billing = Billing::new(2);
        billing.billed.set(SimTime(3_600_000_000_000), 4);
        billing.billed_kept = billing.billed.close_window(SimTime(7_200_000_000_000));
        // 2 for an hour, 4 for an hour: 6 instance-hours.
        assert!((billing.cost(0.5) - 3.0).abs() < 1e-12);
    }
}
