//! A consistent-hash ring: each member owns many points (virtual nodes) on a
//! 64-bit circle; a key belongs to the first point at or after its hash.
//! Removing a member moves only its keys, to the next members round the
//! circle. Lookups are a binary search over the sorted points.

use super::keys::mix64;

#[derive(Clone, Debug)]
pub struct Ring {
    /// (position, member), sorted by position.
    points: Vec<(u64, u32)>,
}

impl Ring {
    pub fn new(members: u32, virtual_nodes: u32) -> Self {
        let mut points: Vec<(u64, u32)> = (0..members)
            .flat_map(|member| {
                (0..virtual_nodes).map(move |point| (mix64(((member as u64) << 32) | point as u64), member))
            })
            .collect();
        points.sort_unstable();
        Ring { points }
    }

    /// The member owning `key`, skipping members for which `up` is false
    /// (their keys go to the next member round the ring). `None` if no
    /// member is up.
    pub fn owner(&self, key: u32, up: impl Fn(u32) -> bool) -> Option<u32> {
        let hash = mix64(key as u64 ^ 0x5eed_0000_0000);
        let start = self.points.partition_point(|&(position, _)| position < hash);
        let count = self.points.len();
        (0..count)
            .map(|offset| self.points[(start + offset) % count].1)
            .find(|&member| up(member))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_get_about_equal_shares() {
        // A member's share is the sum of V arcs whose lengths are close to
        // independent exponentials, so its relative standard deviation is
        // about 1/sqrt(V): 3.2 % for V = 1000. Allow four of them.
        let virtual_nodes = 1000;
        let ring = Ring::new(4, virtual_nodes);
        let mut counts = [0u32; 4];
        for key in 0..200_000 {
            counts[ring.owner(key, |_| true).unwrap() as usize] += 1;
        }
        let tolerance = 4.0 / (virtual_nodes as f64).sqrt();
        for count in counts {
            assert!((count as f64 / 50_000.0 - 1.0).abs() < tolerance, "{counts:?}");
        }
    }

    #[test]
    fn removing_a_member_moves_only_its_keys() {
        let ring = Ring::new(4, 100);
        for key in 0..20_000 {
            let before = ring.owner(key, |_| true).unwrap();
            let after = ring.owner(key, |member| member != 2).unwrap();
            if before != 2 {
                assert_eq!(before, after, "key {key} moved although its member stayed");
            } else {
                assert_ne!(after, 2);
            }
        }
        assert_eq!(ring.owner(1, |_| false), None);
    }
}
