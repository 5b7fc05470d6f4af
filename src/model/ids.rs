//! The model's own typed ids: instances, stations, and one per sub-arena (a
//! database's nodes and shards, a cache's nodes, a CDN's edges and deploys,
//! a geoDNS name's answers, scalers, fault sources). Each indexes its own
//! arena, an `IdVec<ThatId, _>`. The ids of the scenario's component kinds
//! (`DatabaseId`, `CacheId`, `RegionId`, …) are the scenario's own
//! (`scenario::ids`), re-exported here: the model indexes its per-component
//! arenas by the ids the loader resolved. Ids that events or hot records
//! carry in fewer bytes are `u16`-backed, within limits the loader enforces.

pub use crate::scenario::ids::{
    BalancerId, CacheId, CdnId, ClassId, DatabaseId, DatacenterId, DnsId, KeyspaceId, QueueId, RegionId,
};
use crate::typed_id;

typed_id!(
    /// A pool or database instance.
    InstanceId,
    /// A component with a station (pool or database), for metrics.
    StationId,
    /// One answer (target) of a geoDNS name, among that name's targets.
    DnsTargetId(u16),
    /// An instance's position among the instances a balancer spreads over
    /// (its pool's arena): the index of the balancer's per-instance tables.
    MemberId,
    /// A node of a database (primary or replica: that changes with failover).
    DatabaseNodeId,
    /// A shard of a database.
    ShardId,
    /// A node's place in its shard (0 the first primary, then the replicas),
    /// which indexes the per-slot version tables; a promoted replica keeps it.
    NodeSlot,
    /// A node of a cache cluster.
    CacheNodeId,
    /// An edge of a CDN.
    EdgeId,
    /// A deploy of a CDN, in the CDN's deploy list.
    DeployId,
    /// A pool's autoscaler.
    ScalerId,
    /// A fault source (one `[[fault]]`).
    FaultSourceId,
);

impl MemberId {
    /// The instance at this position of a pool whose first instance is `first`.
    #[inline]
    pub fn instance(self, first: InstanceId) -> InstanceId {
        InstanceId(first.0 + self.0)
    }
}
