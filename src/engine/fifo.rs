//! A first-in first-out list that is drained to empty again and again: the
//! model's list of frames ready to run, filled while an event is handled and
//! emptied right after it.
//!
//! A `Vec` and a read position, both reset when the last value is taken. No
//! wrap-around arithmetic as in a ring buffer (`VecDeque`), whose push and
//! pop were about 5 % of the instructions of a run; the list never holds
//! more than one event's worth of values, so the vector stops growing at its
//! high-water mark and steady state allocates nothing.

/// A FIFO that is regularly drained to empty.
#[derive(Debug, Default)]
pub struct DrainFifo<T> {
    values: Vec<T>,
    next: usize,
}

impl<T: Copy> DrainFifo<T> {
    pub fn new() -> Self {
        DrainFifo {
            values: Vec::new(),
            next: 0,
        }
    }

    #[inline]
    pub fn push_back(&mut self, value: T) {
        self.values.push(value);
    }

    /// Takes the oldest value; the storage is reused once all are taken.
    #[inline]
    pub fn pop_front(&mut self) -> Option<T> {
        let value = *self.values.get(self.next)?;
        self.next += 1;
        if self.next == self.values.len() {
            self.values.clear();
            self.next = 0;
        }
        Some(value)
    }

    pub fn len(&self) -> usize {
        self.values.len() - self.next
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_out_in_the_order_they_went_in_across_refills() {
        let mut fifo = DrainFifo::new();
        fifo.push_back(1);
        fifo.push_back(2);
        assert_eq!(fifo.pop_front(), Some(1));
        fifo.push_back(3);
        assert_eq!(fifo.len(), 2);
        assert_eq!(fifo.pop_front(), Some(2));
        assert_eq!(fifo.pop_front(), Some(3));
        assert_eq!(fifo.pop_front(), None);
        assert!(fifo.is_empty());
        fifo.push_back(4);
        assert_eq!(fifo.pop_front(), Some(4));
        assert_eq!(fifo.pop_front(), None);
    }

    #[test]
    fn storage_is_reused_once_drained() {
        let mut fifo = DrainFifo::new();
        for round in 0..1000 {
            for value in 0..8 {
                fifo.push_back(round * 8 + value);
            }
            while fifo.pop_front().is_some() {}
        }
        assert!(
            fifo.values.capacity() < 64,
            "drained storage is reused, not grown"
        );
    }
}
