//! Typed ids: `u32` indices into the arenas that own components, so a pool
//! index can never be passed where a station index is expected.

/// Declares `#[repr(transparent)]` id newtypes over `u32` with an `index()`
/// accessor for arena look-ups.
#[macro_export]
macro_rules! typed_id {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(transparent)]
        pub struct $name(pub u32);

        impl $name {
            /// The position of this id in its arena.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The id of position `index`; arenas never exceed `u32::MAX` entries.
            #[inline]
            pub fn from_index(index: usize) -> Self {
                $name(u32::try_from(index).expect("arena index fits in u32"))
            }
        }
    )+};
}
