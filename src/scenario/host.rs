//! Hosts: machines whose cores several components share. `[host.<name>]`
//! declares one (`cores`, and how they are shared: `discipline`);
//! `host = "<name>"` on a pool, a database or a cache places every instance
//! or node of it there, so all their CPU work contends for the host's cores
//! whatever the component (scenario 01's single server, with the database
//! as its own component).
//! The component keeps its size's speed and price; its cores are the
//! host's. Read here, resolved to ids by `parse::names`, checked by
//! `check` (a host named but not declared), written back by `dump`.

use super::geo::Placed;
use super::ids::HostId;
use super::parse::{Cx, RefKind, read_reference};
use super::reader::TableNode;
use super::section::{self, section};
use super::words::words;
use crate::engine::id::IdVec;

words! {
    /// How a host's cores are shared among the CPU work of the components on it.
    pub enum CoreDiscipline {
        /// One line, first come first served: a computing step takes a free core and keeps
        /// it to the end of its CPU time; the others wait their turn.
        Fifo = "fifo",
        /// Processor sharing, the limit of an operating system's time slicing: the n steps
        /// computing at once each progress at min(1, cores / n) of a core, none waits in a
        /// line (short steps are not stuck behind long ones, and every step is stretched by
        /// the others). Its mean response is M/M/c's whatever the CPU time's distribution.
        ProcessorSharing = "processor_sharing",
    }
}

section! {
    /// `[host.<name>]`: one machine; the pools, databases and caches with
    /// `host = "<name>"` compute on its cores, shared as `discipline` says.
    pub struct Host(name) {
        /// Cores of the machine, shared by every component placed on it (up to 4096).
        cores: u32 = required("2"), section::Count32 { min: 1, max: super::bounds::MAX_CORES };
        /// `"fifo"` (a line for the cores, first come first served) or `"processor_sharing"`
        /// (every computing step gets an equal share of the cores at once, as Linux's scheduler
        /// time-slices runnable threads).
        discipline: CoreDiscipline = default(CoreDiscipline::Fifo), section::word::<CoreDiscipline>();
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
