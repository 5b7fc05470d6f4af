//! The deterministic discrete-event core: time, event order, random streams,
//! the slab that holds requests, and the loop.
//!
//! The engine never names a component kind, never reads the wall clock, does
//! no IO and does not allocate per event: everything here is generic over the
//! model's event type and works on pre-sized arenas.

pub mod fifo;
pub mod id;
pub mod queue;
pub mod random;
pub mod run;
pub mod slab;
pub mod time;

pub use fifo::DrainFifo;
pub use queue::{EventQueue, Lane};
pub use random::{Stream, StreamId, Streams};
pub use run::{Process, Stop, run_until};
pub use slab::{Slab, SlabKey};
pub use time::{SimDuration, SimTime};
