//! The geography of a scenario, resolved: regions and how users spread over
//! them, the latency matrix between regions, data centers and their
//! regions, where each component stands, and geoDNS names (several targets,
//! a health check). Kept apart from the component types so a scenario
//! without regions carries one empty `Geo` and nothing else changes.
//! Every reference in it is an id the loader resolved (`parse/names.rs`):
//! a link's regions, a data center's region, a placed component and its
//! data centers, a geoDNS name and its targets.
//!
//! Latency between two components is the network's default hop plus the
//! matrix entry of their regions (zero within a region); a user pays the
//! client hop plus the entry between the user's region and the region of
//! the data center answering. Components without a data center stand
//! "everywhere": they add no matrix latency and no partition reaches them.

use super::ids::{BalancerId, CacheId, DatabaseId, DatacenterId, DnsId, EndpointId, PoolId, RegionId};
use super::section::{self, section};
use super::types::{DnsTarget, HealthCheck};
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

section! {
    /// `[region.<name>]`: where a share of the users are.
    pub struct Region(name) {
        /// The region's share of the users (shares are normalized; greater than zero).
        users: f64 = required("0.5"), section::PositiveNumber;
    }
}

/// `[[network.link]] between = [a, b]`: the regions it joins, read by
/// hand, and its plain keys (`LinkKeys`).
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub a: RegionId,
    pub b: RegionId,
    pub keys: LinkKeys,
}

section! {
    /// `[[network.link]]`: the one-way latency between two regions (symmetric).
    pub struct LinkKeys {
        /// The one-way latency.
        latency: SimDuration = required("\"80ms\""), section::Duration;
        /// US dollars per GB (10^9 bytes) sent between the two regions, each way; absent, the
        /// network's `price_per_gb_between_regions`.
        price_per_gb: Option<f64> = optional("[network] price_per_gb_between_regions"),
            section::NonNegativeNumber;
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Datacenter {
    pub name: String,
    pub region: RegionId,
}

/// A component that stands in a data center.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placed {
    Balancer(BalancerId),
    Pool(PoolId),
    Database(DatabaseId),
    Cache(CacheId),
}

/// `datacenter = "…"` on a component (and `replica_datacenters = […]` on a
/// database: replica i stands in entry i; replicas past the list stand with
/// the primary).
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    pub component: Placed,
    pub datacenter: DatacenterId,
    pub replica_datacenters: Vec<DatacenterId>,
}

/// A geoDNS name: each user is answered with the nearest healthy target
/// (by the latency from the user's region), the first listed on a tie. Its
/// targets are read by hand, its plain keys are `GeoDnsKeys`.
#[derive(Clone, Debug, PartialEq)]
pub struct GeoDns {
    pub dns: DnsId,
    /// Every target, the DNS name's `target` first.
    pub targets: Vec<DnsTarget>,
    /// Per target: the endpoint of its pool that serves each endpoint of
    /// the first target's pool (the one of the same name), resolved at
    /// load; an endpoint no call through the name uses may resolve to an
    /// id no endpoint has.
    pub endpoints: Vec<IdVec<EndpointId, EndpointId>>,
    pub keys: GeoDnsKeys,
}

section! {
    /// The geoDNS keys of `[dns.<name>]`.
    pub struct GeoDnsKeys {
        /// GeoDNS: `{ interval = "10s", timeout = "2s", unhealthy_threshold = 3,
        /// healthy_threshold = 2 }`: a probe of every target each `interval`; a target fails when
        /// its balancer is dead (at once if crashed, after `timeout` if hung) or no instance
        /// behind it is up; after `unhealthy_threshold` failures in a row answers stop naming it,
        /// after `healthy_threshold` successes they name it again. Users holding a cached answer
        /// keep using a dead target until their record expires.
        health_check: Option<HealthCheck> = optional(), section::nested::<HealthCheck>();
    }
}

impl Geo {
    pub fn is_empty(&self) -> bool {
        *self == Geo::default()
    }

    /// The geoDNS details of DNS name `dns`, if it has any.
    pub fn dns(&self, dns: DnsId) -> Option<&GeoDns> {
        self.dns.iter().find(|geo| geo.dns == dns)
    }

    pub fn placement(&self, component: Placed) -> Option<&Placement> {
        self.placements
            .iter()
            .find(|placement| placement.component == component)
    }

    /// The data center of a component (a database's primary).
    pub fn datacenter_of(&self, component: Placed) -> Option<DatacenterId> {
        self.placement(component).map(|placement| placement.datacenter)
    }

    /// The data center of a database's replica `replica` (from 0).
    pub fn replica_datacenter(&self, database: DatabaseId, replica: u32) -> Option<DatacenterId> {
        let placement = self.placement(Placed::Database(database))?;
        Some(
            *placement
                .replica_datacenters
                .get(replica as usize)
                .unwrap_or(&placement.datacenter),
        )
    }

    /// The region a data center is in.
    pub fn region_of(&self, datacenter: DatacenterId) -> RegionId {
        self.datacenters[datacenter].region
    }

    /// One-way latency between two regions: zero within one, the link's
    /// latency between two (zero when no link is given).
    pub fn latency(&self, a: RegionId, b: RegionId) -> SimDuration {
        if a == b {
            return SimDuration::ZERO;
        }
        self.links
            .iter()
            .find(|link| (link.a == a && link.b == b) || (link.a == b && link.b == a))
            .map_or(SimDuration::ZERO, |link| link.keys.latency)
    }

    /// US dollars per GB sent between two regions: free within one, the
    /// link's `price_per_gb` between two, else `default` (the network's).
    pub fn price_per_gb(&self, a: RegionId, b: RegionId, default: f64) -> f64 {
        if a == b {
            return 0.0;
        }
        self.links
            .iter()
            .find(|link| (link.a == a && link.b == b) || (link.a == b && link.b == a))
            .and_then(|link| link.keys.price_per_gb)
            .unwrap_or(default)
    }

    /// Every target of DNS name `dns`, whose first target is `target`.
    pub fn dns_targets(&self, dns: DnsId, target: DnsTarget) -> Vec<DnsTarget> {
        match self.dns(dns) {
            Some(geo) => geo.targets.clone(),
            None => vec![target],
        }
    }
}

impl super::types::Scenario {
    /// The data center a DNS target (a balancer or a pool) stands in: the
    /// balancer's own, else its pool's.
    pub fn target_datacenter(&self, target: DnsTarget) -> Option<DatacenterId> {
        let own = match target {
            DnsTarget::Balancer(balancer) => self.geo.datacenter_of(Placed::Balancer(balancer)),
            DnsTarget::Pool(_) => None,
        };
        own.or_else(|| self.geo.datacenter_of(Placed::Pool(self.dns_pool(target))))
    }

    /// What target `index` of geoDNS name `geo` serves for `call` (through
    /// the DNS name): the endpoint of the same name in the pool behind the
    /// target (load checks that every target's pool has it).
    pub fn geo_target(&self, geo: &GeoDns, index: usize, call: super::types::Target) -> super::types::Target {
        super::types::Target {
            entry: geo.targets[index].entry(),
            endpoint: geo.endpoints[index][call.endpoint],
        }
    }

    /// How the users of a geoDNS name split over its targets when all are
    /// healthy: each region's share goes to its nearest target (by index
    /// in `targets`), with the one-way latency between them. `None` for
    /// other names.
    pub fn geo_entry_shares(&self, dns: DnsId) -> Option<Vec<(usize, f64, SimDuration)>> {
        let geo = self.geo.dns(dns)?;
        let total: f64 = self.geo.regions.iter().map(|r| r.users).sum();
        if self.geo.regions.is_empty() || total <= 0.0 {
            return Some(
                (0..geo.targets.len())
                    .map(|t| (t, 0.0, SimDuration::ZERO))
                    .collect(),
            );
        }
        let mut shares = Vec::new();
        for (region, users) in self.geo.regions.iter_enumerated() {
            let latency = |target: DnsTarget| {
                self.target_datacenter(target).map_or(SimDuration::ZERO, |dc| {
                    self.geo.latency(region, self.geo.region_of(dc))
                })
            };
            let nearest = (0..geo.targets.len())
                .min_by_key(|&index| latency(geo.targets[index]))
                .expect("a geoDNS name has targets");
            shares.push((nearest, users.users / total, latency(geo.targets[nearest])));
        }
        Some(shares)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const US: RegionId = RegionId(0);
    const EU: RegionId = RegionId(1);
    const DB: DatabaseId = DatabaseId(0);

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
                a: US,
                b: EU,
                keys: LinkKeys {
                    latency: SimDuration::from_millis(40),
                    price_per_gb: None,
                },
            }],
            datacenters: IdVec::from_vec(vec![
                Datacenter {
                    name: "dc-us".into(),
                    region: US,
                },
                Datacenter {
                    name: "dc-eu".into(),
                    region: EU,
                },
            ]),
            placements: vec![Placement {
                component: Placed::Database(DB),
                datacenter: DatacenterId(0),
                replica_datacenters: vec![DatacenterId(1)],
            }],
            dns: Vec::new(),
        }
    }

    #[test]
    fn latency_is_symmetric_and_zero_within_a_region() {
        let geo = geo();
        assert_eq!(geo.latency(US, EU), SimDuration::from_millis(40));
        assert_eq!(geo.latency(EU, US), SimDuration::from_millis(40));
        assert_eq!(geo.latency(EU, EU), SimDuration::ZERO);
        assert_eq!(geo.region_of(DatacenterId(1)), EU);
    }

    #[test]
    fn replicas_past_the_list_stand_with_the_primary() {
        let geo = geo();
        assert_eq!(geo.replica_datacenter(DB, 0), Some(DatacenterId(1)));
        assert_eq!(geo.replica_datacenter(DB, 1), Some(DatacenterId(0)));
        assert_eq!(geo.replica_datacenter(DatabaseId(1), 0), None);
        assert!(!geo.is_empty());
        assert!(Geo::default().is_empty());
    }
}
