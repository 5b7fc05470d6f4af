//! The model's typed ids: one per component kind, and one per sub-arena
//! (a database's nodes and shards, a cache's nodes, a CDN's edges, the
//! geography's regions and data centers). Each indexes its own arena, an
//! `IdVec<ThatId, _>`; `compile` turns the scenario's names into them once.
//! Ids that events or hot records carry in fewer bytes are `u16`-backed,
//! within limits the loader enforces.

use crate::typed_id;

typed_id!(
    /// A request class of the mix.
    ClassId,
    /// A pool or database instance.
    InstanceId,
    /// A component with a station (pool or database), for metrics.
    StationId,
    /// A DNS name.
    DnsId,
    /// One answer (target) of a geoDNS name, among that name's targets.
    DnsTargetId(u16),
    /// A balancer.
    BalancerId,
    /// An instance's position among the instances a balancer spreads over
    /// (its pool's arena): the index of the balancer's per-instance tables.
    MemberId,
    /// A database (at most `scenario::MAX_DATABASES`, so events carry 2 bytes).
    DatabaseId(u16),
    /// A node of a database (primary or replica: that changes with failover).
    DatabaseNodeId,
    /// A shard of a database.
    ShardId,
    /// A node's place in its shard (0 the first primary, then the replicas),
    /// which indexes the per-slot version tables; a promoted replica keeps it.
    NodeSlot,
    /// A cache cluster.
    CacheId,
    /// A node of a cache cluster.
    CacheNodeId,
    /// A CDN.
    CdnId,
    /// An edge of a CDN.
    EdgeId,
    /// A deploy of a CDN, in the CDN's deploy list.
    DeployId,
    /// A message queue (its broker).
    QueueId,
    /// A pool's autoscaler.
    ScalerId,
    /// A fault source (one `[[fault]]`).
    FaultSourceId,
    /// A keyspace.
    KeyspaceId(u16),
    /// A region of the geography.
    RegionId(u16),
    /// A data center of the geography.
    DatacenterId(u16)
);

impl MemberId {
    /// The instance at this position of a pool whose first instance is `first`.
    #[inline]
    pub fn instance(self, first: InstanceId) -> InstanceId {
        InstanceId(first.0 + self.0)
    }
}
