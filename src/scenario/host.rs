//! Hosts: machines whose cores several components share. `[host.<name>]`
//! declares one (`cores`); `host = "<name>"` on a pool, a database or a
//! cache places every instance or node of it there, so all their CPU work
//! queues on the host's cores, in arrival order, whatever the component
//! (scenario 01's single server, with the database as its own component).
//! The component keeps its size's speed and price; its cores are the
//! host's. Read here, resolved to ids by `parse::names`, checked by
//! `check` (a host named but not declared), written back by `dump`.

use super::geo::Placed;
use super::ids::HostId;
use super::parse::{Cx, RefKind, read_reference};
use super::reader::TableNode;
use super::section::{self, section};
use crate::engine::id::IdVec;

section! {
    /// `[host.<name>]`: one machine; the pools, databases and caches with
    /// `host = "<name>"` compute on its cores, one queue for all of them.
    pub struct Host(name) {
        /// Cores of the machine, shared by every component placed on it (up to 4096).
        cores: u32 = required("2"), section::Count32 { min: 1, max: super::bounds::MAX_CORES };
    }
}

/// The hosts and which components stand on them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hosts {
    pub hosts: IdVec<HostId, Host>,
    /// Each placed component and its host, in the order read.
    pub placements: Vec<(Placed, HostId)>,
}

impl Hosts {
    /// The host `component` stands on, if any.
    pub fn of(&self, component: Placed) -> Option<HostId> {
        self.placements
            .iter()
            .find(|(placed, _)| *placed == component)
            .map(|&(_, host)| host)
    }

    /// The host named `name`.
    pub fn find(&self, name: &str) -> Option<HostId> {
        self.hosts
            .iter_enumerated()
            .find(|(_, host)| host.name == name)
            .map(|(id, _)| id)
    }
}

/// Reads a component's `host` key, if it has one, and records the
/// placement (the name is checked later, with every other reference).
pub(crate) fn read_host_key(cx: &mut Cx, table: &mut TableNode, component: Placed) -> Option<()> {
    let Some(node) = table.get("host") else {
        return Some(());
    };
    let name = read_reference(cx, &node, RefKind::Host)?;
    let host = cx.names.host(&name);
    cx.host_placements.push((component, host));
    Some(())
}
