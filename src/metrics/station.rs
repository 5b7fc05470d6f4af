//! Queueing statistics of a station (a pool's instances, a database's
//! connections), aggregated over its instances: time-weighted levels for
//! Little's law and utilization, counters for flow.

use super::gauge::TimeWeighted;
use crate::engine::SimTime;

/// Flow counters and sums of a station over some time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StationCounters {
    /// Requests that reached the station.
    pub arrivals: u64,
    /// Requests turned away because the waiting room was full.
    pub rejected: u64,
    /// Requests that found it down and were refused.
    pub refused: u64,
    /// Requests in progress when it died.
    pub reset: u64,
    /// Requests that got a worker (after waiting or not).
    pub started: u64,
    /// Requests among `started` that had to wait in the queue first.
    pub waited: u64,
    /// Σ time spent waiting for a worker (on arrival, and in async pools
    /// again after each wait), over `started`.
    pub wait_ns: u128,
    /// Requests that left after being served.
    pub completed: u64,
    /// Σ time from arrival to departure, over `completed`.
    pub residence_ns: u128,
    /// ∫ busy workers dt.
    pub busy_area: u128,
    /// ∫ busy cores dt.
    pub cpu_area: u128,
    /// ∫ waiting requests dt.
    pub queue_area: u128,
    /// ∫ requests present dt (waiting, served, or waiting on calls).
    pub present_area: u128,
    /// Length of time covered, in nanoseconds.
    pub elapsed_ns: u128,
    /// CPU segments (compute ops; a database replica's applies) that got a
    /// core where cores are a limit of their own, after waiting or not.
    pub core_started: u64,
    /// Among `core_started`, those that had to wait for the core.
    pub core_waited: u64,
    /// Σ time spent waiting for a core, over `core_started`.
    pub core_wait_ns: u128,
}

impl StationCounters {
    pub fn merge(&mut self, other: &StationCounters) {
        self.arrivals += other.arrivals;
        self.rejected += other.rejected;
        self.refused += other.refused;
        self.reset += other.reset;
        self.started += other.started;
        self.waited += other.waited;
        self.wait_ns += other.wait_ns;
        self.completed += other.completed;
        self.residence_ns += other.residence_ns;
        self.busy_area += other.busy_area;
        self.cpu_area += other.cpu_area;
        self.queue_area += other.queue_area;
        self.present_area += other.present_area;
        self.elapsed_ns += other.elapsed_ns;
        self.core_started += other.core_started;
        self.core_waited += other.core_waited;
        self.core_wait_ns += other.core_wait_ns;
    }
    /// Adds another station's counters over the same time span (stations
    /// of one component side by side): everything sums except the span.
    pub fn add_parallel(&mut self, other: &StationCounters) {
        let elapsed = self.elapsed_ns.max(other.elapsed_ns);
        self.merge(other);
        self.elapsed_ns = elapsed;
    }

    fn per_elapsed(&self, area: u128) -> f64 {
        if self.elapsed_ns == 0 {
            0.0
        } else {
            area as f64 / self.elapsed_ns as f64
        }
    }

    /// Mean busy workers / workers.
    pub fn utilization(&self, workers: u64) -> f64 {
        self.per_elapsed(self.busy_area) / workers.max(1) as f64
    }

    /// Mean busy cores / cores.
    pub fn cpu_utilization(&self, cores: u64) -> f64 {
        self.per_elapsed(self.cpu_area) / cores.max(1) as f64
    }

    pub fn queue_len_mean(&self) -> f64 {
        self.per_elapsed(self.queue_area)
    }

    pub fn in_system_mean(&self) -> f64 {
        self.per_elapsed(self.present_area)
    }

    /// The mean wait of started requests; NaN (none to average, a blank
    /// cell) when none started.
    pub fn wait_mean_ns(&self) -> f64 {
        if self.started == 0 {
            f64::NAN
        } else {
            self.wait_ns as f64 / self.started as f64
        }
    }

    /// The mean wait for a core of the CPU segments that got one; NaN
    /// (blank) when none did.
    pub fn core_wait_mean_ns(&self) -> f64 {
        if self.core_started == 0 {
            f64::NAN
        } else {
            self.core_wait_ns as f64 / self.core_started as f64
        }
    }

    /// Mean busy workers (connections in use).
    pub fn busy_mean(&self) -> f64 {
        self.per_elapsed(self.busy_area)
    }

    /// The share of started requests that had to wait: P(wait); NaN when
    /// none started.
    pub fn wait_probability(&self) -> f64 {
        if self.started == 0 {
            f64::NAN
        } else {
            self.waited as f64 / self.started as f64
        }
    }

    /// The mean time from arrival to departure of completed requests; NaN
    /// when none completed.
    pub fn residence_mean_ns(&self) -> f64 {
        if self.completed == 0 {
            f64::NAN
        } else {
            self.residence_ns as f64 / self.completed as f64
        }
    }

    /// Departures per second.
    pub fn throughput_per_second(&self) -> f64 {
        if self.elapsed_ns == 0 {
            0.0
        } else {
            self.completed as f64 * 1e9 / self.elapsed_ns as f64
        }
    }
}

/// A station on a processor-sharing host counts its CPU level in units of
/// 1/`CPU_SHARE_SCALE` of a core (a step computing at `cores / n` of a core
/// is no whole number of cores); its window's area is divided back when
/// closed. A power of two, so whole cores scale exactly.
pub const CPU_SHARE_SCALE: u64 = 1 << 20;

/// The live statistics of one station: levels plus the open window's counts.
#[derive(Clone, Debug, Default)]
pub struct StationMetrics {
    pub busy: TimeWeighted,
    /// Busy cores; in 1/`CPU_SHARE_SCALE` of a core when `cpu_shared`.
    pub cpu: TimeWeighted,
    /// Whether the station stands on a processor-sharing host.
    pub cpu_shared: bool,
    pub queued: TimeWeighted,
    pub present: TimeWeighted,
    pub window: StationCounters,
    window_start: SimTime,
}

impl StationMetrics {
    /// Ends the window at `now` and returns its counters.
    pub fn close_window(&mut self, now: SimTime) -> StationCounters {
        let mut counters = std::mem::take(&mut self.window);
        counters.busy_area = self.busy.close_window(now);
        let cpu_area = self.cpu.close_window(now);
        counters.cpu_area = if self.cpu_shared {
            cpu_area / CPU_SHARE_SCALE as u128
        } else {
            cpu_area
        };
        counters.queue_area = self.queued.close_window(now);
        counters.present_area = self.present.close_window(now);
        counters.elapsed_ns = now.since(self.window_start).as_nanos() as u128;
        self.window_start = now;
        counters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_over_nothing_are_not_zero() {
        let mut counters = StationCounters {
            arrivals: 5,
            queue_area: 50,
            elapsed_ns: 10,
            ..StationCounters::default()
        };
        assert!(counters.wait_mean_ns().is_nan());
        assert!(counters.wait_probability().is_nan());
        assert!(counters.residence_mean_ns().is_nan());
        assert_eq!(counters.queue_len_mean(), 5.0);
        assert_eq!(counters.throughput_per_second(), 0.0);
        counters.started = 2;
        counters.waited = 1;
        counters.wait_ns = 30;
        counters.completed = 1;
        counters.residence_ns = 40;
        assert_eq!(counters.wait_mean_ns(), 15.0);
        assert_eq!(counters.wait_probability(), 0.5);
        assert_eq!(counters.residence_mean_ns(), 40.0);
    }
}
