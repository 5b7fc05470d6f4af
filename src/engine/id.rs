//! Typed ids and the vectors they index: a component's id is a
//! `#[repr(transparent)]` integer newtype, and the arena that owns that kind
//! of component is an `IdVec<ThatId, T>`, indexable by that id only — so a
//! pool index can never be passed where a station index is expected, and a
//! database node's number never reaches a shard table. Zero-cost: indexing
//! compiles to the same bounds-checked `Vec` access.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut, Range};

/// An id that indexes an `IdVec`: a position in its arena.
pub trait Id: Copy {
    /// The position of this id in its arena.
    fn index(self) -> usize;
    /// The id of position `index`.
    fn from_index(index: usize) -> Self;
}

/// Declares `#[repr(transparent)]` id newtypes over `u32` (or the integer
/// type given in parentheses, e.g. `DatabaseId(u16)` for ids kept small in
/// events), with `index()`/`from_index()` for arena look-ups and `Display`
/// as the bare number.
#[macro_export]
macro_rules! typed_id {
    ($($(#[$meta:meta])* $name:ident $(($repr:ty))?),+ $(,)?) => {$(
        $crate::typed_id!(@one [$($repr)?] $(#[$meta])* $name);
    )+};
    (@one [] $(#[$meta:meta])* $name:ident) => {
        $crate::typed_id!(@one [u32] $(#[$meta])* $name);
    };
    (@one [$repr:ty] $(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(transparent)]
        pub struct $name(pub $repr);

        impl $name {
            /// The position of this id in its arena.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The id of position `index`; arenas never exceed what the id
            /// type holds (the loader bounds every count).
            #[inline]
            pub fn from_index(index: usize) -> Self {
                $name(<$repr>::try_from(index).expect("arena index fits in its id type"))
            }
        }

        impl $crate::engine::id::Id for $name {
            #[inline]
            fn index(self) -> usize {
                $name::index(self)
            }

            #[inline]
            fn from_index(index: usize) -> Self {
                $name::from_index(index)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

/// A `Vec<T>` indexed by the id type `I` only (rustc's `IndexVec`, rapier's
/// `Coarena`): the arena of one kind of component, or a side table that
/// holds one value per component of that kind.
pub struct IdVec<I, T> {
    raw: Vec<T>,
    id: PhantomData<fn(I) -> I>,
}

impl<I: Id, T> IdVec<I, T> {
    /// An empty vector.
    pub fn new() -> Self {
        IdVec::from_vec(Vec::new())
    }

    /// The vector whose id `i` holds `raw[i]`.
    pub fn from_vec(raw: Vec<T>) -> Self {
        IdVec { raw, id: PhantomData }
    }

    /// `len` clones of `value`.
    pub fn from_elem(value: T, len: usize) -> Self
    where
        T: Clone,
    {
        IdVec::from_vec(vec![value; len])
    }

    /// Appends `value` and returns its id.
    pub fn push(&mut self, value: T) -> I {
        let id = I::from_index(self.raw.len());
        self.raw.push(value);
        id
    }

    /// The id the next `push` will return.
    pub fn next_id(&self) -> I {
        I::from_index(self.raw.len())
    }

    pub fn len(&self) -> usize {
        self.raw.len()
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Removes every element (the ids handed out so far no longer index it).
    pub fn clear(&mut self) {
        self.raw.clear();
    }

    #[inline]
    pub fn get(&self, id: I) -> Option<&T> {
        self.raw.get(id.index())
    }

    #[inline]
    pub fn get_mut(&mut self, id: I) -> Option<&mut T> {
        self.raw.get_mut(id.index())
    }

    /// Every id, in order.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = I> + ExactSizeIterator + use<I, T> {
        (0..self.raw.len()).map(I::from_index)
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.raw.iter()
    }

    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.raw.iter_mut()
    }

    /// `(id, value)` pairs, in id order.
    pub fn iter_enumerated(&self) -> impl DoubleEndedIterator<Item = (I, &T)> + ExactSizeIterator {
        self.raw
            .iter()
            .enumerate()
            .map(|(index, value)| (I::from_index(index), value))
    }

    /// `(id, value)` pairs, in id order, the values mutable.
    pub fn iter_enumerated_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = (I, &mut T)> + ExactSizeIterator {
        self.raw
            .iter_mut()
            .enumerate()
            .map(|(index, value)| (I::from_index(index), value))
    }

    /// The values, in id order, as a plain slice (for whole-table work:
    /// sums, copies, fills).
    pub fn as_slice(&self) -> &[T] {
        &self.raw
    }

    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.raw
    }
}

impl<I: Id, T> Default for IdVec<I, T> {
    fn default() -> Self {
        IdVec::new()
    }
}

impl<I, T: Clone> Clone for IdVec<I, T> {
    fn clone(&self) -> Self {
        IdVec {
            raw: self.raw.clone(),
            id: PhantomData,
        }
    }
}

impl<I, T: PartialEq> PartialEq for IdVec<I, T> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl<I, T: fmt::Debug> fmt::Debug for IdVec<I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.raw.fmt(f)
    }
}

impl<I: Id, T> From<Vec<T>> for IdVec<I, T> {
    fn from(raw: Vec<T>) -> Self {
        IdVec::from_vec(raw)
    }
}

impl<I: Id, T> Index<I> for IdVec<I, T> {
    type Output = T;

    #[inline]
    fn index(&self, id: I) -> &T {
        &self.raw[id.index()]
    }
}

impl<I: Id, T> IndexMut<I> for IdVec<I, T> {
    #[inline]
    fn index_mut(&mut self, id: I) -> &mut T {
        &mut self.raw[id.index()]
    }
}

/// A run of consecutive ids (a pool's instances), as a slice.
impl<I: Id, T> Index<Range<I>> for IdVec<I, T> {
    type Output = [T];

    #[inline]
    fn index(&self, range: Range<I>) -> &[T] {
        &self.raw[range.start.index()..range.end.index()]
    }
}

impl<I: Id, T> IndexMut<Range<I>> for IdVec<I, T> {
    #[inline]
    fn index_mut(&mut self, range: Range<I>) -> &mut [T] {
        &mut self.raw[range.start.index()..range.end.index()]
    }
}

impl<I: Id, T> FromIterator<T> for IdVec<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        IdVec::from_vec(iter.into_iter().collect())
    }
}

impl<'a, I: Id, T> IntoIterator for &'a IdVec<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.raw.iter()
    }
}

impl<'a, I: Id, T> IntoIterator for &'a mut IdVec<I, T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.raw.iter_mut()
    }
}

impl<I: Id, T> IntoIterator for IdVec<I, T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.raw.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::typed_id!(
        /// A test id.
        ThingId,
        /// A small test id.
        SmallId(u16)
    );

    #[test]
    fn push_returns_the_id_that_indexes_the_value() {
        let mut things: IdVec<ThingId, &str> = IdVec::new();
        assert_eq!(things.next_id(), ThingId(0));
        let a = things.push("a");
        let b = things.push("b");
        assert_eq!((a, b), (ThingId(0), ThingId(1)));
        assert_eq!((things[a], things[b]), ("a", "b"));
        things[b] = "c";
        assert_eq!(things.get(b), Some(&"c"));
        assert_eq!(things.get(ThingId(2)), None);
        assert_eq!(things.len(), 2);
    }

    #[test]
    fn ids_and_enumeration_go_in_id_order() {
        let mut things: IdVec<SmallId, u32> = IdVec::from_elem(7, 3);
        assert_eq!(
            things.ids().collect::<Vec<_>>(),
            [SmallId(0), SmallId(1), SmallId(2)]
        );
        for (id, value) in things.iter_enumerated_mut() {
            *value += id.0 as u32;
        }
        let pairs: Vec<_> = things.iter_enumerated().map(|(id, &value)| (id, value)).collect();
        assert_eq!(pairs, [(SmallId(0), 7), (SmallId(1), 8), (SmallId(2), 9)]);
        assert_eq!(&things[SmallId(1)..SmallId(3)], &[8, 9]);
        assert_eq!(things.iter().sum::<u32>(), 24);
    }

    #[test]
    fn ids_display_as_their_number_and_order_like_it() {
        assert_eq!(format!("node {}", ThingId(12)), "node 12");
        assert!(SmallId(2) < SmallId(10));
        assert_eq!(SmallId::from_index(65_534).index(), 65_534);
        assert_eq!(std::mem::size_of::<SmallId>(), 2);
    }

    #[test]
    #[should_panic(expected = "fits")]
    fn an_index_beyond_the_id_type_panics() {
        SmallId::from_index(70_000);
    }
}
