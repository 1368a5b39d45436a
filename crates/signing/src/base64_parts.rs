//! Standard base64 of a message given in parts (Avanan's signed text), straight from where
//! the parts lie: [`Regroup`] hands on twelve input bytes at a time and the CPU's
//! [`Encoders`] turn each group into sixteen characters.

use crate::dispatch::Encoders;
use crate::regroup::Regroup;
use crate::tail::{base64_len, tail_masks};

/// Standard base64 of a message given in parts, without laying the message out in memory:
/// [`Regroup`] hands on every twelve input bytes, read where they lie, and each group becomes
/// one sixteen-character piece.
#[derive(Clone, Copy)]
pub(crate) struct Base64Parts<E> {
    encoders: E,
    groups: Regroup<12>,
}

impl<E: Encoders> Base64Parts<E> {
    /// An empty message.
    #[inline(always)]
    pub(crate) fn new(encoders: E) -> Self {
        Self {
            encoders,
            groups: Regroup::new(),
        }
    }

    /// Appends `part`, handing each piece it completes to `piece`, in order.
    #[inline(always)]
    pub(crate) fn update(&mut self, part: &[u8], mut piece: impl FnMut([u8; 16])) {
        let encoders = self.encoders;
        self.groups.update(part, |group| {
            piece(encoders.base64_12(group, u128::MAX, 0));
        });
    }

    /// How many characters the last piece holds: 0 (the encoding ended with a whole piece),
    /// 4, 8, 12 or 16.
    #[inline(always)]
    pub(crate) fn tail_len(&self) -> usize {
        base64_len(self.groups.carried())
    }

    /// The last piece: the characters of the bytes left over, `=`-padded to
    /// [`tail_len`](Self::tail_len), then `fill` OR-ed over the zeros after them (where a
    /// hash puts its padding). With no bytes left over the masks keep nothing, so it is
    /// `fill` alone, built like every other piece (one whole 16-byte value).
    #[inline(always)]
    pub(crate) fn finish(self, fill: u128) -> [u8; 16] {
        let (carry, carried) = self.groups.finish();
        let (keep, pad) = tail_masks(carried);
        self.encoders.base64_12(carry, keep, pad | fill)
    }
}
