//! The two things in flight: a client `Request` (one per user action, across
//! its retries) and a `Frame` (one endpoint or database call being served,
//! or one branch of a `parallel` step). Both live in slabs and are addressed
//! by generational keys carried in events.

use super::call_policy::{Guard, UNGUARDED};
pub use super::ids::{
    BalancerId, CacheId, CacheNodeId, ClassId, DatabaseId, DnsId, InstanceId, KeyspaceId, QueueId, StationId,
};
use crate::engine::{SimTime, SlabKey};

/// Why a request or call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cause {
    /// A queue was full (HTTP 503 from an overloaded server).
    Rejected,
    /// Someone stopped waiting: the client, or a caller's call timeout.
    Timeout,
    /// The target was down and refused the connection.
    Refused,
    /// The target died while the call was in progress.
    Reset,
    /// No target was available (every instance out, a failover under way).
    Unavailable,
    /// Refused by a pool's shedding: a rate limit or a priority threshold.
    Shed,
    /// The caller's circuit breaker was open (`breaker.rs`): failed at once.
    BreakerOpen,
    /// The caller's bulkhead for the call was full (`bulkhead.rs`): failed at once.
    BulkheadFull,
    /// Every instance behind the balancer was ejected by outlier ejection
    /// (`ejection.rs`): nginx's "no live upstreams".
    NoLiveUpstream,
}

impl Cause {
    pub const COUNT: usize = crate::metrics::FAILURE_CAUSES;
    pub const ALL: [Cause; Cause::COUNT] = [
        Cause::Rejected,
        Cause::Timeout,
        Cause::Refused,
        Cause::Reset,
        Cause::Unavailable,
        Cause::Shed,
        Cause::BreakerOpen,
        Cause::BulkheadFull,
        Cause::NoLiveUpstream,
    ];

    /// Its position in `ALL`, which indexes per-cause counters.
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Cause::Rejected => "rejected",
            Cause::Timeout => "timeout",
            Cause::Refused => "refused",
            Cause::Reset => "reset",
            Cause::Unavailable => "unavailable",
            Cause::Shed => "shed",
            Cause::BreakerOpen => "breaker_open",
            Cause::BulkheadFull => "bulkhead_full",
            Cause::NoLiveUpstream => "no_live_upstream",
        }
    }

    /// Whether the cause comes only from a resilience mechanism a scenario
    /// turns on (its summary row is written only then).
    pub fn is_opt_in(self) -> bool {
        matches!(
            self,
            Cause::Shed | Cause::BreakerOpen | Cause::BulkheadFull | Cause::NoLiveUpstream
        )
    }

    /// The summary metric counting requests that failed for this cause.
    pub fn error_metric(self) -> &'static str {
        match self {
            Cause::Rejected => crate::metrics::catalog::ERRORS_REJECTED.name,
            Cause::Timeout => crate::metrics::catalog::ERRORS_TIMEOUT.name,
            Cause::Refused => crate::metrics::catalog::ERRORS_REFUSED.name,
            Cause::Reset => crate::metrics::catalog::ERRORS_RESET.name,
            Cause::Unavailable => crate::metrics::catalog::ERRORS_UNAVAILABLE.name,
            Cause::Shed => crate::metrics::catalog::ERRORS_SHED.name,
            Cause::BreakerOpen => crate::metrics::catalog::ERRORS_BREAKER_OPEN.name,
            Cause::BulkheadFull => crate::metrics::catalog::ERRORS_BULKHEAD_FULL.name,
            Cause::NoLiveUpstream => crate::metrics::catalog::ERRORS_NO_LIVE_UPSTREAM.name,
        }
    }
}

/// A user's request, alive from its first attempt until it succeeds or
/// fails for good.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub class: ClassId,
    pub user: u32,
    pub created: SimTime,
    /// Attempts started so far (1 after the first starts); a response or
    /// timeout for an older attempt is stale and ignored.
    pub attempt: u32,
    /// Whether the current attempt is still awaited.
    pub waiting: bool,
    /// For closed workloads: the user thinks again when this one ends.
    pub closed: bool,
    /// The item the request is about.
    pub key: u32,
    pub keyspace: KeyspaceId,
    /// A re-login after a lost session: the user's own request follows
    /// when it ends.
    pub then_own: bool,
    /// The current attempt's answer came through a step's `fallback`: a
    /// success, but a degraded one (`call_policy.rs`). Set when the
    /// attempt's root frame replies, cleared when an attempt starts.
    pub degraded: bool,
}

/// Sentinel: no keyspace.
pub const NO_KEYSPACE: KeyspaceId = KeyspaceId(u16::MAX);

/// Sentinel for `Carry::value`: the cache had no entry.
pub const MISS: u32 = u32::MAX;

/// What a call carries from caller to callee and back: the request's key
/// and user, and the value in hand (a version read, or `MISS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Carry {
    pub key: u32,
    pub keyspace: KeyspaceId,
    pub user: u32,
    pub value: u32,
}

/// Sentinel for "no frame": the caller is the client.
pub const NO_PARENT: SlabKey = SlabKey {
    index: u32::MAX,
    generation: u32::MAX,
};

/// Sentinel for "not routed by a balancer".
pub const NO_BALANCER: BalancerId = BalancerId(u32::MAX);

/// One call being served at an instance, or one branch of a fork.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub request: SlabKey,
    pub attempt: u32,
    /// The frame waiting for this one, or `NO_PARENT`.
    pub parent: SlabKey,
    pub instance: InstanceId,
    /// The balancer that chose the instance, or `NO_BALANCER`.
    pub balancer: BalancerId,
    /// Next op to run.
    pub pc: u32,
    /// Replies still awaited (calls or fork branches).
    pub pending: u32,
    pub failure: Option<Cause>,
    /// Holds one of the instance's workers.
    pub holds_worker: bool,
    /// Holds one of the instance's cores (for its current compute op).
    pub holds_core: bool,
    /// A fork branch: runs under its parent's worker, replies without a hop.
    pub is_branch: bool,
    /// Got past admission (was not rejected).
    pub admitted: bool,
    /// Holds one of its balancer's counted connections (a balancer with a
    /// `max_connections` or `cores`), released when the frame goes.
    pub balancer_connection: bool,
    /// When it reached the instance.
    pub arrived: SimTime,
    /// When it began waiting for a worker or core.
    pub queued_since: SimTime,
    pub carry: Carry,
    pub purpose: Purpose,
    /// The instance's epoch when the frame arrived: a frame from an older
    /// epoch belongs to a life of the instance that ended (killed).
    pub epoch: u32,
    /// For a call its caller guards (a `call` step with a `timeout` or
    /// `retry`): the step and the caller's attempt token; else `UNGUARDED`.
    pub guard: Guard,
    /// As a caller: the token of its current guarded call attempt
    /// (`call_policy.rs`), and the retries that call has made.
    pub call_token: u32,
    pub call_retries: u32,
    /// A step of this frame, or of a call or branch whose success it
    /// received, succeeded through its `fallback`: its success is degraded,
    /// and so is its caller's when it replies.
    pub degraded: bool,
}

// A frame is copied into its slab at each call's start: keep it at 112 bytes.
const _: () = assert!(std::mem::size_of::<Frame>() == 112, "frames stay 112 bytes");

/// Why a frame exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A call on behalf of a request (or a fork branch).
    Call,
    /// Reshard traffic: copying a key out of its old shard ...
    MigrationRead { database: DatabaseId },
    /// ... and into its new one.
    MigrationWrite { database: DatabaseId },
    /// A consumer processing a message of queue `queue`: the delivery's key
    /// among the broker's unacknowledged messages.
    Job { queue: QueueId, delivery: SlabKey },
    /// A stale entry's background refresh at a node of `cache` (`stale.rs`).
    Refresh { cache: CacheId },
    /// A restarted node's warm-up read (`warm_restart.rs`).
    Warm { cache: CacheId, node: CacheNodeId },
}

impl Frame {
    /// A frame about to travel to `instance` to run the program at `pc`
    /// with `carry`: nothing held, nothing pending, not yet admitted.
    pub fn new(
        request: SlabKey,
        attempt: u32,
        parent: SlabKey,
        instance: InstanceId,
        pc: u32,
        carry: Carry,
    ) -> Self {
        Frame {
            request,
            attempt,
            parent,
            instance,
            balancer: NO_BALANCER,
            pc,
            pending: 0,
            failure: None,
            holds_worker: false,
            holds_core: false,
            is_branch: false,
            admitted: false,
            balancer_connection: false,
            arrived: SimTime::ZERO,
            queued_since: SimTime::ZERO,
            carry,
            purpose: Purpose::Call,
            epoch: 0,
            guard: UNGUARDED,
            call_token: 0,
            call_retries: 0,
            degraded: false,
        }
    }

    /// A frame of the system's own work (reshard copies, queue jobs): no
    /// request or caller waits for it.
    pub fn background(instance: InstanceId, pc: u32, carry: Carry, purpose: Purpose) -> Self {
        Frame {
            purpose,
            ..Frame::new(NO_PARENT, 0, NO_PARENT, instance, pc, carry)
        }
    }

    /// Called by the client, not by another frame.
    pub fn is_root(&self) -> bool {
        self.parent == NO_PARENT
    }
}
