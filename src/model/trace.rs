//! The request trace (`capsim run --trace`): a deterministic sample of the
//! requests that ended, kept in a buffer allocated once.
//!
//! Which requests are sampled depends only on the seed and the order in
//! which requests end: the n-th request to end is kept when
//! SplitMix64(seed-derived key + n) falls below `rate × 2^64`. No random
//! stream is drawn from, so a run with a trace simulates exactly what it
//! does without one. The event loop only writes a record into spare
//! capacity; the run drains the buffer between slices of the loop
//! (`study::run`), at most `study::CHECK_EVERY` events apart, and a record
//! that finds the buffer full is counted as dropped instead of growing it.

use super::frame::{Cause, ClassId};
use crate::engine::{SimDuration, SimTime, SlabKey};

/// Records the buffer holds: an event ends at most two requests (a
/// re-login's and the user's own, failing at once), so twice the events of
/// one slice of the loop (`study::CHECK_EVERY`, which checks this bound)
/// never fill it.
pub const TRACE_CAPACITY: usize = 2 * 65_536;

/// One ended request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceRecord {
    /// When the request was created (its first attempt started).
    pub start: SimTime,
    pub class: ClassId,
    /// HTTP status: 200 for a success, else by the last attempt's cause.
    pub status: u16,
    /// From creation to the response (or the final failure).
    pub latency: SimDuration,
    /// The entry server's time for the last attempt: from the call's
    /// arrival at the instance to its reply leaving it; `None` when the
    /// attempt never got a reply from a server.
    pub upstream: Option<SimDuration>,
}

/// The sampler and its buffer.
#[derive(Debug)]
pub struct Trace {
    /// `rate × 2^64`, saturated: a request is kept when its hash is below.
    threshold: u64,
    key: u64,
    /// Requests ended so far (the index hashed).
    ended: u64,
    records: Vec<TraceRecord>,
    dropped: u64,
    /// Per request slot (`SlabKey::index`, below `UPSTREAM_SLOTS`): the
    /// entry server's time of the latest attempt that got one, tagged with
    /// the request's generation and attempt so a slot's earlier occupant
    /// or an earlier attempt never counts.
    upstream: Vec<Upstream>,
}

/// Request slots whose server time is kept (4 MiB): a request in a higher
/// slot — more than this many in flight — is traced without it.
const UPSTREAM_SLOTS: usize = 1 << 18;

#[derive(Clone, Copy, Debug, Default)]
struct Upstream {
    generation: u32,
    attempt: u32,
    nanos: u64,
}

impl Trace {
    /// A trace keeping a share `rate` (in 0..=1) of the requests of a run
    /// seeded `seed`.
    pub fn new(rate: f64, seed: u64) -> Trace {
        let threshold = if rate >= 1.0 {
            u64::MAX
        } else {
            (rate.max(0.0) * 18_446_744_073_709_551_616.0) as u64
        };
        Trace {
            threshold,
            key: splitmix64(seed ^ 0x7472_6163_655f_6b65),
            ended: 0,
            records: Vec::with_capacity(TRACE_CAPACITY),
            dropped: 0,
            upstream: vec![Upstream::default(); UPSTREAM_SLOTS],
        }
    }

    /// Whether the next request to end is kept (each call is one request).
    #[inline]
    pub fn sample(&mut self) -> bool {
        let index = self.ended;
        self.ended += 1;
        self.threshold == u64::MAX || splitmix64(self.key.wrapping_add(index)) < self.threshold
    }

    /// Keeps `record`, unless the buffer is full (never grown).
    #[inline]
    pub fn push(&mut self, record: TraceRecord) {
        if self.records.len() < self.records.capacity() {
            self.records.push(record);
        } else {
            self.dropped += 1;
        }
    }

    /// Notes the entry server's time of attempt `attempt` of `request`.
    #[inline]
    pub fn note_upstream(&mut self, request: SlabKey, attempt: u32, time: SimDuration) {
        if let Some(slot) = self.upstream.get_mut(request.index as usize) {
            *slot = Upstream {
                generation: request.generation,
                attempt,
                nanos: time.as_nanos(),
            };
        }
    }

    /// The entry server's time of attempt `attempt` of `request`, if noted.
    #[inline]
    pub fn upstream(&self, request: SlabKey, attempt: u32) -> Option<SimDuration> {
        self.upstream
            .get(request.index as usize)
            .filter(|slot| slot.generation == request.generation && slot.attempt == attempt)
            .map(|slot| SimDuration::from_nanos(slot.nanos))
    }

    /// Hands the records kept since the last drain to `sink`, then forgets them.
    pub fn drain(&mut self, sink: &mut dyn FnMut(&[TraceRecord])) {
        if !self.records.is_empty() {
            sink(&self.records);
            self.records.clear();
        }
    }

    /// Records lost to a full buffer.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// The HTTP status a request that failed for `cause` gets.
pub fn status(failure: Option<Cause>) -> u16 {
    match failure {
        None => 200,
        Some(
            Cause::Rejected
            | Cause::Unavailable
            | Cause::Shed
            | Cause::BreakerOpen
            | Cause::BulkheadFull
            | Cause::NoLiveUpstream,
        ) => 503,
        Some(Cause::Timeout) => 504,
        Some(Cause::Refused | Cause::Reset) => 502,
    }
}

fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_about_the_rate_and_the_same_each_time() {
        let picks = |seed| {
            let mut trace = Trace::new(0.1, seed);
            (0..100_000).map(|_| trace.sample()).collect::<Vec<_>>()
        };
        let kept = picks(1).iter().filter(|&&kept| kept).count();
        // Binomial(100 000, 0.1): sd ≈ 95, so ±600 is over 6 sd.
        assert!((9_400..=10_600).contains(&kept), "{kept}");
        assert_eq!(picks(1), picks(1));
        assert_ne!(picks(1), picks(2));
    }

    #[test]
    fn rate_one_keeps_all_and_zero_none() {
        let mut all = Trace::new(1.0, 3);
        let mut none = Trace::new(0.0, 3);
        assert!((0..1000).all(|_| all.sample()));
        assert!((0..1000).all(|_| !none.sample()));
    }

    #[test]
    fn a_full_buffer_drops_instead_of_growing() {
        let mut trace = Trace::new(1.0, 0);
        let record = TraceRecord {
            start: SimTime::ZERO,
            class: ClassId::from_index(0),
            status: 200,
            latency: SimDuration::ZERO,
            upstream: None,
        };
        for _ in 0..TRACE_CAPACITY + 5 {
            trace.push(record);
        }
        assert_eq!(trace.dropped(), 5);
        assert_eq!(trace.records.capacity(), TRACE_CAPACITY);
        let mut seen = 0;
        trace.drain(&mut |records| seen += records.len());
        assert_eq!(seen, TRACE_CAPACITY);
    }
}
