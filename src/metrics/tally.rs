//! A count kept twice: for the window being measured and over the kept
//! windows (after warm-up). Every such pair closes the same way, here.

use std::ops::AddAssign;

/// Counts `C` of this window, and their sum over the kept windows.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tally<C> {
    pub window: C,
    pub total: C,
}

impl<C: Copy + Default + AddAssign> Tally<C> {
    /// Ends the window: its counts, added to `total` if it is kept; the
    /// next window starts from zero.
    pub fn close(&mut self, keep: bool) -> C {
        let window = std::mem::take(&mut self.window);
        if keep {
            self.total += window;
        }
        window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_window_adds_to_the_total_and_every_window_restarts() {
        let mut tally = Tally::<u64>::default();
        tally.window += 3;
        assert_eq!(tally.close(true), 3);
        tally.window += 2;
        assert_eq!(tally.close(false), 2, "a warm-up window is still reported");
        assert_eq!(tally, Tally { window: 0, total: 3 });
    }
}
