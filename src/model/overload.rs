//! Where work piles up, for the message of a run stopped at a limit: the
//! station with the longest queue, how many calls it holds, and how many
//! of those belong to attempts the client had already given up on — the
//! work a timeout does not take back from the servers.
//!
//! Computed once, when the run stops; nothing here is on the event path.

use super::Model;
use super::frame::Purpose;
use crate::engine::SlabKey;

/// The station with the longest queue when a run stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overload {
    /// Its name as in the outputs: `web`, `db.primary`, `lb` (a balancer with
    /// `cores` or `max_connections`).
    pub station: String,
    /// Calls at it: waiting for a worker (or core), being served, or waiting
    /// on calls of their own.
    pub calls: u64,
    /// Of those, calls waiting for a worker, a core or a connection.
    pub waiting: u64,
    /// Of the waiting ones, calls of attempts the client had abandoned (it
    /// timed out, or the attempt had failed and a retry replaced it).
    pub abandoned: u64,
}

impl Model {
    /// The station with the most calls waiting now, then the most calls
    /// (the first in scenario order on a tie), or `None` when no station
    /// holds any call.
    pub fn overload(&self) -> Option<Overload> {
        let mut worst: Option<Overload> = None;
        let mut consider = |candidate: Overload| {
            let rank = |o: &Overload| (o.waiting, o.calls);
            if candidate.calls > 0 && worst.as_ref().is_none_or(|worst| rank(&candidate) > rank(worst)) {
                worst = Some(candidate);
            }
        };
        for station in self.stations.iter() {
            let (mut calls, mut waiting, mut abandoned) = (0, 0, 0);
            for id in station.instance_ids() {
                let instance = &self.instances[id];
                calls += u64::from(instance.present);
                let queues = [&instance.waiting, &instance.resuming, &instance.core_queue];
                for key in queues.into_iter().flatten() {
                    waiting += 1;
                    abandoned += u64::from(self.is_abandoned(*key));
                }
            }
            consider(Overload {
                station: station.name.clone(),
                calls,
                waiting,
                abandoned,
            });
        }
        for (id, balancer) in self.balancers.iter_enumerated() {
            let Some(capacity) = balancer.capacity.as_deref() else {
                continue;
            };
            let waiting = capacity.waiting.len() as u64;
            consider(Overload {
                station: self.balancer_names[id].clone(),
                calls: u64::from(capacity.connections),
                waiting,
                abandoned: capacity
                    .waiting
                    .iter()
                    .filter(|key| self.is_abandoned(**key))
                    .count() as u64,
            });
        }
        worst
    }

    /// Requests in flight between two attempts: the last one failed and a
    /// retry waits out its backoff.
    pub fn requests_between_attempts(&self) -> u64 {
        self.requests.values().filter(|request| !request.waiting).count() as u64
    }

    /// Whether the call `key` works for an attempt its client no longer
    /// waits for (the request ended, or moved on to another attempt).
    fn is_abandoned(&self, key: SlabKey) -> bool {
        let Some(frame) = self.frames.get(key) else {
            return false;
        };
        if frame.purpose != Purpose::Call {
            return false;
        }
        match self.requests.get(frame.request) {
            Some(request) => request.attempt != frame.attempt || !request.waiting,
            None => true,
        }
    }
}
