//! The geography of a scenario, resolved: regions and how users spread over
//! them, the latency matrix between regions, data centers and their
//! regions, where each component stands, and geoDNS names (several targets,
//! a health check). Kept apart from the component types so a scenario
//! without regions carries one empty `Geo` and nothing else changes.
//!
//! Latency between two components is the network's default hop plus the
//! matrix entry of their regions (zero within a region); a user pays the
//! client hop plus the entry between the user's region and the region of
//! the data center answering. Components without a data center stand
//! "everywhere": they add no matrix latency and no partition reaches them.

use super::ids::{DatacenterId, RegionId};
use super::types::HealthCheck;
use crate::engine::SimDuration;
use crate::engine::id::IdVec;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Geo {
    pub regions: IdVec<RegionId, Region>,
    /// Symmetric one-way latencies between regions.
    pub links: Vec<Link>,
    pub datacenters: IdVec<DatacenterId, Datacenter>,
    pub placements: Vec<Placement>,
    /// DNS names with several targets or a health check.
    pub dns: Vec<GeoDns>,
}

/// A region and its share of the users (shares are normalized over all
/// regions).
#[derive(Clone, Debug, PartialEq)]
pub struct Region {
    pub name: String,
    pub users: f64,
}

/// `[[network.link]] between = [a, b]`: one-way latency between regions.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub a: String,
    pub b: String,
    pub latency: SimDuration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Datacenter {
    pub name: String,
    pub region: String,
}

/// The kinds of component that stand in a data center.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placed {
    Balancer,
    Pool,
    Database,
    Cache,
}

/// `datacenter = "…"` on a component (and `replica_datacenters = […]` on a
/// database: replica i stands in entry i; replicas past the list stand with
/// the primary).
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    pub kind: Placed,
    pub component: String,
    pub datacenter: String,
    pub replica_datacenters: Vec<String>,
}

/// A geoDNS name: each user is answered with the nearest healthy target
/// (by the latency from the user's region), the first listed on a tie.
#[derive(Clone, Debug, PartialEq)]
pub struct GeoDns {
    pub name: String,
    /// Every target, the DNS name's `target` first.
    pub targets: Vec<String>,
    /// Probes of each target; without one every target counts as healthy.
    pub health_check: Option<HealthCheck>,
}

impl Geo {
    pub fn is_empty(&self) -> bool {
        *self == Geo::default()
    }

    pub fn region(&self, name: &str) -> Option<&Region> {
        self.regions.iter().find(|region| region.name == name)
    }

    pub fn datacenter(&self, name: &str) -> Option<&Datacenter> {
        self.datacenters.iter().find(|datacenter| datacenter.name == name)
    }

    pub fn dns(&self, name: &str) -> Option<&GeoDns> {
        self.dns.iter().find(|dns| dns.name == name)
    }

    pub fn placement(&self, kind: Placed, component: &str) -> Option<&Placement> {
        self.placements
            .iter()
            .find(|placement| placement.kind == kind && placement.component == component)
    }

    /// The data center of a component (a database's primary).
    pub fn datacenter_of(&self, kind: Placed, component: &str) -> Option<&str> {
        self.placement(kind, component)
            .map(|placement| placement.datacenter.as_str())
    }

    /// The data center of a database's replica `replica` (from 0).
    pub fn replica_datacenter(&self, database: &str, replica: u32) -> Option<&str> {
        let placement = self.placement(Placed::Database, database)?;
        Some(
            placement
                .replica_datacenters
                .get(replica as usize)
                .unwrap_or(&placement.datacenter),
        )
    }

    /// The region a data center is in.
    pub fn region_of(&self, datacenter: &str) -> Option<&str> {
        self.datacenter(datacenter).map(|dc| dc.region.as_str())
    }

    /// One-way latency between two regions: zero within one, the link's
    /// latency between two (zero when no link is given).
    pub fn latency(&self, a: &str, b: &str) -> SimDuration {
        if a == b {
            return SimDuration::ZERO;
        }
        self.links
            .iter()
            .find(|link| (link.a == a && link.b == b) || (link.a == b && link.b == a))
            .map_or(SimDuration::ZERO, |link| link.latency)
    }

    /// Every target of DNS name `name` whose first target is `target`.
    pub fn dns_targets<'a>(&'a self, name: &str, target: &'a str) -> Vec<&'a str> {
        match self.dns(name) {
            Some(dns) => dns.targets.iter().map(String::as_str).collect(),
            None => vec![target],
        }
    }
}

impl super::types::Scenario {
    /// The data center a DNS target (a balancer or a pool) stands in: the
    /// balancer's own, else its pool's.
    pub fn target_datacenter(&self, target: &str) -> Option<&str> {
        self.geo.datacenter_of(Placed::Balancer, target).or_else(|| {
            let pool = self
                .balancer(target)
                .map_or(target, |b| self.pools[b.pool].name.as_str());
            self.geo.datacenter_of(Placed::Pool, pool)
        })
    }

    /// How the users of a geoDNS name split over its targets when all are
    /// healthy: each region's share goes to its nearest target, with the
    /// one-way latency between them. `None` for other names.
    pub fn geo_entry_shares(&self, name: &str) -> Option<Vec<(&str, f64, SimDuration)>> {
        let dns = self.geo.dns(name)?;
        let total: f64 = self.geo.regions.iter().map(|r| r.users).sum();
        if self.geo.regions.is_empty() || total <= 0.0 {
            return Some(
                dns.targets
                    .iter()
                    .map(|t| (t.as_str(), 0.0, SimDuration::ZERO))
                    .collect(),
            );
        }
        let mut shares: Vec<(&str, f64, SimDuration)> = Vec::new();
        for region in &self.geo.regions {
            let latency = |target: &str| {
                let dc = self.target_datacenter(target);
                dc.and_then(|dc| self.geo.region_of(dc))
                    .map_or(SimDuration::ZERO, |there| self.geo.latency(&region.name, there))
            };
            let nearest = dns
                .targets
                .iter()
                .min_by_key(|target| latency(target))
                .expect("a geoDNS name has targets");
            shares.push((nearest.as_str(), region.users / total, latency(nearest)));
        }
        Some(shares)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo() -> Geo {
        Geo {
            regions: IdVec::from_vec(vec![
                Region {
                    name: "us".into(),
                    users: 1.0,
                },
                Region {
                    name: "eu".into(),
                    users: 1.0,
                },
            ]),
            links: vec![Link {
                a: "us".into(),
                b: "eu".into(),
                latency: SimDuration::from_millis(40),
            }],
            datacenters: IdVec::from_vec(vec![Datacenter {
                name: "dc-us".into(),
                region: "us".into(),
            }]),
            placements: vec![Placement {
                kind: Placed::Database,
                component: "db".into(),
                datacenter: "dc-us".into(),
                replica_datacenters: vec!["dc-eu".into()],
            }],
            dns: Vec::new(),
        }
    }

    #[test]
    fn latency_is_symmetric_and_zero_within_a_region() {
        let geo = geo();
        assert_eq!(geo.latency("us", "eu"), SimDuration::from_millis(40));
        assert_eq!(geo.latency("eu", "us"), SimDuration::from_millis(40));
        assert_eq!(geo.latency("eu", "eu"), SimDuration::ZERO);
    }

    #[test]
    fn replicas_past_the_list_stand_with_the_primary() {
        let geo = geo();
        assert_eq!(geo.replica_datacenter("db", 0), Some("dc-eu"));
        assert_eq!(geo.replica_datacenter("db", 1), Some("dc-us"));
        assert_eq!(geo.replica_datacenter("other", 0), None);
        assert!(!geo.is_empty());
        assert!(Geo::default().is_empty());
    }
}
