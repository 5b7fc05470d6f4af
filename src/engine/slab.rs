//! A slab: values in a `Vec` addressed by index, with a free list.
//!
//! Requests and in-flight calls live here instead of behind pointers. Freed
//! slots are reused, so once a run reaches its steady number of requests in
//! flight it allocates nothing more. Each slot carries a generation that is
//! bumped on every reuse; a `SlabKey` remembers the generation it was issued
//! with, so a late event about a finished request (a timeout that fires after
//! the response) is recognised as stale instead of touching a stranger.
//!
//! A slot is occupied while its generation is odd, and keys carry only odd
//! generations, so a lookup is one bounds check and one compare: no enum
//! tag to test, and a vacant slot simply keeps its last value (values are
//! `Copy`, nothing to drop). Freed slots are reused last-freed first.

/// A generational handle to a slab slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlabKey {
    pub index: u32,
    pub generation: u32,
}

struct Slot<T> {
    /// Odd while occupied.
    generation: u32,
    /// The value, or the last one while vacant (never read then).
    value: T,
}

pub struct Slab<T> {
    slots: Vec<Slot<T>>,
    /// Vacant slots, the last freed on top.
    free: Vec<u32>,
    len: usize,
}

impl<T: Copy> Slab<T> {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Slab {
            slots: Vec::with_capacity(capacity),
            free: Vec::with_capacity(capacity),
            len: 0,
        }
    }

    /// Stores `value` and returns its key.
    #[inline(always)]
    pub fn insert(&mut self, value: T) -> SlabKey {
        self.len += 1;
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            slot.generation = slot.generation.wrapping_add(1);
            slot.value = value;
            SlabKey {
                index,
                generation: slot.generation,
            }
        } else {
            let index = u32::try_from(self.slots.len()).expect("slab holds at most 2^32 values");
            self.slots.push(Slot { generation: 1, value });
            SlabKey { index, generation: 1 }
        }
    }

    /// The value behind `key`, or `None` if it was removed since.
    #[inline]
    pub fn get(&self, key: SlabKey) -> Option<&T> {
        match self.slots.get(key.index as usize) {
            Some(slot) if slot.generation == key.generation => Some(&slot.value),
            _ => None,
        }
    }

    #[inline]
    pub fn get_mut(&mut self, key: SlabKey) -> Option<&mut T> {
        match self.slots.get_mut(key.index as usize) {
            Some(slot) if slot.generation == key.generation => Some(&mut slot.value),
            _ => None,
        }
    }

    /// Removes and returns the value behind `key`, if it is still there.
    #[inline(always)]
    pub fn remove(&mut self, key: SlabKey) -> Option<T> {
        let slot = self.slots.get_mut(key.index as usize)?;
        if slot.generation != key.generation {
            return None;
        }
        // Even: vacant. The next insert here makes it odd again.
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(key.index);
        self.len -= 1;
        Some(slot.value)
    }

    /// Number of occupied slots.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The values stored now, in slot order (for reports, not the event
    /// path: it visits every slot ever allocated).
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.slots
            .iter()
            .filter(|slot| slot.generation % 2 == 1)
            .map(|slot| &slot.value)
    }

    /// Number of slots ever allocated: the high-water mark of `len`.
    pub fn capacity_used(&self) -> usize {
        self.slots.len()
    }
}

impl<T: Copy> Default for Slab<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_remove() {
        let mut slab = Slab::new();
        let a = slab.insert("a");
        let b = slab.insert("b");
        assert_eq!(slab.get(a), Some(&"a"));
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.get(a), None);
        assert_eq!(slab.get(b), Some(&"b"));
        assert_eq!(slab.len(), 1);
    }

    #[test]
    fn reused_slot_rejects_stale_keys() {
        let mut slab = Slab::new();
        let old = slab.insert(1);
        slab.remove(old);
        let new = slab.insert(2);
        assert_eq!(new.index, old.index, "the freed slot is reused");
        assert_eq!(slab.get(old), None);
        assert_eq!(slab.remove(old), None);
        assert_eq!(slab.get(new), Some(&2));
    }

    #[test]
    fn the_last_freed_slot_is_reused_first_and_vacant_slots_reject_every_old_key() {
        let mut slab = Slab::new();
        let keys: Vec<SlabKey> = (0..4).map(|i| slab.insert(i)).collect();
        slab.remove(keys[1]);
        slab.remove(keys[3]);
        assert_eq!(slab.insert(10).index, 3);
        assert_eq!(slab.insert(11).index, 1);
        let mut key = slab.insert(12);
        assert_eq!(key.index, 4, "no vacant slot left: a new one");
        for value in 0..1000 {
            slab.remove(key);
            assert_eq!(slab.get(key), None);
            assert_eq!(slab.remove(key), None);
            let old = key;
            key = slab.insert(value);
            assert_eq!(key.index, old.index);
            assert_eq!(slab.get(old), None);
            assert_eq!(slab.get(key), Some(&value));
        }
    }

    #[test]
    fn values_are_the_occupied_slots() {
        let mut slab = Slab::new();
        let keys: Vec<SlabKey> = (0..5).map(|i| slab.insert(i)).collect();
        slab.remove(keys[1]);
        slab.remove(keys[3]);
        assert_eq!(slab.values().copied().collect::<Vec<_>>(), [0, 2, 4]);
        slab.insert(7);
        assert_eq!(slab.values().copied().collect::<Vec<_>>(), [0, 2, 7, 4]);
    }

    #[test]
    fn steady_state_does_not_grow() {
        let mut slab = Slab::new();
        let mut keys: Vec<SlabKey> = (0..10).map(|i| slab.insert(i)).collect();
        for round in 0..1000 {
            let key = keys.remove(0);
            slab.remove(key);
            keys.push(slab.insert(round));
        }
        assert_eq!(slab.capacity_used(), 10);
        assert_eq!(slab.len(), 10);
    }
}
