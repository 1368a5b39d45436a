//! The masks of the last base64 piece of an encoding, shared by the portable and the vector
//! encoders (`encode.rs`, `simd.rs`): plain integer arithmetic on lengths, which are public.

/// The low `n` bytes (`n ≤ 16`) of a `u128` set.
#[inline(always)]
pub(crate) const fn low_bytes(n: usize) -> u128 {
    if n >= 16 {
        u128::MAX
    } else {
        (1u128 << (8 * n)) - 1
    }
}

/// `keep` and `fill` for the last piece of an encoding whose last group holds `rest` input
/// bytes (0 to 12): the characters that carry input bits are kept, `=` pads to a multiple of
/// four, zeros follow.
#[inline(always)]
pub(crate) const fn tail_masks(rest: usize) -> (u128, u128) {
    let real = (4 * rest).div_ceil(3);
    let len = base64_len(rest);
    let pad = u128::from_le_bytes([b'='; 16]) & low_bytes(len) & !low_bytes(real);
    (low_bytes(real), pad)
}

/// Length of the standard padded base64 of `n` bytes.
#[inline]
pub(crate) const fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}
