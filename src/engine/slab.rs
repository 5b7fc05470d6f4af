//! A slab: values in a `Vec` addressed by index, with a free list.
//!
//! Requests and in-flight calls live here instead of behind pointers. Freed
//! slots are reused, so once a run reaches its steady number of requests in
//! flight it allocates nothing more. Each slot carries a generation that is
//! bumped on every reuse; a `SlabKey` remembers the generation it was issued
//! with, so a late event about a finished request (a timeout that fires after
//! the response) is recognised as stale instead of touching a stranger.

/// A generational handle to a slab slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlabKey {
    pub index: u32,
    pub generation: u32,
}

enum Slot<T> {
    Occupied { generation: u32, value: T },
    Vacant { generation: u32, next_free: u32 },
}

const NO_FREE: u32 = u32::MAX;

pub struct Slab<T> {
    slots: Vec<Slot<T>>,
    free_head: u32,
    len: usize,
}

impl<T> Slab<T> {
    pub fn new() -> Self {
        Slab {
            slots: Vec::new(),
            free_head: NO_FREE,
            len: 0,
        }
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Slab {
            slots: Vec::with_capacity(capacity),
            free_head: NO_FREE,
            len: 0,
        }
    }

    /// Stores `value` and returns its key.
    #[inline(always)]
    pub fn insert(&mut self, value: T) -> SlabKey {
        self.len += 1;
        if self.free_head != NO_FREE {
            let index = self.free_head;
            let slot = &mut self.slots[index as usize];
            let Slot::Vacant {
                generation,
                next_free,
            } = *slot
            else {
                unreachable!("free list points at an occupied slot");
            };
            self.free_head = next_free;
            *slot = Slot::Occupied { generation, value };
            SlabKey { index, generation }
        } else {
            let index = u32::try_from(self.slots.len()).expect("slab holds at most 2^32-1 values");
            assert!(index != NO_FREE, "slab holds at most 2^32-1 values");
            self.slots.push(Slot::Occupied { generation: 0, value });
            SlabKey { index, generation: 0 }
        }
    }

    /// The value behind `key`, or `None` if it was removed since.
    #[inline]
    pub fn get(&self, key: SlabKey) -> Option<&T> {
        match self.slots.get(key.index as usize) {
            Some(Slot::Occupied { generation, value }) if *generation == key.generation => Some(value),
            _ => None,
        }
    }

    #[inline]
    pub fn get_mut(&mut self, key: SlabKey) -> Option<&mut T> {
        match self.slots.get_mut(key.index as usize) {
            Some(Slot::Occupied { generation, value }) if *generation == key.generation => Some(value),
            _ => None,
        }
    }

    /// Removes and returns the value behind `key`, if it is still there.
    #[inline(always)]
    pub fn remove(&mut self, key: SlabKey) -> Option<T> {
        let slot = self.slots.get_mut(key.index as usize)?;
        match slot {
            Slot::Occupied { generation, .. } if *generation == key.generation => {
                let next_generation = generation.wrapping_add(1);
                let old = std::mem::replace(
                    slot,
                    Slot::Vacant {
                        generation: next_generation,
                        next_free: self.free_head,
                    },
                );
                self.free_head = key.index;
                self.len -= 1;
                match old {
                    Slot::Occupied { value, .. } => Some(value),
                    Slot::Vacant { .. } => unreachable!(),
                }
            }
            _ => None,
        }
    }

    /// Number of occupied slots.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of slots ever allocated: the high-water mark of `len`.
    pub fn capacity_used(&self) -> usize {
        self.slots.len()
    }
}

impl<T> Default for Slab<T> {
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
