//! Hosts: one core station shared by every instance placed on a host
//! (`host = "<name>"` on a pool, database or cache). A frame (or a database
//! replica's applier) of any of those instances that computes takes one of
//! the host's cores or waits in one FIFO line with the others, so the
//! components' CPU work contends as it does on one machine. Each instance's
//! own metrics still count its own work; its `cores` are the host's.
//!
//! Like `instance`, this module owns only the queue discipline; the caller
//! moves the frames and updates the metrics. The line is a `VecDeque` that
//! grows to its high-water mark and stays there.

use std::collections::VecDeque;

use super::compile::Builder;
use super::ids::InstanceId;
use super::{Role, Station};
use crate::engine::SlabKey;
use crate::engine::id::IdVec;
use crate::scenario::geo::Placed;
use crate::scenario::ids::HostId;

/// One host's cores and the line waiting for them.
#[derive(Debug)]
pub struct Host {
    pub cores: u32,
    pub busy_cores: u32,
    /// Who waits for a core: the instance and its frame (or `instance::APPLIER`).
    pub line: VecDeque<(InstanceId, SlabKey)>,
}

impl Host {
    pub fn new(cores: u32) -> Self {
        Host {
            cores,
            busy_cores: 0,
            line: VecDeque::new(),
        }
    }

    /// `frame` of `instance` asks for a core; true if it got one.
    pub fn acquire(&mut self, instance: InstanceId, frame: SlabKey) -> bool {
        if self.busy_cores < self.cores {
            self.busy_cores += 1;
            true
        } else {
            self.line.push_back((instance, frame));
            false
        }
    }

    /// A core is freed: returns who it passes to, if anyone waits.
    pub fn release(&mut self) -> Option<(InstanceId, SlabKey)> {
        debug_assert!(self.busy_cores > 0);
        let next = self.line.pop_front();
        if next.is_none() {
            self.busy_cores -= 1;
        }
        next
    }

    /// `instance` died: its waiters leave the line (returned, to be failed
    /// or dropped). The cores its computing frames held are handed on by
    /// the caller, one `release` each.
    pub fn remove_instance(&mut self, instance: InstanceId) -> Vec<SlabKey> {
        let mut stranded = Vec::new();
        self.line.retain(|&(owner, frame)| {
            if owner == instance {
                stranded.push(frame);
            }
            owner != instance
        });
        stranded
    }
}

/// Builds the hosts and places every instance of each hosted component on
/// its host: its cores become the host's, and a limit (every computing
/// frame takes one).
pub(super) fn place(builder: &mut Builder) -> IdVec<HostId, Host> {
    let scenario = builder.scenario;
    let hosts: IdVec<HostId, Host> = scenario
        .hosts
        .hosts
        .iter()
        .map(|host| Host::new(host.cores))
        .collect();
    for &(component, host) in &scenario.hosts.placements {
        let cores = hosts[host].cores;
        let placed: Vec<InstanceId> = match component {
            Placed::Pool(pool) => {
                let station: &Station = &builder.stations[builder.station_ids[pool]];
                station.instance_ids().collect()
            }
            _ => builder
                .roles
                .iter_enumerated()
                .filter(|&(_, role)| match (component, role) {
                    (Placed::Database(database), Role::DatabaseNode { database: of, .. }) => database == *of,
                    (Placed::Cache(cache), Role::CacheNode { cache: of, .. }) => cache == *of,
                    _ => false,
                })
                .map(|(id, _)| id)
                .collect(),
        };
        for id in placed {
            let instance = &mut builder.instances[id];
            instance.host = Some(host);
            instance.cores = cores;
            instance.cores_limit = true;
            let station = instance.station;
            builder.stations[station].cores_per_instance = cores;
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(index: u32) -> SlabKey {
        SlabKey { index, generation: 0 }
    }

    #[test]
    fn instances_share_the_cores_in_arrival_order() {
        let mut host = Host::new(1);
        assert!(host.acquire(InstanceId(0), key(1)));
        assert!(!host.acquire(InstanceId(1), key(2)));
        assert!(!host.acquire(InstanceId(0), key(3)));
        assert_eq!(host.release(), Some((InstanceId(1), key(2))));
        assert_eq!(host.release(), Some((InstanceId(0), key(3))));
        assert_eq!(host.release(), None);
        assert_eq!(host.busy_cores, 0);
    }

    #[test]
    fn a_dead_instance_leaves_the_line() {
        let mut host = Host::new(1);
        host.acquire(InstanceId(0), key(1));
        host.acquire(InstanceId(1), key(2));
        host.acquire(InstanceId(0), key(3));
        assert_eq!(host.remove_instance(InstanceId(1)), vec![key(2)]);
        assert_eq!(host.release(), Some((InstanceId(0), key(3))));
    }
}
