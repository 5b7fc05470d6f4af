//! Step programs: each endpoint compiles, once, to a flat list of ops with
//! jump targets, which the engine interprets per request. A program is a
//! slice of one shared `Vec<Op>`; a `parallel` step's branches are programs
//! of their own, listed in a side table.
//!
//! Why a flat program instead of walking the scenario's step tree: an op is
//! a small `Copy` value, a frame is just a program counter, and the hot loop
//! touches one contiguous array.

use super::ids::{CacheId, CdnId, DatabaseId, QueueId};
use crate::engine::StreamId;
use crate::typed_id;

typed_id!(
    /// A sampling site: sampler plus stream.
    SiteId,
    /// A downstream call: where it goes and which program runs there.
    CallId
);

/// One instruction of a step program.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// Hold a core for a sampled time (scaled by the instance's speed).
    Compute(SiteId),
    /// Wait a sampled time without using a core.
    Delay(SiteId),
    /// Call downstream and wait for the reply.
    Call(CallId),
    /// Start the branch programs `fork_starts[first..first + count]` at once
    /// and wait for all of them.
    Fork { first: u32, count: u32 },
    /// With probability `probability` go on; otherwise jump to `skip_to`.
    Maybe {
        probability: f64,
        stream: StreamId,
        skip_to: u32,
    },
    /// Go on if the cache missed (`Carry::value` is `MISS`), else jump.
    JumpIfHit { to: u32 },
    /// Jump: over a guarded step's fallback when the step succeeded (the
    /// fallback's failure path lands after this op, `call_policy.rs`).
    Jump { to: u32 },
    /// At a cache node: look the key up; `value` becomes the cached version
    /// or `MISS`. `database` (or `NO_DATABASE`) holds the current versions,
    /// to count stale hits. `refresh` (or `NO_REFRESH`): the program a
    /// stale hit's background refresh runs (`stale.rs`).
    CacheLookup {
        cache: CacheId,
        database: DatabaseId,
        refresh: u32,
    },
    /// At a cache node: store the key at `value` (skipped on `MISS`).
    CacheFill { cache: CacheId },
    /// At a cache node: delete the key.
    CacheInvalidate { cache: CacheId },
    /// At a database node: read the key; `value` becomes the version seen.
    DatabaseRead { database: DatabaseId },
    /// At a primary: commit a new version of the key and replicate it;
    /// `value` becomes the new version. Semi-sync waits for acks here.
    DatabaseWrite { database: DatabaseId },
    /// At a CDN edge: look the object up; `value` becomes its version, or
    /// `MISS` (then the edge calls the origin).
    CdnLookup { cdn: CdnId },
    /// At a CDN edge: store the object fetched from the origin.
    CdnFill { cdn: CdnId },
    /// Put a message on queue `queue`; go on when the broker acknowledges
    /// (after a draw of `ack`).
    Enqueue { queue: QueueId, ack: SiteId },
    /// The program is done: reply to the caller.
    End,
}

/// Sentinel for `Op::CacheLookup::database`.
pub const NO_DATABASE: DatabaseId = DatabaseId(u16::MAX);
/// Sentinel for `Op::CacheLookup::refresh`: no refresh program.
pub const NO_REFRESH: u32 = u32::MAX;

/// Every program of a model.
#[derive(Debug, Default)]
pub struct Programs {
    pub ops: Vec<Op>,
    pub fork_starts: Vec<u32>,
}

/// An op whose jump target is relative to the start of its sequence until
/// the sequence is placed.
pub enum Draft {
    Op(Op),
    MaybeRelative {
        probability: f64,
        stream: StreamId,
        skip_relative: u32,
    },
    JumpIfHitRelative {
        to_relative: u32,
    },
    JumpRelative {
        to_relative: u32,
    },
}

impl Programs {
    /// Appends a finished sequence (plus `End`) and returns its start.
    pub fn place(&mut self, draft: Vec<Draft>) -> u32 {
        let start = self.ops.len() as u32;
        for item in draft {
            self.ops.push(match item {
                Draft::Op(op) => op,
                Draft::MaybeRelative {
                    probability,
                    stream,
                    skip_relative,
                } => Op::Maybe {
                    probability,
                    stream,
                    skip_to: start + skip_relative,
                },
                Draft::JumpIfHitRelative { to_relative } => Op::JumpIfHit {
                    to: start + to_relative,
                },
                Draft::JumpRelative { to_relative } => Op::Jump {
                    to: start + to_relative,
                },
            });
        }
        self.ops.push(Op::End);
        start
    }

    /// Records branch starts for a fork op.
    pub fn fork(&mut self, starts: &[u32]) -> Op {
        let first = self.fork_starts.len() as u32;
        self.fork_starts.extend_from_slice(starts);
        Op::Fork {
            first,
            count: starts.len() as u32,
        }
    }

    #[inline]
    pub fn op(&self, pc: u32) -> Op {
        self.ops[pc as usize]
    }

    #[inline]
    pub fn branch_start(&self, index: u32) -> u32 {
        self.fork_starts[index as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_jumps_become_absolute_when_placed() {
        let mut programs = Programs::default();
        programs.place(vec![Draft::Op(Op::Delay(SiteId(0)))]);
        let start = programs.place(vec![
            Draft::MaybeRelative {
                probability: 0.5,
                stream: StreamId(0),
                skip_relative: 2,
            },
            Draft::Op(Op::Compute(SiteId(1))),
        ]);
        assert_eq!(start, 2);
        assert_eq!(
            programs.op(2),
            Op::Maybe {
                probability: 0.5,
                stream: StreamId(0),
                skip_to: 4
            }
        );
        assert_eq!(programs.op(4), Op::End);
    }
}
