//! Index sets: the values generated sparsity tracers carry.
//!
//! A first-order tracer replaces every real by the set of input indices it depends
//! on, so `y[i] = x[i - 1] + x[i] + x[i + 1]` becomes
//! `y[i] = IndexSet::union(&x[i - 1], &x[i]); y[i].union_with(&x[i + 1]);`.
//! Almost all of these sets are tiny (banded problems), a few are huge (a sum over
//! all inputs). [`IndexSet`] therefore adapts its representation:
//!
//! - a set within 64 consecutive indices is a band: a start and a 64-bit mask, so the
//!   union of two nearby sets (the bulk of a banded tracer's work) is a shift and an OR;
//! - otherwise up to [`INLINE`] indices live inline, so tiny sets never touch the
//!   allocator;
//! - beyond that, a sorted `Vec<u32>`;
//! - once the set is dense in its own range (at least [`DENSE_MIN_LEN`] indices, at
//!   most 32 bits of range per index), a `bitvec` bit set covering only the range
//!   `[min, max]` (word-aligned), so a band stays compact however large `n` is.
//!
//! Indices are stored as `u32`, halving memory traffic; a tracer of more than 2^32
//! inputs would need far more memory than the inputs themselves, so indices at or
//! above 2^32 panic with a clear message.
//!
//! The files: bands ([`band`]), merges of sorted lists ([`merge`]), bit sets ([`bits`]),
//! iteration ([`iter`]). [`PairSet`](crate::PairSet) holds the second-order
//! interactions of a Hessian tracer.

use std::fmt;
use std::hash::{Hash, Hasher};

use bitvec::prelude::{BitVec, Lsb0};

mod band;
mod bits;
mod iter;
mod merge;
#[cfg(test)]
mod tests;

use band::*;
use bits::*;
pub(crate) use merge::merge_to_vec;
use merge::*;

/// The spare capacity [`IndexSet::extend_into`] asks of its output before writing a
/// band, the most indices a band holds: a caller that reserves this much beyond the
/// total never has the vector reallocated.
pub(crate) const EXTEND_ROOM: usize = 64;

/// Number of indices an [`IndexSet`] stores without allocating.
///
/// Six `u32` and their count fit in the space a `Vec` needs anyway (32 bytes with the
/// enum tag; the bit set is boxed to stay within it). A tracer holds one set per real of
/// the traced function, so their size is most of a preparation's memory. The count is a
/// `u32`, not a `u8`, so that every field sits at an aligned offset: with a byte count,
/// copying a set moved bytes 1..8 as two overlapping words through the stack, and
/// cloning a tracer's input stalled on it.
pub const INLINE: usize = 6;

/// A sorted list switches to a bit set only from this many indices on: below it, a
/// merge of two short lists is cheaper than any word loop.
pub const DENSE_MIN_LEN: usize = 64;

/// A list becomes a bit set when its range costs at most this many bits per index,
/// i.e. when the bit set is no larger than the list of `u32`.
const DENSE_BITS_PER_INDEX: usize = 32;

/// A bit set goes back to a list when its range would cost more than this many bits
/// per index. Twice [`DENSE_BITS_PER_INDEX`], so that a set near the boundary does
/// not flip back and forth.
const SPARSE_BITS_PER_INDEX: usize = 64;

const WORD: usize = 64;

/// A set of input indices, the value of a first-order sparsity tracer.
///
/// Equality, hashing, `Debug` and iteration are by content, whatever the internal
/// representation; iteration is in ascending order.
///
/// ```
/// use asd_runtime::IndexSet;
/// let mut y = IndexSet::singleton(4);
/// y.union_with(&[1, 7].into_iter().collect());
/// assert_eq!(y.iter().collect::<Vec<_>>(), [1, 4, 7]);
/// ```
#[derive(Clone)]
pub struct IndexSet {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    /// `{base + k : bit k of bits is set}`, never empty. Any set whose indices lie
    /// within 64 consecutive ones may be stored so; the constructors always do.
    Band { base: u32, bits: u64 },
    /// `buf[..len]`, sorted and unique.
    Inline { len: u32, buf: [u32; INLINE] },
    /// Sorted and unique, longer than `INLINE` (shorter after conversions is allowed).
    List(Vec<u32>),
    /// Boxed: inline it would make every set larger.
    Bits(Box<Bits>),
}

const EMPTY: Repr = Repr::Inline {
    len: 0,
    buf: [0; INLINE],
};

#[inline]
#[track_caller]
pub(crate) fn to_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or_else(|_| {
        panic!("asd: index {i} is too large for an IndexSet (indices must be below 2^32)")
    })
}

impl Default for IndexSet {
    fn default() -> Self {
        Self::new()
    }
}

impl IndexSet {
    /// The empty set; does not allocate.
    ///
    /// ```
    /// use asd_runtime::IndexSet;
    /// let s = IndexSet::new();
    /// assert!(s.is_empty() && s.len() == 0 && s == IndexSet::default());
    /// ```
    pub fn new() -> Self {
        IndexSet { repr: EMPTY }
    }

    /// `{i}`; does not allocate.
    ///
    /// ```
    /// use asd_runtime::IndexSet;
    /// let s = IndexSet::singleton(3);
    /// assert_eq!(s.to_vec(), [3]);
    /// ```
    #[inline]
    #[track_caller]
    pub fn singleton(i: usize) -> Self {
        IndexSet {
            repr: Repr::Band {
                base: to_u32(i),
                bits: 1,
            },
        }
    }

    /// Builds a set from sorted, unique indices, choosing the representation.
    fn from_sorted_u32(v: &[u32]) -> Self {
        IndexSet {
            repr: band_of_union(v, &[]).unwrap_or_else(|| unbanded(v)),
        }
    }

    /// Like [`from_sorted_u32`](Self::from_sorted_u32) but keeps the vector.
    fn from_sorted_vec(v: Vec<u32>) -> Self {
        let band = v.last().zip(v.first()).is_some_and(|(&l, &f)| l - f < 64);
        if band || v.len() <= INLINE || list_wants_bits(&v) {
            Self::from_sorted_u32(&v)
        } else {
            IndexSet {
                repr: Repr::List(v),
            }
        }
    }

    /// The sorted indices, when the set is stored as a list.
    fn as_list(&self) -> Option<&[u32]> {
        match &self.repr {
            Repr::Inline { len, buf } => Some(&buf[..*len as usize]),
            Repr::List(v) => Some(v),
            Repr::Band { .. } | Repr::Bits(_) => None,
        }
    }

    /// The sorted indices of a list or a band (written out in `buf`), `None` for a bit
    /// set.
    fn list_view<'a>(&'a self, buf: &'a mut [u32; 64]) -> Option<&'a [u32]> {
        match self.repr {
            Repr::Band { base, bits } => Some(band_list(base, bits, buf)),
            _ => self.as_list(),
        }
    }

    /// Stores a band as a list instead, for the operations that only know lists.
    fn unband(&mut self) {
        if let Repr::Band { base, bits } = self.repr {
            self.repr = unbanded(band_list(base, bits, &mut [0; 64]));
        }
    }

    /// Whether the set is currently stored as a bit set (for tests and tuning; the
    /// representation never changes results).
    ///
    /// ```
    /// use asd_runtime::IndexSet;
    /// let few: IndexSet = [3, 500].into_iter().collect();
    /// let many: IndexSet = (0..1000).collect();
    /// assert!(!few.is_dense() && many.is_dense());
    /// assert_eq!(many.len(), 1000); // the same set, whatever the storage
    /// ```
    pub fn is_dense(&self) -> bool {
        matches!(self.repr, Repr::Bits(_))
    }

    /// Adds `i` to the set.
    ///
    /// ```
    /// use asd_runtime::IndexSet;
    /// let mut s = IndexSet::new();
    /// s.insert(5);
    /// s.insert(2);
    /// s.insert(5);
    /// assert_eq!(s.to_vec(), [2, 5]);
    /// ```
    #[track_caller]
    pub fn insert(&mut self, i: usize) {
        let x = to_u32(i);
        match &mut self.repr {
            Repr::Band { base, bits } => {
                if let Some((b, m)) = band_union(*base, *bits, x, 1) {
                    (*base, *bits) = (b, m);
                } else {
                    let mut buf = [0; 64];
                    let mut v = band_list(*base, *bits, &mut buf).to_vec();
                    let pos = v.partition_point(|&y| y < x);
                    v.insert(pos, x);
                    *self = Self::from_sorted_vec(v);
                }
            }
            Repr::Inline { len, buf } => {
                if !insert_one(buf, len, x) {
                    // Full, and `x` is new: spill to the heap.
                    let pos = buf.partition_point(|&y| y < x);
                    let mut v = Vec::with_capacity(2 * INLINE);
                    v.extend_from_slice(&buf[..pos]);
                    v.push(x);
                    v.extend_from_slice(&buf[pos..]);
                    self.repr = Repr::List(v);
                }
            }
            Repr::List(v) => {
                if let Err(pos) = v.binary_search(&x) {
                    v.insert(pos, x);
                    if list_wants_bits(v) {
                        self.repr = Repr::Bits(Box::new(Bits::from_sorted(v)));
                    }
                }
            }
            Repr::Bits(b) => {
                let (lo, hi) = b.hull(i, i);
                if (hi - lo) > SPARSE_BITS_PER_INDEX * (b.len + 1) {
                    let mut v = b.to_list();
                    if let Err(pos) = v.binary_search(&x) {
                        v.insert(pos, x);
                    }
                    *self = Self::from_sorted_vec(v);
                } else {
                    b.insert(i);
                }
            }
        }
    }

    /// `self ∪= other`: the hot operation of generated tracers.
    ///
    /// Two short sets merge on the stack without allocating; a short set into a
    /// long list costs the length of the part of the list it overlaps (appending
    /// larger indices is O(|other|)); anything into a bit set is O(|other|), or
    /// O(words) for two bit sets.
    ///
    /// The union of two nearby bands is inlined into the caller, as in
    /// [`assign_union`](Self::assign_union).
    ///
    /// ```
    /// use asd_runtime::IndexSet;
    /// // The tracer of `s += x[k]` over k = 0..4.
    /// let mut s = IndexSet::new();
    /// for k in 0..4 {
    ///     s.union_with(&IndexSet::singleton(k));
    /// }
    /// assert_eq!(s.to_vec(), [0, 1, 2, 3]);
    /// ```
    #[inline]
    pub fn union_with(&mut self, other: &IndexSet) {
        if let (
            Repr::Band { base, bits },
            &Repr::Band {
                base: ob,
                bits: obits,
            },
        ) = (&mut self.repr, &other.repr)
        {
            if let Some((b, m)) = band_union(*base, *bits, ob, obits) {
                (*base, *bits) = (b, m);
                return;
            }
        }
        self.union_with_slow(other);
    }

    /// [`union_with`](Self::union_with) of anything but two nearby bands.
    #[inline(never)]
    fn union_with_slow(&mut self, other: &IndexSet) {
        let mut b_buf = [0; INLINE];
        if let Some(b) = small_list(&other.repr, &mut b_buf) {
            if self.small_union_with(b) {
                return;
            }
        }
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            self.clone_from(other);
            return;
        }
        // Bands take part as lists.
        self.unband();
        let mut other_buf = [0; 64];
        match (&mut self.repr, &other.repr) {
            (Repr::Bits(a), Repr::Bits(b)) => {
                let (blo, bhi) = match b.min_max() {
                    Some(r) => r,
                    None => return,
                };
                let (lo, hi) = a.hull(blo, bhi);
                if hi - lo > SPARSE_BITS_PER_INDEX * (a.len + b.len) {
                    let merged = merge_to_vec(&a.to_list(), &b.to_list());
                    *self = Self::from_sorted_vec(merged);
                } else {
                    a.union_bits(b, blo, bhi);
                }
            }
            (Repr::Bits(a), _) => {
                let list = other.list_view(&mut other_buf).unwrap_or_default();
                if let Some(v) = a.union_list_or_spill(list) {
                    *self = Self::from_sorted_vec(v);
                }
            }
            (_, Repr::Bits(b)) => {
                let list = self.as_list().unwrap_or_default();
                let (lo, hi) = b.hull(list[0] as usize, list[list.len() - 1] as usize);
                if hi - lo > SPARSE_BITS_PER_INDEX * (list.len() + b.len) {
                    let merged = merge_to_vec(list, &b.to_list());
                    *self = Self::from_sorted_vec(merged);
                } else {
                    let mut bits = b.clone();
                    bits.union_list(list);
                    self.repr = Repr::Bits(bits);
                }
            }
            _ => {
                let b = other.list_view(&mut other_buf).unwrap_or_default();
                self.union_list(b);
            }
        }
    }

    /// `self ∪= b` for a band or inline `self` and a sorted, unique `b`, if the union is a
    /// band or fits inline; otherwise false, and `self` is unchanged.
    #[inline]
    fn small_union_with(&mut self, b: &[u32]) -> bool {
        match &mut self.repr {
            &mut Repr::Band { base, bits } => {
                let mut a_buf = [0; INLINE];
                let Some(a) = band_indices(base, bits, &mut a_buf) else {
                    return false;
                };
                if small_union_into(&mut self.repr, a, b) {
                    return true;
                }
                self.repr = Repr::Band { base, bits };
                false
            }
            Repr::Inline { len, buf } => {
                let la = *len as usize;
                if let Some(band) = band_of_union(&buf[..la], b) {
                    self.repr = band;
                    return true;
                }
                if let [x] = *b {
                    // One index, the common step of a stencil's sum wider than a band:
                    // found or inserted in place.
                    return insert_one(buf, len, x);
                }
                // In place, from the back: a copy of the list would be read back as
                // wider words before its stores have landed.
                let new = count_new(&buf[..la], b);
                if la + new > INLINE {
                    return false;
                }
                merge_back(&mut buf[..la + new], la, b);
                *len = (la + new) as u32;
                true
            }
            Repr::List(_) | Repr::Bits(_) => false,
        }
    }

    /// `self ∪= b` for a sorted, unique, non-empty `b`, with `self` a non-empty list.
    ///
    /// A heap list grows in place, so an accumulation `s ∪= x[k]` reallocates a
    /// logarithmic number of times instead of building a new list per step.
    fn union_list(&mut self, b: &[u32]) {
        if let Repr::List(v) = &mut self.repr {
            merge_in_place(v, b);
            if list_wants_bits(v) {
                self.repr = Repr::Bits(Box::new(Bits::from_sorted(v)));
            }
            return;
        }
        let a = self.as_list().unwrap_or_default();
        let la = a.len();
        if la + b.len() <= 2 * INLINE {
            // Small result: merge on the stack, no allocation unless it spills.
            let mut buf = [0u32; 2 * INLINE];
            let n = merge_into(a, b, &mut buf);
            if n != la {
                *self = Self::from_sorted_u32(&buf[..n]);
            } // else b ⊆ a: nothing to do
        } else {
            let merged = merge_to_vec(a, b);
            *self = Self::from_sorted_vec(merged);
        }
    }

    /// `a ∪ b` as a new set (inlined like [`assign_union`](Self::assign_union)).
    ///
    /// ```
    /// use asd_runtime::IndexSet;
    /// let a: IndexSet = [1, 3].into_iter().collect();
    /// let b: IndexSet = [2, 3].into_iter().collect();
    /// assert_eq!(IndexSet::union(&a, &b).to_vec(), [1, 2, 3]);
    /// ```
    #[inline]
    pub fn union(a: &IndexSet, b: &IndexSet) -> IndexSet {
        let mut out = IndexSet::new();
        out.assign_union(a, b);
        out
    }

    /// `self = a ∪ b`, what a tracer does for `y[i] = x[j] + x[k]`.
    ///
    /// Two tiny sets merge straight into `self`'s inline buffer: building the union
    /// elsewhere and moving it in costs more than the merge, as the move reads the
    /// merge's stores back before they have landed.
    ///
    /// The union of two nearby bands, a banded tracer's bulk, is inlined into the
    /// caller; everything else is one call away.
    ///
    /// ```
    /// use asd_runtime::IndexSet;
    /// let x: Vec<IndexSet> = (0..3).map(IndexSet::singleton).collect();
    /// let mut y = IndexSet::singleton(9); // overwritten, not joined
    /// y.assign_union(&x[0], &x[2]);
    /// assert_eq!(y.to_vec(), [0, 2]);
    /// ```
    #[inline]
    pub fn assign_union(&mut self, a: &IndexSet, b: &IndexSet) {
        if let (
            &Repr::Band { base, bits },
            &Repr::Band {
                base: ob,
                bits: obits,
            },
        ) = (&a.repr, &b.repr)
        {
            if let Some((base, bits)) = band_union(base, bits, ob, obits) {
                self.repr = Repr::Band { base, bits };
                return;
            }
        }
        self.assign_union_slow(a, b);
    }

    /// [`assign_union`](Self::assign_union) of anything but two nearby bands.
    #[inline(never)]
    fn assign_union_slow(&mut self, a: &IndexSet, b: &IndexSet) {
        let (mut a_buf, mut b_buf) = ([0; INLINE], [0; INLINE]);
        if let (Some(a), Some(b)) = (
            small_list(&a.repr, &mut a_buf),
            small_list(&b.repr, &mut b_buf),
        ) {
            if small_union_into(&mut self.repr, a, b) {
                return;
            }
        }
        // Start from the set the other is cheapest to merge into.
        let a_first = match (&a.repr, &b.repr) {
            (Repr::Bits(_), _) => true,
            (_, Repr::Bits(_)) => false,
            _ => a.len() >= b.len(),
        };
        let (big, small) = if a_first { (a, b) } else { (b, a) };
        self.clone_from(big);
        self.union_with(small);
    }

    /// Number of indices.
    ///
    /// ```
    /// use asd_runtime::IndexSet;
    /// let s: IndexSet = [4, 1, 4].into_iter().collect();
    /// assert_eq!(s.len(), 2);
    /// assert!(!s.is_empty() && IndexSet::new().is_empty());
    /// ```
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Band { bits, .. } => bits.count_ones() as usize,
            Repr::Inline { len, .. } => *len as usize,
            Repr::List(v) => v.len(),
            Repr::Bits(b) => b.len,
        }
    }

    /// Whether the set has no index.
    ///
    /// See [`len`](Self::len) for an example.
    pub fn is_empty(&self) -> bool {
        match self.repr {
            Repr::Band { .. } => false,
            _ => self.len() == 0,
        }
    }

    /// Whether `i` is in the set: a binary search, or one bit test.
    ///
    /// ```
    /// use asd_runtime::IndexSet;
    /// let s: IndexSet = [1, 4].into_iter().collect();
    /// assert!(s.contains(4) && !s.contains(2));
    /// ```
    pub fn contains(&self, i: usize) -> bool {
        match (&self.repr, u32::try_from(i)) {
            (_, Err(_)) => false,
            (&Repr::Band { base, bits }, Ok(x)) => {
                x >= base && x - base < 64 && bits >> (x - base) & 1 == 1
            }
            (Repr::Bits(b), _) => b.contains(i),
            (_, Ok(x)) => self.as_list().unwrap_or_default().binary_search(&x).is_ok(),
        }
    }

    /// The smallest index.
    ///
    /// ```
    /// use asd_runtime::IndexSet;
    /// let s: IndexSet = [7, 2, 5].into_iter().collect();
    /// assert_eq!((s.min(), s.max()), (Some(2), Some(7)));
    /// assert_eq!(IndexSet::new().min(), None);
    /// ```
    pub fn min(&self) -> Option<usize> {
        match &self.repr {
            &Repr::Band { base, bits } => Some(base as usize + bits.trailing_zeros() as usize),
            Repr::Bits(b) => b.min_max().map(|r| r.0),
            _ => self
                .as_list()
                .unwrap_or_default()
                .first()
                .map(|&x| x as usize),
        }
    }

    /// The largest index.
    ///
    /// See [`min`](Self::min) for an example.
    pub fn max(&self) -> Option<usize> {
        match &self.repr {
            &Repr::Band { base, bits } => Some(band_max(base, bits) as usize),
            Repr::Bits(b) => b.min_max().map(|r| r.1),
            _ => self
                .as_list()
                .unwrap_or_default()
                .last()
                .map(|&x| x as usize),
        }
    }

    /// Removes every index, keeping no allocation.
    ///
    /// ```
    /// use asd_runtime::IndexSet;
    /// let mut s: IndexSet = (0..100).collect();
    /// s.clear();
    /// assert!(s.is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.repr = EMPTY;
    }

    /// Appends the indices in ascending order to `out`, matching the representation
    /// once instead of once per index as [`iter`](Self::iter) does.
    #[inline]
    pub(crate) fn extend_into(&self, out: &mut Vec<usize>) {
        match &self.repr {
            &Repr::Band { base, mut bits } => {
                // Room for the whole band first: each push's capacity check then
                // always passes, and no popcount is needed (a long bit trick without
                // the `popcnt` of newer CPUs).
                out.reserve(EXTEND_ROOM);
                while bits != 0 {
                    out.push(base as usize + bits.trailing_zeros() as usize);
                    bits &= bits - 1;
                }
            }
            Repr::Bits(b) => out.extend(WordOnes::new(b.words(), b.offset)),
            _ => out.extend(
                self.as_list()
                    .unwrap_or_default()
                    .iter()
                    .map(|&x| x as usize),
            ),
        }
    }

    /// The indices in ascending order, as a vector.
    ///
    /// ```
    /// use asd_runtime::IndexSet;
    /// let s: IndexSet = [9, 0, 4].into_iter().collect();
    /// assert_eq!(s.to_vec(), [0, 4, 9]);
    /// ```
    pub fn to_vec(&self) -> Vec<usize> {
        self.iter().collect()
    }
}
