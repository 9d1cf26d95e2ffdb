//! Merges of sorted, unique index lists: into a buffer, in place, inline, backwards.

use super::*;

/// Whether a sorted list of this length and range is smaller as a bit set.
#[inline]
pub(super) fn list_wants_bits(v: &[u32]) -> bool {
    v.len() >= DENSE_MIN_LEN && (v[v.len() - 1] - v[0]) as usize <= DENSE_BITS_PER_INDEX * v.len()
}

/// Merges two sorted, unique slices into `out` (at least `a.len() + b.len()` long),
/// dropping duplicates; returns the length written.
pub(super) fn merge_into<T: Copy + Ord>(a: &[T], b: &[T], out: &mut [T]) -> usize {
    let (mut i, mut j, mut k) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        out[k] = x.min(y);
        i += (x <= y) as usize;
        j += (y <= x) as usize;
        k += 1;
    }
    let rest = if i < a.len() { &a[i..] } else { &b[j..] };
    out[k..k + rest.len()].copy_from_slice(rest);
    k + rest.len()
}

/// Merges two sorted, unique slices into `out` if their union has at most [`INLINE`]
/// indices: returns its length, or `None` (and `out` is garbage) if it does not fit.
/// (A union within 64 indices never gets here: it is a band.)
///
/// [`merge_into`] with a fixed-size output and no bulk copy: its tail copy becomes a
/// `memcpy` call, which for tiny sets costs more than the merge (J2's tracer, measured
/// 7-15% slower).
#[inline]
pub(super) fn merge_small(a: &[u32], b: &[u32], out: &mut [u32; INLINE]) -> Option<usize> {
    let (mut i, mut j, mut k) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if k == INLINE {
            return None;
        }
        let (x, y) = (a[i], b[j]);
        out[k] = x.min(y);
        i += (x <= y) as usize;
        j += (y <= x) as usize;
        k += 1;
    }
    let rest = if i < a.len() { &a[i..] } else { &b[j..] };
    if k + rest.len() > INLINE {
        return None;
    }
    for &x in rest {
        out[k] = x;
        k += 1;
    }
    Some(k)
}

/// The sorted union of two sorted, unique slices.
pub(crate) fn merge_to_vec<T: Copy + Ord + Default>(a: &[T], b: &[T]) -> Vec<T> {
    let mut v = vec![T::default(); a.len() + b.len()];
    let n = merge_into(a, b, &mut v);
    v.truncate(n);
    v
}

/// `v ∪= b` in place, both sorted and unique. Only the tail of `v` from the first
/// index of `b` on is touched, so appending larger indices costs O(|b|).
#[inline]
pub(super) fn merge_in_place(v: &mut Vec<u32>, b: &[u32]) {
    let start = v.partition_point(|&x| x < b[0]);
    let new = count_new(&v[start..], b);
    if new == 0 {
        return;
    }
    let la = v.len();
    v.resize(la + new, 0);
    merge_back(&mut v[start..], la - start, b);
}

/// Adds `x` to the sorted, unique `buf[..len]`, if it is there already or fits.
#[inline]
pub(super) fn insert_one(buf: &mut [u32; INLINE], len: &mut u32, x: u32) -> bool {
    let la = *len as usize;
    let p = buf[..la].iter().take_while(|&&y| y < x).count();
    if p < la && buf[p] == x {
        return true;
    }
    if la == INLINE {
        return false;
    }
    buf.copy_within(p..la, p + 1);
    buf[p] = x;
    *len += 1;
    true
}

/// The number of indices of `b` not in `a`, both sorted and unique: how far a merge
/// of `b` into `a` extends it.
#[inline]
pub(super) fn count_new(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut new) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        new += (y < x) as usize;
        i += (x <= y) as usize;
        j += (y <= x) as usize;
    }
    new + b.len() - j
}

/// Merges sorted, unique `b` into the sorted, unique `v[..la]`, filling all of `v`
/// (`la + count_new(&v[..la], b)` long). Backwards: the write position never overtakes
/// the read position.
#[inline]
pub(super) fn merge_back(v: &mut [u32], la: usize, b: &[u32]) {
    let (mut i, mut j, mut k) = (la, b.len(), v.len());
    while j > 0 {
        k -= 1;
        if i > 0 && v[i - 1] >= b[j - 1] {
            if v[i - 1] == b[j - 1] {
                j -= 1;
            }
            v[k] = v[i - 1];
            i -= 1;
        } else {
            v[k] = b[j - 1];
            j -= 1;
        }
    }
}
