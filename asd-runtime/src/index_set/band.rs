//! Bands: sets within 64 consecutive indices, a start and a mask, and the small unions
//! that keep a set a band or an inline list.

use super::*;

/// The largest index of a band.
#[inline]
pub(super) fn band_max(base: u32, bits: u64) -> u32 {
    base + (63 - bits.leading_zeros())
}

/// A sorted, unique list in the representation it would have if it were not a band:
/// inline, a bit set or a heap list.
pub(super) fn unbanded(v: &[u32]) -> Repr {
    if v.len() <= INLINE {
        let mut buf = [0; INLINE];
        buf[..v.len()].copy_from_slice(v);
        Repr::Inline {
            len: v.len() as u32,
            buf,
        }
    } else if list_wants_bits(v) {
        Repr::Bits(Box::new(Bits::from_sorted(v)))
    } else {
        Repr::List(v.to_vec())
    }
}

/// The union of two bands, if it is a band too.
#[inline]
pub(super) fn band_union(a: u32, a_bits: u64, b: u32, b_bits: u64) -> Option<(u32, u64)> {
    let base = a.min(b);
    let top = band_max(a, a_bits).max(band_max(b, b_bits));
    (top - base < 64).then(|| (base, a_bits << (a - base) | b_bits << (b - base)))
}

/// `dest = a ∪ b` for two bands or inline lists, if the union is a band or fits
/// inline: the hot case of tracers off a band (a 2-D stencil, or a sum of two distant
/// blocks), which then never converts a band into a list or back. `a` must not be read
/// from `dest`.
///
/// The merge writes straight into `dest`: a union built elsewhere and moved in is read
/// back, as wider words, before its narrow stores have landed, and stalls.
#[inline]
pub(super) fn small_union_into(dest: &mut Repr, a: &[u32], b: &[u32]) -> bool {
    if let Some(band) = band_of_union(a, b) {
        *dest = band;
        return true;
    }
    if !matches!(dest, Repr::Inline { .. }) {
        *dest = EMPTY;
    }
    let Repr::Inline { len, buf } = dest else {
        unreachable!("dest was made inline")
    };
    match merge_small(a, b, buf) {
        Some(n) => {
            *len = n as u32;
            true
        }
        None => false,
    }
}

/// `a ∪ b` (sorted, unique) as a band, if it is not empty and lies within 64
/// consecutive indices.
#[inline]
pub(super) fn band_of_union(a: &[u32], b: &[u32]) -> Option<Repr> {
    let base = *a.first().into_iter().chain(b.first()).min()?;
    let top = *a.last().into_iter().chain(b.last()).max()?;
    (top - base < 64).then(|| Repr::Band {
        base,
        bits: a.iter().chain(b).fold(0, |m, &x| m | 1 << (x - base)),
    })
}

/// The indices of an inline list, or of a band of at most [`INLINE`] indices (written
/// out in `buf`).
#[inline]
pub(super) fn small_list<'a>(repr: &'a Repr, buf: &'a mut [u32; INLINE]) -> Option<&'a [u32]> {
    match *repr {
        Repr::Inline { len, ref buf } => Some(&buf[..len as usize]),
        Repr::Band { base, bits } => band_indices(base, bits, buf),
        Repr::List(_) | Repr::Bits(_) => None,
    }
}

/// The indices of a band, ascending, written in `buf`, if they fit in it.
#[inline]
pub(super) fn band_indices(base: u32, mut bits: u64, buf: &mut [u32]) -> Option<&[u32]> {
    let mut n = 0;
    while bits != 0 {
        if n == buf.len() {
            return None;
        }
        buf[n] = base + bits.trailing_zeros();
        bits &= bits - 1;
        n += 1;
    }
    Some(&buf[..n])
}

/// All the indices of a band, written in `buf`.
#[inline]
pub(super) fn band_list(base: u32, bits: u64, buf: &mut [u32; 64]) -> &[u32] {
    band_indices(base, bits, buf).expect("a band holds at most 64 indices")
}
