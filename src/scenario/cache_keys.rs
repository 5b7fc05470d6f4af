//! The keys of a cache's resilience mechanisms that take more than one
//! value: `warm_restart`. Declared here, with their words, so the cache's
//! section in `types.rs` holds one line for it.

use super::parse::Cx;
use super::reader::Node;
use super::section::{self, section};
use super::words::words;

words! {
    /// Where a restarted cache node copies its content from before it rejoins.
    pub enum WarmFrom {
        /// A peer replica of the node's share (as Netflix's EVCache cache warmer copies from
        /// another zone's replica): no database reads; the content is what the node held when
        /// it died, at the database's current versions.
        Peer = "peer",
        /// The database: its hottest `keys` keys (of those the ring gives it), read at `rate`.
        Database = "database",
    }
}

section! {
    /// `warm_restart`: a node that restarts stays out of the ring while it warms, then rejoins.
    #[derive(Copy)]
    pub struct WarmRestart {
        /// `peer` (copy the share a peer replica holds) or `database` (read the hottest keys).
        from: WarmFrom = required("\"peer\""), section::word::<WarmFrom>();
        /// Entries copied (`peer`) or keys read from the database (`database`) per second.
        rate: f64 = required("\"20000/s\""), section::Rate;
        /// With `database`: how many of its hottest keys it loads (with `peer`: at most this
        /// many entries are copied).
        keys: Option<u32> = optional("its capacity"),
            section::Count32 { min: 1, max: super::parse::MAX_KEYS };
    }
}

impl section::Inline for WarmRestart {
    fn read_inline(cx: &mut Cx, node: &Node) -> Option<Self> {
        WarmRestart::read(cx, node)
    }

    fn dump_inline(&self) -> String {
        WarmRestart::dump_inline(self)
    }
}
