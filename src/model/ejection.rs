//! Passive health checks at balancers (a balancer's `outlier_ejection`),
//! as nginx's `max_fails`/`fail_timeout` and Envoy's outlier detection
//! (`consecutive_5xx`, `base_ejection_time`, `max_ejection_percent`).
//!
//! The balancer watches the calls it forwarded: a failed reply, or a call
//! lost at a hung instance (the proxy's upstream timeout, counted when the
//! instance drops it), is an error; a success clears the run. After
//! `consecutive_errors` in a row the instance is ejected for `ejection`
//! (a fixed time, not Envoy's growing one), unless `floor(max_ejected ×
//! instances)` are ejected already. With `max_ejected = 1.0` every instance
//! can go, and the balancer then fails calls with `no_live_upstream`:
//! nginx's "no live upstreams", the failure mode that turns an overload's
//! scattered 503s into an outage.
//!
//! Ejection and active health checks share the balancer's `in_rotation`
//! flags, which the pick reads (no cost when off): an instance is in
//! rotation when it is healthy by its probes and not ejected.

use super::balancer::Balancer;
use super::frame::{Cause, InstanceId};
use super::ids::{BalancerId, MemberId};
use super::{Event, Model};
use crate::engine::EventQueue;
use crate::engine::id::IdVec;
use crate::metrics::catalog as metric;
use crate::metrics::{Summary, Timeseries};
use crate::scenario::OutlierEjection;

/// One balancer's outlier ejection state.
#[derive(Clone, Debug)]
pub struct Ejection {
    config: OutlierEjection,
    /// Instances that may be ejected at once.
    limit: u32,
    /// Per instance: failed calls in a row.
    errors: IdVec<MemberId, u32>,
    ejected: IdVec<MemberId, bool>,
    /// Per instance: in rotation by the active health checks.
    healthy: IdVec<MemberId, bool>,
    pub ejected_now: u32,
    pub ejections_window: u64,
    pub ejections_total: u64,
}

impl Ejection {
    pub fn new(config: OutlierEjection, instances: u32) -> Self {
        let count = instances as usize;
        Ejection {
            limit: (config.max_ejected * f64::from(instances) + 1e-9).floor() as u32,
            config,
            errors: IdVec::from_elem(0, count),
            ejected: IdVec::from_elem(false, count),
            healthy: IdVec::from_elem(true, count),
            ejected_now: 0,
            ejections_window: 0,
            ejections_total: 0,
        }
    }

    /// A call to `local` ended (`failed` or not): whether it is to be
    /// ejected now.
    pub fn record(&mut self, local: MemberId, failed: bool) -> bool {
        if !failed {
            self.errors[local] = 0;
            return false;
        }
        self.errors[local] += 1;
        if self.ejected[local]
            || self.errors[local] < self.config.consecutive_errors
            || self.ejected_now >= self.limit
        {
            return false;
        }
        self.errors[local] = 0;
        self.ejected[local] = true;
        self.ejected_now += 1;
        self.ejections_window += 1;
        true
    }

    /// `local`'s ejection is over.
    pub fn restore(&mut self, local: MemberId) {
        debug_assert!(self.ejected[local], "only an ejected instance returns");
        self.ejected[local] = false;
        self.errors[local] = 0;
        self.ejected_now -= 1;
    }
}

impl Balancer {
    /// Whether instance `local` is in rotation by its health checks.
    pub fn healthy(&self, local: MemberId) -> bool {
        match &self.ejection {
            Some(ejection) => ejection.healthy[local],
            None => self.in_rotation[local],
        }
    }

    /// The health checks put `local` in rotation or take it out; ejected,
    /// it stays out until its ejection is over.
    pub fn set_healthy(&mut self, local: MemberId, healthy: bool) {
        match &mut self.ejection {
            Some(ejection) => {
                ejection.healthy[local] = healthy;
                self.in_rotation[local] = healthy && !ejection.ejected[local];
            }
            None => self.in_rotation[local] = healthy,
        }
    }
}

impl Model {
    /// A call balancer `balancer` forwarded to `instance` ended, `failed`
    /// or not: outlier ejection counts it (a no-op without it).
    #[inline]
    pub(super) fn outlier_outcome(
        &mut self,
        balancer: BalancerId,
        instance: InstanceId,
        failed: bool,
        queue: &mut EventQueue<Event>,
    ) {
        if self.balancers[balancer].ejection.is_some() {
            self.outlier_record(balancer, instance, failed, queue);
        }
    }

    #[inline(never)]
    fn outlier_record(
        &mut self,
        balancer_id: BalancerId,
        instance: InstanceId,
        failed: bool,
        queue: &mut EventQueue<Event>,
    ) {
        let balancer = &mut self.balancers[balancer_id];
        let Some(local) = balancer.member(instance) else {
            return;
        };
        let ejection = balancer.ejection.as_deref_mut().expect("checked");
        if !ejection.record(local, failed) {
            return;
        }
        let (errors, duration) = (ejection.config.consecutive_errors, ejection.config.ejection);
        balancer.in_rotation[local] = false;
        queue.schedule_in(
            duration,
            Event::EjectionOver {
                balancer: balancer_id,
                member: local,
            },
        );
        let name = self.balancer_names[balancer_id].clone();
        let detail = format!("instance {local} ejected for {duration} after {errors} failed calls in a row");
        self.log(queue.now(), "ejected", &name, detail);
    }

    /// An instance's ejection is over: it takes traffic again (if its
    /// health checks allow).
    #[inline(never)]
    pub(super) fn ejection_over(
        &mut self,
        balancer_id: BalancerId,
        local: MemberId,
        queue: &mut EventQueue<Event>,
    ) {
        let balancer = &mut self.balancers[balancer_id];
        let ejection = balancer.ejection.as_deref_mut().expect("an ejecting balancer");
        ejection.restore(local);
        balancer.in_rotation[local] = ejection.healthy[local];
        let name = self.balancer_names[balancer_id].clone();
        self.log(
            queue.now(),
            "ejection_over",
            &name,
            format!("instance {local} returns"),
        );
    }

    /// Why a balancer with no instance to pick fails the call: every
    /// instance it could use is ejected (`no_live_upstream`), or there is
    /// none (`unavailable`).
    pub(super) fn no_instance_cause(&self, balancer: BalancerId) -> Cause {
        match &self.balancers[balancer].ejection {
            Some(ejection) if ejection.ejected_now > 0 => Cause::NoLiveUpstream,
            _ => Cause::Unavailable,
        }
    }

    /// The window's rows per balancer with outlier ejection.
    pub(super) fn ejection_close_window(&mut self, keep: bool, time_s: f64, series: &mut Timeseries) {
        for (id, balancer) in self.balancers.iter_enumerated_mut() {
            let Some(ejection) = balancer.ejection.as_deref_mut() else {
                continue;
            };
            let scope = series.scope(&self.balancer_names[id]);
            series.push(time_s, scope, metric::EJECTIONS, ejection.ejections_window as f64);
            series.push(
                time_s,
                scope,
                metric::EJECTED_INSTANCES,
                f64::from(ejection.ejected_now),
            );
            if keep {
                ejection.ejections_total += ejection.ejections_window;
            }
            ejection.ejections_window = 0;
        }
    }

    /// The summary rows of the balancers with outlier ejection.
    pub(super) fn ejection_summary(&self, summary: &mut Summary) {
        for (id, balancer) in self.balancers.iter_enumerated() {
            if let Some(ejection) = &balancer.ejection {
                summary.push(
                    &self.balancer_names[id],
                    metric::EJECTIONS,
                    ejection.ejections_total as f64,
                );
            }
        }
    }

    /// Whether any balancer or call step can fail calls with `cause` (an
    /// opt-in cause's summary row is written only then).
    pub(super) fn cause_possible(&self, cause: Cause) -> bool {
        match cause {
            Cause::BreakerOpen => !self.call_policies.breakers.breakers.is_empty(),
            Cause::BulkheadFull => !self.call_policies.bulkheads.bulkheads.is_empty(),
            Cause::NoLiveUpstream => self.balancers.iter().any(|balancer| balancer.ejection.is_some()),
            Cause::Shed => self.sheds(),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;

    fn config(cap: f64) -> OutlierEjection {
        OutlierEjection {
            consecutive_errors: 3,
            ejection: SimDuration::from_secs(30),
            max_ejected: cap,
        }
    }

    #[test]
    fn ejects_after_its_errors_in_a_row_and_a_success_resets_the_run() {
        let mut ejection = Ejection::new(config(1.0), 2);
        let first = MemberId(0);
        assert!(!ejection.record(first, true));
        assert!(!ejection.record(first, true));
        assert!(!ejection.record(first, false));
        assert!(!ejection.record(first, true));
        assert!(!ejection.record(first, true));
        assert!(ejection.record(first, true), "three in a row");
        assert_eq!(ejection.ejected_now, 1);
        ejection.restore(first);
        assert_eq!(ejection.ejected_now, 0);
    }

    #[test]
    fn the_cap_keeps_instances_in() {
        let mut capped = Ejection::new(config(0.5), 2);
        for _ in 0..3 {
            capped.record(MemberId(0), true);
        }
        for _ in 0..10 {
            assert!(!capped.record(MemberId(1), true), "half of two is one");
        }
        let mut uncapped = Ejection::new(config(1.0), 2);
        for local in [MemberId(0), MemberId(1)] {
            for _ in 0..3 {
                uncapped.record(local, true);
            }
        }
        assert_eq!(uncapped.ejected_now, 2);
    }
}
