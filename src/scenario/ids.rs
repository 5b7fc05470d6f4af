//! The scenario's typed ids: one per component kind, each the position of
//! its component in the `Scenario`'s list of that kind (an `IdVec`). The
//! loader resolves every name a scenario writes to one of these, once,
//! while it checks the names; everything after loading (the model, the
//! feasibility estimate, the graph, the dump) refers to components by id and
//! reads a component's `name` only to print it. Ids that the model's events
//! carry in fewer bytes are `u16`-backed, within limits the loader enforces.
//! The model's own sub-ids (a database's nodes and shards, a cache's nodes,
//! a CDN's edges) live in `model::ids`.

use crate::typed_id;

typed_id!(
    /// A request class of the workload's mix.
    ClassId,
    /// An instance size (`[size.*]`, or a built-in size a pool names).
    SizeId,
    /// A DNS name.
    DnsId,
    /// A balancer.
    BalancerId,
    /// A pool.
    PoolId,
    /// An endpoint, among its pool's endpoints.
    EndpointId,
    /// A database (at most `MAX_DATABASES`, so events carry 2 bytes).
    DatabaseId(u16),
    /// A keyspace.
    KeyspaceId(u16),
    /// A cache cluster.
    CacheId,
    /// A CDN.
    CdnId,
    /// A message queue (its broker).
    QueueId,
    /// A region of the geography.
    RegionId(u16),
    /// A data center of the geography.
    DatacenterId(u16),
    /// A host: a machine whose cores the components placed on it share.
    HostId
);
