//! Where names become ids. Every component is declared by a table key
//! (`[pool.web]`), so before any section is read the keys of each section,
//! in order, say which id each name will have: a component's id is its
//! position in its section. Readers resolve the names they meet here, once;
//! a name that resolves to nothing gets an id no component has, and the
//! reference recorded beside it makes `check` report it (same diagnostics,
//! all at once), so an unresolved id never leaves the loader.

use toml::de::{DeTable, DeValue};

use super::super::ids::{BalancerId, CacheId, DatabaseId, KeyspaceId, PoolId, QueueId, SizeId};
use super::super::types::DnsTarget;
use super::builtin_size;
use crate::engine::id::Id;

/// The names each section declares, in declaration order.
#[derive(Default)]
pub(crate) struct Names {
    sizes: Vec<String>,
    balancers: Vec<String>,
    pools: Vec<String>,
    databases: Vec<String>,
    keyspaces: Vec<String>,
    caches: Vec<String>,
    queues: Vec<String>,
}

/// The id of a name no component has: past the end of every arena the
/// loader accepts without an error.
fn unresolved<I: Id>() -> I {
    I::from_index(u16::MAX as usize)
}

fn find<I: Id>(names: &[String], name: &str) -> I {
    names
        .iter()
        .position(|known| known == name)
        .map_or_else(unresolved, I::from_index)
}

fn keys(root: &DeTable, section: &str) -> Vec<String> {
    match root.get(section).map(|value| value.get_ref()) {
        Some(DeValue::Table(table)) => table.keys().map(|key| key.get_ref().to_string()).collect(),
        _ => Vec::new(),
    }
}

impl Names {
    pub fn new(root: &DeTable) -> Self {
        Names {
            sizes: keys(root, "size"),
            balancers: keys(root, "balancer"),
            pools: keys(root, "pool"),
            databases: keys(root, "database"),
            keyspaces: keys(root, "keyspace"),
            caches: keys(root, "cache"),
            queues: keys(root, "queue"),
        }
    }

    /// A size; a built-in size not declared takes the next id, in the
    /// order pools first name them (as `check` appends them).
    pub fn size(&mut self, name: &str) -> SizeId {
        if !self.sizes.iter().any(|known| known == name) && builtin_size(name).is_some() {
            self.sizes.push(name.to_owned());
        }
        find(&self.sizes, name)
    }

    pub fn balancer(&self, name: &str) -> BalancerId {
        find(&self.balancers, name)
    }

    pub fn pool(&self, name: &str) -> PoolId {
        find(&self.pools, name)
    }

    pub fn database(&self, name: &str) -> DatabaseId {
        find(&self.databases, name)
    }

    pub fn keyspace(&self, name: &str) -> KeyspaceId {
        find(&self.keyspaces, name)
    }

    pub fn cache(&self, name: &str) -> CacheId {
        find(&self.caches, name)
    }

    pub fn queue(&self, name: &str) -> QueueId {
        find(&self.queues, name)
    }

    /// A DNS name's target: a balancer, else a pool.
    pub fn dns_target(&self, name: &str) -> DnsTarget {
        match self.balancers.iter().any(|known| known == name) {
            true => DnsTarget::Balancer(self.balancer(name)),
            false => DnsTarget::Pool(self.pool(name)),
        }
    }
}
