//! Bulkheads on `call` steps (a step's `bulkhead`): at most
//! `max_concurrent` attempts of the step in flight from each calling
//! instance, as a semaphore bulkhead (resilience4j's `Bulkhead`, Hystrix's
//! semaphore isolation). One more fails at once (`bulkhead_full`), so a
//! slow dependency holds at most that many of an instance's workers and
//! the rest keep serving the other endpoints.
//!
//! An attempt holds its place from when it is sent until it ends for the
//! caller: its reply, a failure, or its `timeout` (the callee may go on
//! working on it). The counts per instance are sized once, when the model
//! starts: no allocation while it runs.

use super::frame::InstanceId;
use crate::engine::id::IdVec;
use crate::metrics::catalog as metric;
use crate::metrics::{Summary, Tally, Timeseries};
use crate::typed_id;

typed_id!(
    /// A call step's bulkhead.
    BulkheadId
);

/// One step's bulkhead.
#[derive(Clone, Debug)]
pub struct Bulkhead {
    pub max_concurrent: u32,
    /// `call:<pool>-><target>`.
    pub scope: String,
    /// Attempts in flight per calling instance (every instance of the
    /// model, indexed by its id).
    in_flight: Vec<u32>,
    /// Attempts refused because the bulkhead was full.
    pub rejected: Tally<u64>,
}

impl Bulkhead {
    pub fn new(max_concurrent: u32, scope: String) -> Self {
        Bulkhead {
            max_concurrent,
            scope,
            in_flight: Vec::new(),
            rejected: Tally::default(),
        }
    }

    /// Takes a place for an attempt from `instance`, or counts a refusal.
    pub fn enter(&mut self, instance: InstanceId) -> bool {
        let slot = &mut self.in_flight[instance.0 as usize];
        if *slot >= self.max_concurrent {
            self.rejected.window += 1;
            return false;
        }
        *slot += 1;
        true
    }

    /// An attempt from `instance` ended.
    pub fn leave(&mut self, instance: InstanceId) {
        let slot = &mut self.in_flight[instance.0 as usize];
        debug_assert!(*slot > 0, "an attempt leaves the bulkhead it entered");
        *slot -= 1;
    }
}

/// Every bulkhead of a model.
#[derive(Debug, Default)]
pub struct Bulkheads {
    pub bulkheads: IdVec<BulkheadId, Bulkhead>,
}

impl Bulkheads {
    /// Sizes the counts for a model of `instances` instances.
    pub fn size_for<T>(&mut self, instances: &IdVec<InstanceId, T>) {
        for bulkhead in self.bulkheads.iter_mut() {
            bulkhead.in_flight = vec![0; instances.len()];
        }
    }

    /// The window's rows per bulkhead.
    pub fn close_window(&mut self, keep: bool, time_s: f64, series: &mut Timeseries) {
        for bulkhead in self.bulkheads.iter_mut() {
            let scope = series.scope(&bulkhead.scope);
            let rejected = bulkhead.rejected.close(keep);
            series.push(time_s, scope, metric::BULKHEAD_REJECTED, rejected as f64);
        }
    }

    /// The summary rows over the kept windows.
    pub fn summary(&self, summary: &mut Summary) {
        for bulkhead in self.bulkheads.iter() {
            summary.push(
                &bulkhead.scope,
                metric::BULKHEAD_REJECTED,
                bulkhead.rejected.total as f64,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_at_most_max_concurrent_per_instance() {
        let mut bulkhead = Bulkhead::new(2, "call:a->b".to_owned());
        bulkhead.in_flight = vec![0; 2];
        let (first, second) = (InstanceId(0), InstanceId(1));
        assert!(bulkhead.enter(first));
        assert!(bulkhead.enter(first));
        assert!(!bulkhead.enter(first), "a third from the same instance");
        assert!(bulkhead.enter(second), "another instance has its own places");
        bulkhead.leave(first);
        assert!(bulkhead.enter(first));
        assert_eq!(bulkhead.rejected.window, 1);
    }
}
