//! An instance of a pool or a database: a worker station (threads or
//! connections: admission, with a bounded waiting room) and, when it has
//! fewer cores than workers, a core station (CPU contention among workers).
//!
//! This module owns only the queue discipline. It hands out resources and
//! reports hand-offs; the caller moves the frames and updates the metrics.
//! Queues are `VecDeque`s that grow to their high-water mark and stay there,
//! so steady state allocates nothing.

use std::collections::VecDeque;

use super::frame::StationId;
use crate::engine::SlabKey;

/// In a core queue, not a frame: a database replica's applier waiting for
/// a core (the write it will apply waits in the node's `Applier`).
pub const APPLIER: SlabKey = SlabKey {
    index: u32::MAX - 1,
    generation: u32::MAX,
};

#[derive(Debug)]
pub struct Instance {
    pub station: StationId,
    pub workers: u32,
    pub busy_workers: u32,
    /// New arrivals waiting for a worker.
    pub waiting: VecDeque<SlabKey>,
    /// Admitted frames waiting to get a worker back (async pools); served
    /// before new arrivals so work in progress finishes first.
    pub resuming: VecDeque<SlabKey>,
    /// Most new arrivals that may wait; `None` is unbounded.
    pub capacity: Option<u32>,
    pub cores: u32,
    pub busy_cores: u32,
    /// Whether cores are a separate resource: fewer cores than workers,
    /// or a database node with a size (its replicas' applies need cores too).
    pub cores_limit: bool,
    pub core_queue: VecDeque<SlabKey>,
    /// The host whose cores it computes on instead of its own (`host`).
    pub host: Option<crate::scenario::ids::HostId>,
    /// Service-time divisor.
    pub speed: f64,
    /// Requests at this instance (waiting, served, or awaiting replies).
    pub present: u32,
    /// Requests a balancer has sent here that have not finished.
    pub assigned: u32,
    /// Frames computing now.
    pub computing: u32,
    /// Alive. `hung` says how it last died: refusing and resetting
    /// (false) or ignoring everything (true).
    pub up: bool,
    pub hung: bool,
    /// Bumped when it dies: frames of an older epoch are gone with it.
    pub epoch: u32,
    /// When it last died.
    pub died_at: crate::engine::SimTime,
    /// Service-time multiplier and extra time (a slow-down fault).
    pub slow_factor: f64,
    pub slow_add_ns: f64,
    /// Where it is in its autoscaling life (fixed pools: always serving).
    pub life: Life,
}

/// An instance's life under autoscaling: launched, booting, serving, and
/// draining (no new work, finishing what it has) before it stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Life {
    Stopped,
    Booting,
    Serving,
    Draining,
}

impl Life {
    /// Running (and billed while up): booting, serving or draining.
    pub fn provisioned(self) -> bool {
        self != Life::Stopped
    }
}

/// What happened to an arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// It has a worker and starts now.
    Started,
    /// It waits for a worker.
    Queued,
    /// The waiting room is full.
    Rejected,
}

impl Instance {
    pub fn new(station: StationId, workers: u32, capacity: Option<u32>, cores: u32, speed: f64) -> Self {
        Instance {
            station,
            workers,
            busy_workers: 0,
            waiting: VecDeque::new(),
            resuming: VecDeque::new(),
            capacity,
            cores,
            busy_cores: 0,
            cores_limit: cores < workers,
            core_queue: VecDeque::new(),
            host: None,
            speed,
            present: 0,
            assigned: 0,
            computing: 0,
            up: true,
            hung: false,
            epoch: 0,
            died_at: crate::engine::SimTime::ZERO,
            slow_factor: 1.0,
            slow_add_ns: 0.0,
            life: Life::Serving,
        }
    }

    /// A new arrival asks for a worker.
    pub fn admit(&mut self, frame: SlabKey) -> Admission {
        if self.busy_workers < self.workers {
            self.busy_workers += 1;
            Admission::Started
        } else if self
            .capacity
            .is_none_or(|capacity| (self.waiting.len() as u32) < capacity)
        {
            self.waiting.push_back(frame);
            Admission::Queued
        } else {
            Admission::Rejected
        }
    }

    /// An admitted frame asks for a worker again; true if it got one.
    pub fn resume(&mut self, frame: SlabKey) -> bool {
        if self.busy_workers < self.workers {
            self.busy_workers += 1;
            true
        } else {
            self.resuming.push_back(frame);
            false
        }
    }

    /// A worker is freed: returns the frame it passes to (still busy) and
    /// whether that frame was a new arrival, or `None` (now idle).
    pub fn release_worker(&mut self) -> Option<(SlabKey, bool)> {
        debug_assert!(self.busy_workers > 0);
        if let Some(frame) = self.resuming.pop_front() {
            return Some((frame, false));
        }
        if let Some(frame) = self.waiting.pop_front() {
            return Some((frame, true));
        }
        self.busy_workers -= 1;
        None
    }

    /// A frame asks for a core; true if it got one.
    pub fn acquire_core(&mut self, frame: SlabKey) -> bool {
        if self.busy_cores < self.cores {
            self.busy_cores += 1;
            true
        } else {
            self.core_queue.push_back(frame);
            false
        }
    }

    /// The instance dies: every queue is emptied (the frames are returned
    /// to be failed or dropped) and every resource is free.
    pub fn kill(&mut self, hung: bool) -> Vec<SlabKey> {
        self.up = false;
        self.hung = hung;
        self.epoch += 1;
        let mut stranded: Vec<SlabKey> = self.waiting.drain(..).collect();
        stranded.extend(self.resuming.drain(..));
        stranded.extend(self.core_queue.drain(..));
        self.busy_workers = 0;
        self.busy_cores = 0;
        self.present = 0;
        self.computing = 0;
        stranded
    }

    /// The instance comes back, empty. (`hung` keeps saying how it died,
    /// for frames of its last life that still have events pending.)
    pub fn restore(&mut self) {
        self.up = true;
    }

    /// A core is freed: returns the frame it passes to, if any.
    pub fn release_core(&mut self) -> Option<SlabKey> {
        debug_assert!(self.busy_cores > 0);
        let next = self.core_queue.pop_front();
        if next.is_none() {
            self.busy_cores -= 1;
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(index: u32) -> SlabKey {
        SlabKey { index, generation: 0 }
    }

    #[test]
    fn admits_queues_then_rejects() {
        let mut instance = Instance::new(StationId(0), 1, Some(1), 1, 1.0);
        assert_eq!(instance.admit(key(1)), Admission::Started);
        assert_eq!(instance.admit(key(2)), Admission::Queued);
        assert_eq!(instance.admit(key(3)), Admission::Rejected);
        assert_eq!(instance.release_worker(), Some((key(2), true)));
        assert_eq!(instance.release_worker(), None);
        assert_eq!(instance.busy_workers, 0);
    }

    #[test]
    fn resuming_frames_go_before_new_arrivals() {
        let mut instance = Instance::new(StationId(0), 1, None, 1, 1.0);
        instance.admit(key(1));
        instance.admit(key(2));
        assert!(!instance.resume(key(3)));
        assert_eq!(instance.release_worker(), Some((key(3), false)));
        assert_eq!(instance.release_worker(), Some((key(2), true)));
    }

    #[test]
    fn cores_are_handed_over_in_order() {
        let mut instance = Instance::new(StationId(0), 4, None, 1, 1.0);
        assert!(instance.cores_limit);
        assert!(instance.acquire_core(key(1)));
        assert!(!instance.acquire_core(key(2)));
        assert_eq!(instance.release_core(), Some(key(2)));
        assert_eq!(instance.release_core(), None);
        assert_eq!(instance.busy_cores, 0);
    }
}
