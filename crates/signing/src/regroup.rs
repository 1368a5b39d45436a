//! Bytes given in parts, regrouped into fixed-size groups in registers: how the signers lay
//! out a message without copying it part by part into memory first.
//!
//! A signer's message is a few parts side by side (a timestamp, a method, a path, a body; an
//! id, a date, a secret). Copying them into a buffer costs a `memcpy` call each, and every
//! later 16-byte load that straddles two of those copies cannot be forwarded from the store
//! buffer: it waits for the copies to retire, behind everything before them
//! (`docs/PERFORMANCE.md`). [`Regroup`] instead reads each part where the caller holds it,
//! whole groups straight from it, and carries the 0 to `N − 1` bytes a part leaves over in a
//! register until the next part completes them. Each group goes on as one value: sixteen
//! bytes to be stored as one piece of a hash block, or twelve to become sixteen base64
//! characters.

use crate::sha256::load_le;
use crate::tail::low_bytes;

/// A message given in parts, handed on in `N`-byte groups (`N` ≤ 16), each as the low `N`
/// bytes of a `u128`, little-endian (the first byte lowest).
#[derive(Clone, Copy)]
pub(crate) struct Regroup<const N: usize> {
    /// The bytes carried over, little-endian; zero above them.
    carry: u128,
    /// How many (0 to `N − 1`).
    carried: usize,
}

impl<const N: usize> Regroup<N> {
    /// Nothing yet.
    #[inline(always)]
    pub(crate) const fn new() -> Self {
        Self {
            carry: 0,
            carried: 0,
        }
    }

    /// Starts with the `len` (< `N`) low bytes of `value` (zero above them), for a first part
    /// that is computed rather than read (a timestamp's digits).
    #[inline(always)]
    pub(crate) const fn starting_with(value: u128, len: usize) -> Self {
        Self {
            carry: value,
            carried: len,
        }
    }

    /// Appends `part`, handing each group it completes to `group`, in order.
    #[inline(always)]
    pub(crate) fn update(&mut self, mut part: &[u8], mut group: impl FnMut(u128)) {
        if self.carried > 0 {
            let Some((head, rest)) = part.split_at_checked(N - self.carried) else {
                // Still short of a group: `part` is shorter than what is missing.
                self.carry |= load_le(part) << (8 * self.carried);
                self.carried += part.len();
                return;
            };
            group(self.carry | (load_le(head) << (8 * self.carried)));
            part = rest;
        }
        let (groups, rest) = part.as_chunks::<N>();
        for whole in groups {
            group(load_le(whole));
        }
        self.carry = load_le(rest);
        self.carried = rest.len();
    }

    /// Appends the `len` (≤ `N`) low bytes of `value` (zero above them): a part already in a
    /// register (an upper-cased method).
    #[inline(always)]
    pub(crate) fn push(&mut self, value: u128, len: usize, mut group: impl FnMut(u128)) {
        let joined = self.carry | (value << (8 * self.carried));
        let total = self.carried + len;
        if total < N {
            self.carry = joined;
            self.carried = total;
            return;
        }
        group(joined & low_bytes(N));
        // The bytes of `value` that did not fit; none when the group took all of it.
        self.carry = value
            .checked_shr(8 * (N - self.carried) as u32)
            .unwrap_or(0);
        self.carried = total - N;
    }

    /// The bytes left over (zero above them) and how many (0 to `N − 1`): the message's last,
    /// partial group.
    #[inline(always)]
    pub(crate) const fn finish(self) -> (u128, usize) {
        (self.carry, self.carried)
    }

    /// How many bytes are carried (0 to `N − 1`).
    #[inline(always)]
    pub(crate) const fn carried(&self) -> usize {
        self.carried
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// Regroups `parts` (read or pushed) and returns the bytes of the groups, then the left
    /// over bytes, checking that every group is `N` bytes and the carry below `N`.
    fn regrouped<const N: usize>(first: (u128, usize), parts: &[(&[u8], bool)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut regroup = Regroup::<N>::starting_with(first.0, first.1);
        let mut take = |group: u128| {
            assert_eq!(group & !low_bytes(N), 0, "a group has bytes above {N}");
            out.extend_from_slice(&group.to_le_bytes()[..N]);
        };
        for (part, pushed) in parts {
            if *pushed {
                regroup.push(load_le(part), part.len(), &mut take);
            } else {
                regroup.update(part, &mut take);
            }
            assert!(regroup.carried() < N);
        }
        let (carry, carried) = regroup.finish();
        assert_eq!(
            carry & !low_bytes(carried),
            0,
            "the carry has bytes above {carried}"
        );
        out.extend_from_slice(&carry.to_le_bytes()[..carried]);
        out
    }

    #[test]
    fn every_cut_gives_back_the_message() {
        let message: Vec<u8> = (0..120u8).map(|i| i.wrapping_mul(37) | 1).collect();
        let mut next = crate::test_support::cut_points(0x2545_f491_4f6c_dd1d);
        for len in 0..=message.len() {
            for _ in 0..8 {
                // A first value of up to 11 bytes, then parts of any length, the short ones
                // sometimes pushed as values.
                let first = next(11.min(len));
                let mut cuts: Vec<usize> = (0..4).map(|_| first + next(len - first)).collect();
                cuts.sort_unstable();
                cuts.insert(0, first);
                cuts.push(len);
                let parts: Vec<(&[u8], bool)> = cuts
                    .windows(2)
                    .map(|w| {
                        let part = &message[w[0]..w[1]];
                        (part, part.len() <= 12 && next(1) == 1)
                    })
                    .collect();
                let head = (load_le(&message[..first]), first);
                assert_eq!(
                    regrouped::<12>(head, &parts),
                    &message[..len],
                    "{len} {cuts:?}"
                );
                assert_eq!(
                    regrouped::<16>(head, &parts),
                    &message[..len],
                    "{len} {cuts:?}"
                );
            }
        }
    }
}
