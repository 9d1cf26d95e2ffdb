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
//! [`PairSet`] holds the second-order interactions of a Hessian tracer.

use std::fmt;
use std::hash::{Hash, Hasher};

use bitvec::prelude::{BitVec, Lsb0};

use crate::pattern::prefix_sum;
use crate::SparsityPattern;

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

/// A bit set over a word-aligned window `[offset, offset + 64 * words)`.
#[derive(Clone)]
struct Bits {
    /// Index of bit 0, a multiple of 64 so that two sets' words line up for `|`.
    offset: usize,
    /// Always a whole number of words: `bits.len() == 64 * bits.as_raw_slice().len()`.
    bits: BitVec<u64, Lsb0>,
    /// Number of ones, cached so that `len()` is O(1).
    len: usize,
}

const EMPTY: Repr = Repr::Inline {
    len: 0,
    buf: [0; INLINE],
};

#[inline]
#[track_caller]
fn to_u32(i: usize) -> u32 {
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
    pub fn new() -> Self {
        IndexSet { repr: EMPTY }
    }

    /// `{i}`; does not allocate.
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
    pub fn is_dense(&self) -> bool {
        matches!(self.repr, Repr::Bits(_))
    }

    /// Adds `i` to the set.
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
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Band { bits, .. } => bits.count_ones() as usize,
            Repr::Inline { len, .. } => *len as usize,
            Repr::List(v) => v.len(),
            Repr::Bits(b) => b.len,
        }
    }

    /// Whether the set has no index.
    pub fn is_empty(&self) -> bool {
        match self.repr {
            Repr::Band { .. } => false,
            _ => self.len() == 0,
        }
    }

    /// Whether `i` is in the set: a binary search, or one bit test.
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
    pub fn clear(&mut self) {
        self.repr = EMPTY;
    }

    /// The indices in ascending order (an exact-size iterator).
    pub fn iter(&self) -> IndexSetIter<'_> {
        let inner = match &self.repr {
            Repr::Band { base, bits } => {
                IterInner::Bits(WordOnes::new(std::slice::from_ref(bits), *base as usize))
            }
            Repr::Bits(b) => IterInner::Bits(WordOnes::new(b.words(), b.offset)),
            _ => IterInner::List(self.as_list().unwrap_or_default().iter()),
        };
        IndexSetIter {
            inner,
            remaining: self.len(),
        }
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
    pub fn to_vec(&self) -> Vec<usize> {
        self.iter().collect()
    }
}

/// The largest index of a band.
#[inline]
fn band_max(base: u32, bits: u64) -> u32 {
    base + (63 - bits.leading_zeros())
}

/// A sorted, unique list in the representation it would have if it were not a band:
/// inline, a bit set or a heap list.
fn unbanded(v: &[u32]) -> Repr {
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
fn band_union(a: u32, a_bits: u64, b: u32, b_bits: u64) -> Option<(u32, u64)> {
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
fn small_union_into(dest: &mut Repr, a: &[u32], b: &[u32]) -> bool {
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
fn band_of_union(a: &[u32], b: &[u32]) -> Option<Repr> {
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
fn small_list<'a>(repr: &'a Repr, buf: &'a mut [u32; INLINE]) -> Option<&'a [u32]> {
    match *repr {
        Repr::Inline { len, ref buf } => Some(&buf[..len as usize]),
        Repr::Band { base, bits } => band_indices(base, bits, buf),
        Repr::List(_) | Repr::Bits(_) => None,
    }
}

/// The indices of a band, ascending, written in `buf`, if they fit in it.
#[inline]
fn band_indices(base: u32, mut bits: u64, buf: &mut [u32]) -> Option<&[u32]> {
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
fn band_list(base: u32, bits: u64, buf: &mut [u32; 64]) -> &[u32] {
    band_indices(base, bits, buf).expect("a band holds at most 64 indices")
}

/// Whether a sorted list of this length and range is smaller as a bit set.
fn list_wants_bits(v: &[u32]) -> bool {
    v.len() >= DENSE_MIN_LEN && (v[v.len() - 1] - v[0]) as usize <= DENSE_BITS_PER_INDEX * v.len()
}

/// Merges two sorted, unique slices into `out` (at least `a.len() + b.len()` long),
/// dropping duplicates; returns the length written.
fn merge_into<T: Copy + Ord>(a: &[T], b: &[T], out: &mut [T]) -> usize {
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
fn merge_small(a: &[u32], b: &[u32], out: &mut [u32; INLINE]) -> Option<usize> {
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
fn merge_to_vec<T: Copy + Ord + Default>(a: &[T], b: &[T]) -> Vec<T> {
    let mut v = vec![T::default(); a.len() + b.len()];
    let n = merge_into(a, b, &mut v);
    v.truncate(n);
    v
}

/// `v ∪= b` in place, both sorted and unique. Only the tail of `v` from the first
/// index of `b` on is touched, so appending larger indices costs O(|b|).
fn merge_in_place(v: &mut Vec<u32>, b: &[u32]) {
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
fn insert_one(buf: &mut [u32; INLINE], len: &mut u32, x: u32) -> bool {
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
fn count_new(a: &[u32], b: &[u32]) -> usize {
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
fn merge_back(v: &mut [u32], la: usize, b: &[u32]) {
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

impl Bits {
    fn words(&self) -> &[u64] {
        self.bits.as_raw_slice()
    }

    /// Exclusive end of the window.
    fn end(&self) -> usize {
        self.offset + self.bits.len()
    }

    fn from_sorted(v: &[u32]) -> Bits {
        let (lo, hi) = (v[0] as usize, v[v.len() - 1] as usize);
        let offset = lo / WORD * WORD;
        let nwords = hi / WORD - lo / WORD + 1;
        let mut words = vec![0u64; nwords];
        for &x in v {
            let k = x as usize - offset;
            words[k / WORD] |= 1 << (k % WORD);
        }
        Bits {
            offset,
            bits: BitVec::from_vec(words),
            len: v.len(),
        }
    }

    /// The smallest range of indices covering the window and `[lo, hi]`, as
    /// `(start, end)` with `end` exclusive.
    fn hull(&self, lo: usize, hi: usize) -> (usize, usize) {
        (self.offset.min(lo), self.end().max(hi + 1))
    }

    fn min_max(&self) -> Option<(usize, usize)> {
        let w = self.words();
        let first = w.iter().position(|&x| x != 0)?;
        let last = w.iter().rposition(|&x| x != 0)?;
        Some((
            self.offset + first * WORD + w[first].trailing_zeros() as usize,
            self.offset + last * WORD + (WORD - 1 - w[last].leading_zeros() as usize),
        ))
    }

    /// Grows the window to cover `[lo, hi]`. Growth to the left reserves slack of
    /// half the current window, so repeated inserts below the minimum stay
    /// amortized linear; growth to the right rides on `Vec`'s doubling.
    fn cover(&mut self, lo: usize, hi: usize) {
        let w0 = self.offset / WORD;
        let nw = self.words().len();
        let (lw, hw) = (lo / WORD, hi / WORD + 1);
        if lw < w0 {
            let new_w0 = lw.saturating_sub(nw / 2);
            let shift = w0 - new_w0;
            let mut words = vec![0u64; shift + nw];
            words[shift..].copy_from_slice(self.words());
            self.bits = BitVec::from_vec(words);
            self.offset = new_w0 * WORD;
        }
        let w0 = self.offset / WORD;
        if hw > w0 + self.words().len() {
            let mut words = std::mem::take(&mut self.bits).into_vec();
            words.resize(hw - w0, 0);
            self.bits = BitVec::from_vec(words);
        }
    }

    fn contains(&self, i: usize) -> bool {
        i >= self.offset && i < self.end() && self.bits[i - self.offset]
    }

    fn insert(&mut self, i: usize) {
        self.cover(i, i);
        let k = i - self.offset;
        if !self.bits.replace(k, true) {
            self.len += 1;
        }
    }

    /// Sets the bits of a sorted, non-empty list (the window must be acceptable).
    fn union_list(&mut self, v: &[u32]) {
        self.cover(v[0] as usize, v[v.len() - 1] as usize);
        let offset = self.offset;
        let words = self.bits.as_raw_mut_slice();
        let mut added = 0;
        for &x in v {
            let k = x as usize - offset;
            let (w, bit) = (k / WORD, 1u64 << (k % WORD));
            added += (words[w] & bit == 0) as usize;
            words[w] |= bit;
        }
        self.len += added;
    }

    /// Like `union_list`, but when the list lies so far outside the window that the
    /// bit set would become sparse, returns the merged list instead.
    fn union_list_or_spill(&mut self, v: &[u32]) -> Option<Vec<u32>> {
        let (lo, hi) = self.hull(v[0] as usize, v[v.len() - 1] as usize);
        if hi - lo > SPARSE_BITS_PER_INDEX * (self.len + v.len()) {
            Some(merge_to_vec(&self.to_list(), v))
        } else {
            self.union_list(v);
            None
        }
    }

    /// `self |= other`, where `other`'s ones lie in `[lo, hi]`: O(words of other).
    fn union_bits(&mut self, other: &Bits, lo: usize, hi: usize) {
        self.cover(lo, hi);
        // Word ranges in absolute terms: either window may have empty slack words.
        let (first, last) = (lo / WORD, hi / WORD);
        let (so, oo) = (self.offset / WORD, other.offset / WORD);
        let dst = &mut self.bits.as_raw_mut_slice()[first - so..=last - so];
        let src = &other.words()[first - oo..=last - oo];
        let mut added = 0usize;
        for (d, &s) in dst.iter_mut().zip(src) {
            added += (s & !*d).count_ones() as usize;
            *d |= s;
        }
        self.len += added;
    }

    fn to_list(&self) -> Vec<u32> {
        let mut v = Vec::with_capacity(self.len);
        v.extend(WordOnes::new(self.words(), self.offset).map(|i| i as u32));
        v
    }
}

/// Ascending indices of the ones in a run of words.
struct WordOnes<'a> {
    words: std::slice::Iter<'a, u64>,
    current: u64,
    /// Index of bit 0 of `current`.
    base: usize,
}

impl<'a> WordOnes<'a> {
    fn new(words: &'a [u64], offset: usize) -> Self {
        WordOnes {
            words: words.iter(),
            current: 0,
            base: offset.wrapping_sub(WORD),
        }
    }
}

impl Iterator for WordOnes<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.current == 0 {
            self.current = *self.words.next()?;
            self.base = self.base.wrapping_add(WORD);
        }
        let t = self.current.trailing_zeros() as usize;
        self.current &= self.current - 1;
        Some(self.base + t)
    }
}

/// Iterator over an [`IndexSet`] in ascending order.
pub struct IndexSetIter<'a> {
    inner: IterInner<'a>,
    remaining: usize,
}

enum IterInner<'a> {
    List(std::slice::Iter<'a, u32>),
    Bits(WordOnes<'a>),
}

impl Iterator for IndexSetIter<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        let item = match &mut self.inner {
            IterInner::List(it) => it.next().map(|&x| x as usize),
            IterInner::Bits(it) => it.next(),
        };
        self.remaining -= item.is_some() as usize;
        item
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }

    /// O(1) on a list, so that `skip(k)` (a triangle of pairs) costs no walk.
    fn nth(&mut self, n: usize) -> Option<usize> {
        match &mut self.inner {
            IterInner::List(it) => {
                let item = it.nth(n).map(|&x| x as usize);
                self.remaining = it.len();
                item
            }
            IterInner::Bits(_) => {
                for _ in 0..n {
                    self.next()?;
                }
                self.next()
            }
        }
    }
}

impl ExactSizeIterator for IndexSetIter<'_> {}

impl<'a> IntoIterator for &'a IndexSet {
    type Item = usize;
    type IntoIter = IndexSetIter<'a>;
    fn into_iter(self) -> IndexSetIter<'a> {
        self.iter()
    }
}

impl FromIterator<usize> for IndexSet {
    #[track_caller]
    fn from_iter<T: IntoIterator<Item = usize>>(iter: T) -> Self {
        let mut v: Vec<u32> = iter.into_iter().map(to_u32).collect();
        if !v.is_sorted_by(|a, b| a < b) {
            v.sort_unstable();
            v.dedup();
        }
        Self::from_sorted_vec(v)
    }
}

impl Extend<usize> for IndexSet {
    #[track_caller]
    fn extend<T: IntoIterator<Item = usize>>(&mut self, iter: T) {
        let other: IndexSet = iter.into_iter().collect();
        self.union_with(&other);
    }
}

impl PartialEq for IndexSet {
    fn eq(&self, other: &Self) -> bool {
        match (self.as_list(), other.as_list()) {
            (Some(a), Some(b)) => a == b,
            _ => self.len() == other.len() && self.iter().eq(other.iter()),
        }
    }
}

impl Eq for IndexSet {}

impl Hash for IndexSet {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        for i in self {
            state.write_usize(i);
        }
    }
}

impl fmt::Debug for IndexSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// A set of unordered index pairs `{i, j}`: the second-order interactions of a
/// Hessian tracer.
///
/// Pairs are stored normalized as `(min, max)` in a vector whose prefix is sorted and
/// deduplicated and whose tail is appended to: the tail is sorted and merged in
/// lazily, whenever the vector has doubled since the last time, so that accumulating
/// many small sets into one (`s.union_with(&term)` in a loop) costs amortized
/// O(log) per inserted pair instead of a merge of the whole set each time (and a
/// merge that is a mere append when the new pairs come after the old, as they do in
/// a loop over the inputs).
/// Consequently [`iter`](Self::iter) and [`len_upper_bound`](Self::len_upper_bound)
/// may count a pair more than once; [`compact`](Self::compact) or
/// [`to_sorted_dedup`](Self::to_sorted_dedup) give the exact set.
#[derive(Clone, Default)]
pub struct PairSet {
    /// `(i << 32) | j` with `i <= j`: sorting the keys sorts the pairs.
    keys: Vec<u64>,
    /// `keys[..sorted]` is sorted and has no duplicates.
    sorted: usize,
    /// Compact when `keys` grows beyond this.
    compact_at: usize,
}

/// Smallest threshold for lazy deduplication: tiny sets are not worth sorting.
const PAIR_COMPACT_MIN: usize = 64;

#[track_caller]
fn pair_key(i: usize, j: usize) -> u64 {
    let (a, b) = if i <= j { (i, j) } else { (j, i) };
    ((to_u32(a) as u64) << 32) | to_u32(b) as u64
}

fn key_pair(k: u64) -> (usize, usize) {
    ((k >> 32) as usize, (k & 0xffff_ffff) as usize)
}

impl PairSet {
    /// The empty set; does not allocate.
    pub fn new() -> Self {
        PairSet {
            keys: Vec::new(),
            sorted: 0,
            compact_at: PAIR_COMPACT_MIN,
        }
    }

    /// Adds the unordered pair `{i, j}`.
    #[track_caller]
    pub fn insert(&mut self, i: usize, j: usize) {
        self.keys.push(pair_key(i, j));
        self.maybe_compact();
    }

    /// `self ∪= other`, amortized O(|other| log) (see the type's documentation).
    pub fn union_with(&mut self, other: &PairSet) {
        if self.keys.is_empty() {
            self.keys.extend_from_slice(&other.keys);
            self.sorted = other.sorted;
            self.compact_at = other.compact_at.max(PAIR_COMPACT_MIN);
        } else {
            self.keys.extend_from_slice(&other.keys);
        }
        self.maybe_compact();
    }

    /// Adds every pair `{i, j}` with `i` in `a` and `j` in `b` (the cross terms of a
    /// product `a * b`). When `a` and `b` are the same set, each pair is added once
    /// (see [`insert_square`](Self::insert_square)).
    pub fn insert_product(&mut self, a: &IndexSet, b: &IndexSet) {
        if std::ptr::eq(a, b) || a == b {
            return self.insert_square(a);
        }
        self.keys.reserve(a.len() * b.len());
        for i in a {
            self.keys.extend(b.iter().map(|j| pair_key(i, j)));
        }
        self.maybe_compact();
    }

    /// Adds every unordered pair `{i, j}` with `i` and `j` in `a`, each once: the
    /// interactions of a function nonlinear in one real (`sin(x)`, `x * x`).
    pub fn insert_square(&mut self, a: &IndexSet) {
        // The common small cases without a nested iteration: `x[i].sin()`,
        // `(x[i] - x[j])^2`.
        match (a.len(), a.min(), a.max()) {
            (0, ..) => return,
            (1, Some(i), _) => self.keys.push(pair_key(i, i)),
            (2, Some(i), Some(j)) => {
                self.keys
                    .extend([pair_key(i, i), pair_key(i, j), pair_key(j, j)]);
            }
            (n, ..) => {
                self.keys.reserve(n * (n + 1) / 2);
                for (k, i) in a.iter().enumerate() {
                    self.keys.extend(a.iter().skip(k).map(|j| pair_key(i, j)));
                }
            }
        }
        self.maybe_compact();
    }

    /// The number of stored pairs, duplicates included: exact after
    /// [`compact`](Self::compact).
    pub fn len_upper_bound(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set has no pair.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The pairs as `(i, j)` with `i <= j`, in no particular order, possibly with
    /// duplicates (none right after [`compact`](Self::compact)).
    pub fn iter(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.keys.iter().map(|&k| key_pair(k))
    }

    /// Sorts and deduplicates the stored pairs, in place: sorts the tail appended
    /// since the last time and merges it into the sorted prefix.
    pub fn compact(&mut self) {
        let sorted = self.sorted.min(self.keys.len());
        if sorted < self.keys.len() {
            let tail = &mut self.keys[sorted..];
            tail.sort_unstable();
            // Deduplicate the tail in place.
            let mut w = sorted;
            for r in sorted..self.keys.len() {
                let k = self.keys[r];
                if w == sorted || self.keys[w - 1] != k {
                    self.keys[w] = k;
                    w += 1;
                }
            }
            self.keys.truncate(w);
            let tail_first = self.keys.get(sorted).copied();
            match (sorted.checked_sub(1).map(|l| self.keys[l]), tail_first) {
                // The new pairs all come after the old ones: already in order.
                (Some(last), Some(first)) if last < first => {}
                (None, _) | (_, None) => {}
                _ => {
                    let merged = merge_to_vec(&self.keys[..sorted], &self.keys[sorted..]);
                    self.keys = merged;
                }
            }
        }
        self.sorted = self.keys.len();
        self.compact_at = (2 * self.keys.len()).max(PAIR_COMPACT_MIN);
    }

    fn maybe_compact(&mut self) {
        if self.keys.len() > self.compact_at {
            self.compact();
        }
    }

    /// The distinct pairs `(i, j)`, `i <= j`, in lexicographic order.
    pub fn to_sorted_dedup(&self) -> Vec<(usize, usize)> {
        let mut c = self.clone();
        c.compact();
        c.keys.into_iter().map(key_pair).collect()
    }

    /// The `n x n` symmetric pattern with both `(i, j)` and `(j, i)` for every pair
    /// (a pair `(i, i)` gives the diagonal entry), in O(pairs + n).
    ///
    /// # Panics
    /// If an index is not below `n`.
    #[track_caller]
    pub fn to_symmetric_pattern(&self, n: usize) -> SparsityPattern {
        if self.sorted >= self.keys.len() {
            symmetric_from_sorted(&self.keys, n)
        } else {
            let mut c = self.clone();
            c.compact();
            symmetric_from_sorted(&c.keys, n)
        }
    }

    /// [`to_symmetric_pattern`](Self::to_symmetric_pattern), compacting in place
    /// instead of a copy.
    #[track_caller]
    pub fn into_symmetric_pattern(mut self, n: usize) -> SparsityPattern {
        self.compact();
        symmetric_from_sorted(&self.keys, n)
    }
}

/// The symmetric pattern of sorted, unique pair keys, in compressed rows directly:
/// row `r` receives first the `k < r` of the pairs `(k, r)`, then the `j >= r` of the
/// pairs `(r, j)`, both in order, so each row comes out sorted. O(pairs + n).
#[track_caller]
fn symmetric_from_sorted(keys: &[u64], n: usize) -> SparsityPattern {
    // The larger index of each pair sits in the low half of its key.
    if let Some(max) = keys.iter().map(|&k| k & 0xffff_ffff).max() {
        assert!(
            (max as usize) < n,
            "asd: index {max} out of range for a symmetric pattern of size {n}"
        );
    }
    let mut row_ptr = vec![0usize; n + 1];
    for &k in keys {
        let (i, j) = key_pair(k);
        row_ptr[i] += 1;
        if i != j {
            row_ptr[j] += 1;
        }
    }
    prefix_sum(&mut row_ptr);
    let mut next = row_ptr[..n].to_vec();
    let mut col_idx = vec![0usize; row_ptr[n]];
    for &k in keys {
        let (i, j) = key_pair(k);
        col_idx[next[j]] = i;
        next[j] += 1;
        if i != j {
            col_idx[next[i]] = j;
            next[i] += 1;
        }
    }
    SparsityPattern::from_csr(n, n, row_ptr, col_idx)
}

impl PartialEq for PairSet {
    fn eq(&self, other: &Self) -> bool {
        self.to_sorted_dedup() == other.to_sorted_dedup()
    }
}

impl Eq for PairSet {}

impl fmt::Debug for PairSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.to_sorted_dedup()).finish()
    }
}

impl FromIterator<(usize, usize)> for PairSet {
    #[track_caller]
    fn from_iter<T: IntoIterator<Item = (usize, usize)>>(iter: T) -> Self {
        let mut s = PairSet::new();
        s.extend(iter);
        s
    }
}

impl Extend<(usize, usize)> for PairSet {
    #[track_caller]
    fn extend<T: IntoIterator<Item = (usize, usize)>>(&mut self, iter: T) {
        for (i, j) in iter {
            self.insert(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn set(v: impl IntoIterator<Item = usize>) -> IndexSet {
        v.into_iter().collect()
    }

    /// A set built index by index, so it stays a list as long as possible... unless
    /// the indices make it dense.
    fn inserted(v: impl IntoIterator<Item = usize>) -> IndexSet {
        let mut s = IndexSet::new();
        for i in v {
            s.insert(i);
        }
        s
    }

    fn is_list(s: &IndexSet) -> bool {
        !s.is_dense()
    }

    #[test]
    fn basics() {
        let e = IndexSet::new();
        assert_eq!(e.len(), 0);
        assert!(e.is_empty() && e.iter().next().is_none());
        assert_eq!(e.min(), None);
        let s = IndexSet::singleton(7);
        assert_eq!(s.len(), 1);
        assert!(s.contains(7) && !s.contains(6));
        let s = set([5, 1, 9, 1, 3]);
        assert_eq!(s.to_vec(), [1, 3, 5, 9]);
        assert_eq!((s.min(), s.max()), (Some(1), Some(9)));
        assert_eq!(format!("{s:?}"), "{1, 3, 5, 9}");
        assert_eq!(s.iter().len(), 4);
        assert_eq!(IndexSet::default(), IndexSet::new());
    }

    #[test]
    fn insert_keeps_order_across_inline_limit() {
        let mut s = IndexSet::new();
        for i in [30, 10, 20, 0, 50, 40, 35, 5, 15, 25, 45, 1, 2] {
            s.insert(i);
            s.insert(i); // duplicates are ignored
        }
        assert_eq!(s.to_vec(), [0, 1, 2, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
    }

    #[test]
    fn union_small_and_list() {
        let mut a = set([1, 4, 9]);
        a.union_with(&set([2, 4, 10]));
        assert_eq!(a.to_vec(), [1, 2, 4, 9, 10]);
        // Spill from inline to list.
        let mut a = set(0..8);
        a.union_with(&set(4..14));
        assert_eq!(a.to_vec(), (0..14).collect::<Vec<_>>());
        // List with list, overlapping, in both directions.
        let mut a = set((0..60).map(|i| 3 * i));
        a.union_with(&set((0..40).map(|i| 5 * i)));
        let want: BTreeSet<usize> = (0..60)
            .map(|i| 3 * i)
            .chain((0..40).map(|i| 5 * i))
            .collect();
        assert_eq!(a.to_vec(), want.iter().copied().collect::<Vec<_>>());
        // Subset: nothing changes.
        let before = a.clone();
        a.union_with(&set([0, 3, 5]));
        assert_eq!(a, before);
        assert_eq!(IndexSet::union(&set([1]), &set([0, 2])).to_vec(), [0, 1, 2]);
    }

    #[test]
    fn union_in_bit_representation_and_across_the_switch() {
        let mut a = set(0..100);
        assert!(a.is_dense());
        let b = set((50..300).step_by(2));
        assert!(b.is_dense());
        a.union_with(&b);
        assert!(a.is_dense());
        let want: Vec<usize> = (0..100).chain((100..300).step_by(2)).collect();
        assert_eq!(a.to_vec(), want);
        assert_eq!(a.len(), want.len());
        // Growing a bit set to the left.
        let mut l = set((1000..1300).step_by(2));
        l.union_with(&set([5, 7]));
        assert!(l.is_dense());
        assert_eq!(l.iter().take(3).collect::<Vec<_>>(), [5, 7, 1000]);
        let mut c = set(10_000..10_100);
        c.union_with(&set(9_000..9_064));
        assert!(c.is_dense());
        assert_eq!(
            c.to_vec(),
            (9_000..9_064).chain(10_000..10_100).collect::<Vec<_>>()
        );
        // A list grows into a bit set.
        let mut d = set((0..50).map(|i| 2 * i));
        assert!(is_list(&d));
        d.union_with(&set((0..50).map(|i| 2 * i + 1)));
        assert!(d.is_dense());
        assert_eq!(d.to_vec(), (0..100).collect::<Vec<_>>());
        // A far index turns a bit set back into a list instead of a huge window.
        let mut f = set(0..100);
        f.union_with(&IndexSet::singleton(1 << 30));
        assert!(is_list(&f));
        assert_eq!(f.len(), 101);
        f.insert(1 << 31);
        assert!(is_list(&f) && f.contains(1 << 31) && f.max() == Some(1 << 31));
        // Small list into a bit set, and bit set into a small list.
        let mut g = set([3, 500]);
        g.union_with(&set(100..400));
        assert!(g.is_dense());
        assert_eq!(g.len(), 302);
        assert_eq!(g.min(), Some(3));
        assert_eq!(g.max(), Some(500));
    }

    #[test]
    fn bit_sets_with_slack_words() {
        // Growing leftwards leaves empty words before the minimum.
        let mut a = set(6400..6500);
        a.insert(6300);
        a.insert(640);
        assert!(a.is_dense());
        let mut b = set(3000..3100);
        b.union_with(&a);
        let want: Vec<usize> = [640]
            .into_iter()
            .chain(3000..3100)
            .chain([6300])
            .chain(6400..6500)
            .collect();
        assert_eq!(b.to_vec(), want);
        let mut c = a.clone();
        c.union_with(&set(7000..7100));
        c.union_with(&b);
        assert_eq!(c.len(), want.len() + 100);
        assert_eq!(c.min(), Some(640));
    }

    #[test]
    fn equality_across_representations() {
        let dense = set(0..200);
        let list = IndexSet {
            repr: Repr::List((0..200).collect()),
        };
        assert!(dense.is_dense() && is_list(&list));
        assert_eq!(dense, list);
        assert_eq!(list, dense);
        let hash = |s: &IndexSet| {
            use std::collections::hash_map::DefaultHasher;
            let mut h = DefaultHasher::new();
            s.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&dense), hash(&list));
        assert_ne!(dense, set(0..199));
        assert_eq!(inserted(0..200), dense);
    }

    #[test]
    fn extend_and_collect() {
        let mut s = set([1, 2]);
        s.extend([9, 0, 2]);
        assert_eq!(s.to_vec(), [0, 1, 2, 9]);
        let v: Vec<usize> = (&s).into_iter().collect();
        assert_eq!(v, [0, 1, 2, 9]);
    }

    #[test]
    fn tiny_unions_stay_inline_up_to_the_capacity() {
        // Spread out, so that they are not bands.
        let spread = |r: std::ops::Range<usize>| set(r.map(|i| 100 * i));
        let a = spread(0..INLINE - 3);
        let b = spread(3..INLINE);
        let mut u = IndexSet::union(&a, &b);
        assert!(matches!(u.repr, Repr::Inline { .. }));
        assert_eq!(u, spread(0..INLINE));
        u.union_with(&set([100 * INLINE + 5]));
        assert!(matches!(u.repr, Repr::List(_)));
        assert_eq!(u.len(), INLINE + 1);
        // One past the capacity spills, from both entry points.
        let c = spread(INLINE - 3..INLINE + 1);
        let want = spread(0..INLINE + 1);
        assert_eq!(IndexSet::union(&a, &c), want);
        let mut d = a.clone();
        d.union_with(&c);
        assert_eq!(d, want);
        // A list or bit set is replaced by a tiny union.
        for mut t in [set((0..20).map(|i| 100 * i)), set(0..1000)] {
            t.assign_union(&set([1, 900]), &set([4]));
            assert!(matches!(t.repr, Repr::Inline { .. }));
            assert_eq!(t.to_vec(), [1, 4, 900]);
            t.assign_union(&set([1, 9]), &set([4]));
            assert!(matches!(t.repr, Repr::Band { .. }));
            assert_eq!(t.to_vec(), [1, 4, 9]);
        }
    }

    /// A 2-D five-point stencil on a grid wider than a band: the unions stay inline,
    /// merged in place, until they outgrow it; a band too long to list inline still
    /// unites with a distant index.
    #[test]
    fn stencil_unions_stay_inline() {
        let (c, n) = (1000, 32);
        let mut s = IndexSet::union(&IndexSet::singleton(c - 1), &IndexSet::singleton(c + 1));
        for i in [c + n, c - n, c, c + n * n] {
            s.union_with(&IndexSet::singleton(i));
        }
        assert!(matches!(s.repr, Repr::Inline { .. }));
        assert_eq!(s.to_vec(), [c - n, c - 1, c, c + 1, c + n, c + n * n]);
        s.union_with(&IndexSet::singleton(c + 1));
        assert_eq!(s.len(), INLINE);
        s.union_with(&IndexSet::singleton(c + n * n + 1));
        assert!(matches!(s.repr, Repr::List(_)));
        let mut band = set(c..c + 10);
        band.union_with(&IndexSet::singleton(c + 100));
        assert_eq!(
            band.to_vec(),
            (c..c + 10).chain([c + 100]).collect::<Vec<_>>()
        );
    }

    #[test]
    fn bands_grow_within_64_indices_and_then_become_lists() {
        let is_band = |s: &IndexSet| matches!(s.repr, Repr::Band { .. });
        let mut s = IndexSet::singleton(100);
        assert!(is_band(&s));
        s.union_with(&set(120..140));
        s.insert(90); // grows to the left
        s.union_with(&IndexSet::singleton(153)); // the last index that fits
        assert!(is_band(&s));
        assert_eq!(s.len(), 23);
        assert_eq!((s.min(), s.max()), (Some(90), Some(153)));
        assert!(s.contains(125) && !s.contains(101) && !s.contains(89) && !s.contains(154));
        let before = s.to_vec();
        s.insert(154); // one too far: a list
        assert!(!is_band(&s) && !s.is_dense());
        assert_eq!(s.len(), 24);
        assert_eq!(s.to_vec()[..23], before[..]);
        // 64 consecutive indices are a band, 65 a bit set; both mix with lists.
        let full = set(1000..1064);
        assert!(is_band(&full) && full.len() == 64);
        let mut l = set([5, 2000]);
        l.union_with(&full);
        assert_eq!(l.len(), 66);
        let mut f = full.clone();
        f.union_with(&set([5, 2000]));
        assert_eq!(f, l);
        // At the top of the index range.
        let top = (u32::MAX - 3) as usize;
        let mut t = IndexSet::singleton(top + 3);
        t.insert(top);
        assert!(is_band(&t));
        assert_eq!(t.to_vec(), [top, top + 3]);
        assert_eq!(t.max(), Some(top + 3));
        assert!(t.contains(top + 3) && !t.contains(top + 4));
        let mut w = IndexSet::singleton(0);
        w.union_with(&t);
        assert_eq!(w.to_vec(), [0, top, top + 3]);
    }

    #[test]
    fn merge_small_refuses_what_does_not_fit() {
        let mut out = [0; INLINE];
        let a: Vec<u32> = (0..INLINE as u32).collect();
        assert_eq!(merge_small(&a, &[3], &mut out), Some(INLINE));
        assert_eq!(out.to_vec(), a);
        assert_eq!(merge_small(&a, &[INLINE as u32], &mut out), None);
        assert_eq!(merge_small(&[INLINE as u32], &a, &mut out), None);
        assert_eq!(merge_small(&[], &[], &mut out), Some(0));
        // Within one 64-wide window and across it, with overlaps.
        for (a, b) in [
            (vec![5, 9, 68], vec![9, 10]),
            (vec![5, 9, 68], vec![4, 9, 69]),
            (vec![1 << 31, (1 << 31) + 63], vec![(1 << 31) + 1]),
            (vec![u32::MAX - 1, u32::MAX], vec![u32::MAX - 63]),
            (vec![0, 64], vec![1]),
        ] {
            let want: BTreeSet<u32> = a.iter().chain(&b).copied().collect();
            let n = merge_small(&a, &b, &mut out).unwrap();
            assert_eq!(out[..n].to_vec(), want.into_iter().collect::<Vec<_>>());
        }
    }

    #[test]
    #[should_panic(expected = "asd: index 4294967296 is too large for an IndexSet")]
    fn huge_index_panics() {
        IndexSet::singleton(1 << 32);
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn stays_small() {
        assert_eq!(std::mem::size_of::<IndexSet>(), 32);
    }

    /// The tracer of `y[i] = x[i-1] + x[i] + x[i+1]`, iterated: linear in n.
    #[test]
    fn banded_tracer_is_linear() {
        let n = 100_000;
        let x: Vec<IndexSet> = (0..n).map(IndexSet::singleton).collect();
        let mut y = x.clone();
        for _ in 0..3 {
            let z: Vec<IndexSet> = (0..n)
                .map(|i| {
                    let mut s = y[i].clone();
                    if i > 0 {
                        s.union_with(&y[i - 1]);
                    }
                    if i + 1 < n {
                        s.union_with(&y[i + 1]);
                    }
                    s
                })
                .collect();
            y = z;
        }
        assert_eq!(y[1000].to_vec(), (997..=1003).collect::<Vec<_>>());
        assert_eq!(y[0].to_vec(), [0, 1, 2, 3]);
        // A sum of everything: one big dense set, accumulated in O(n).
        let mut total = IndexSet::new();
        for s in &x {
            total.union_with(s);
        }
        assert!(total.is_dense());
        assert_eq!(total.len(), n);
        // The same accumulated backwards: left growth stays amortized.
        let mut total = IndexSet::new();
        for s in x.iter().rev() {
            total.union_with(s);
        }
        assert_eq!(total.len(), n);
        assert_eq!(total.iter().take(3).collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn pair_set_basics() {
        let mut p = PairSet::new();
        p.insert(3, 1);
        p.insert(1, 3);
        p.insert(2, 2);
        assert_eq!(p.to_sorted_dedup(), [(1, 3), (2, 2)]);
        assert!(p.len_upper_bound() >= 2);
        assert!(p.iter().all(|(i, j)| i <= j));
        let a = IndexSet::from_iter([0, 1]);
        let b = IndexSet::from_iter([1, 5]);
        let mut q = PairSet::new();
        q.insert_product(&a, &b);
        assert_eq!(q.to_sorted_dedup(), [(0, 1), (0, 5), (1, 1), (1, 5)]);
        let mut sq = PairSet::new();
        sq.insert_product(&a, &a);
        assert_eq!(sq.len_upper_bound(), 3);
        assert_eq!(sq.to_sorted_dedup(), [(0, 0), (0, 1), (1, 1)]);
        q.union_with(&p);
        q.compact();
        assert_eq!(q.len_upper_bound(), 6);
        assert_eq!(format!("{p:?}"), "{(1, 3), (2, 2)}");
        assert_eq!(p, [(2, 2), (3, 1)].into_iter().collect());
    }

    #[test]
    fn pair_set_symmetric_pattern() {
        let p: PairSet = [(0, 2), (2, 0), (1, 1), (3, 2)].into_iter().collect();
        let s = p.to_symmetric_pattern(4);
        assert_eq!(s.nnz(), 5);
        assert!(s.is_symmetric());
        assert!(s.contains(0, 2) && s.contains(2, 0) && s.contains(1, 1));
        assert!(s.contains(2, 3) && s.contains(3, 2) && !s.contains(0, 0));
    }

    #[test]
    fn pair_set_accumulation_is_not_quadratic() {
        // 200k small unions into one set, with heavy duplication.
        let mut acc = PairSet::new();
        for i in 0..100_000usize {
            let mut term = PairSet::new();
            term.insert(i % 1000, i % 1000 + 1);
            term.insert(i % 1000, i % 1000);
            acc.union_with(&term);
        }
        assert!(acc.len_upper_bound() <= 4 * 2000 + 64);
        assert_eq!(acc.to_sorted_dedup().len(), 2000);
    }

    #[test]
    #[should_panic(expected = "asd: index 5 out of range")]
    fn pair_set_pattern_checks_size() {
        let p: PairSet = [(0, 5)].into_iter().collect();
        let _ = p.to_symmetric_pattern(5);
    }

    fn arb_set() -> impl Strategy<Value = Vec<usize>> {
        prop_oneof![
            prop::collection::vec(0usize..40, 0..12),
            // A few indices further apart than a band: inline lists, merged in place.
            prop::collection::vec(0usize..150, 0..8),
            prop::collection::vec(0usize..3000, 0..200),
            prop::collection::vec(0usize..300, 0..300),
            (0usize..5000, 0usize..400).prop_map(|(s, l)| (s..s + l).collect()),
            (0usize..100_000, prop::collection::vec(0usize..64, 0..100))
                .prop_map(|(s, v)| v.into_iter().map(|d| s + d).collect()),
        ]
    }

    /// An accumulation into a heap list merges in place: a handful of reallocations for
    /// 200 unions, not one new list per union.
    #[test]
    fn accumulating_into_a_list_grows_it_in_place() {
        let mut s = set((0..12).map(|i| 1000 * i));
        let mut want: BTreeSet<usize> = s.iter().collect();
        let mut moves = 0;
        for k in 0..200 {
            let before = match &s.repr {
                Repr::List(v) => v.as_ptr(),
                _ => panic!("a sparse set of {} indices is a list", s.len()),
            };
            let x = IndexSet::singleton(7 * k * k + 3);
            want.insert(7 * k * k + 3);
            s.union_with(&x);
            if !matches!(&s.repr, Repr::List(v) if v.as_ptr() == before) {
                moves += 1;
            }
        }
        assert_eq!(s.to_vec(), want.into_iter().collect::<Vec<_>>());
        assert!(moves <= 10, "{moves} reallocations");
    }

    /// The inlined band path of `assign_union` replaces any target (here a heap list) and
    /// `extend_into` appends a band's indices in order.
    #[test]
    fn band_union_over_a_list_and_band_extend() {
        let (a, b) = (set([100, 103]), set([90, 150]));
        for old in [set((0..30).map(|i| 10 * i)), set(0..200)] {
            assert!(!matches!(old.repr, Repr::Band { .. }));
            let mut t = old;
            t.assign_union(&a, &b);
            assert!(matches!(t.repr, Repr::Band { base: 90, .. }));
            assert_eq!(t.to_vec(), [90, 100, 103, 150]);
        }
        let t = IndexSet::union(&a, &b);
        let mut out = vec![1];
        t.extend_into(&mut out);
        assert_eq!(out, [1, 90, 100, 103, 150]);
    }

    proptest! {
        #[test]
        fn matches_btreeset(a in arb_set(), b in arb_set(), extra in prop::collection::vec(0usize..6000, 0..20)) {
            let ra: BTreeSet<usize> = a.iter().copied().collect();
            let rb: BTreeSet<usize> = b.iter().copied().collect();
            for (sa, sb) in [(set(a.clone()), set(b.clone())), (inserted(a.clone()), inserted(b.clone()))] {
                prop_assert_eq!(sa.to_vec(), ra.iter().copied().collect::<Vec<_>>());
                prop_assert_eq!(sa.len(), ra.len());
                let mut u = sa.clone();
                u.union_with(&sb);
                let ru: BTreeSet<usize> = ra.union(&rb).copied().collect();
                prop_assert_eq!(u.to_vec(), ru.iter().copied().collect::<Vec<_>>());
                let mut out = vec![7];
                u.extend_into(&mut out);
                prop_assert_eq!(&out[1..], &u.to_vec()[..]);
                prop_assert_eq!(u.len(), ru.len());
                prop_assert_eq!(&IndexSet::union(&sa, &sb), &u);
                prop_assert_eq!(&IndexSet::union(&sb, &sa), &u);
                // Assigned over whatever the target held before.
                for old in [IndexSet::new(), set(extra.clone()), set(0..40), set(0..500)] {
                    let mut t = old.clone();
                    t.assign_union(&sa, &sb);
                    prop_assert_eq!(&t, &u);
                    prop_assert_eq!(t.len(), ru.len());
                }
                let mut u2 = u.clone();
                let mut r2 = ru.clone();
                for &e in &extra {
                    u2.insert(e);
                    r2.insert(e);
                }
                prop_assert_eq!(u2.to_vec(), r2.iter().copied().collect::<Vec<_>>());
                prop_assert_eq!(u2.len(), r2.len());
                prop_assert_eq!(u2.min(), r2.first().copied());
                prop_assert_eq!(u2.max(), r2.last().copied());
                for probe in extra.iter().chain(&a).chain(&b).map(|&x| x + 1) {
                    prop_assert_eq!(u2.contains(probe), r2.contains(&probe));
                }
            }
        }

        #[test]
        fn random_operation_sequences(ops in prop::collection::vec(
            prop_oneof![
                (0usize..20_000).prop_map(|i| (vec![i], false)),
                (0usize..300).prop_map(|i| (vec![i], true)),
                arb_set().prop_map(|v| (v, true)),
            ],
            0..25,
        )) {
            let mut s = IndexSet::new();
            let mut r = BTreeSet::new();
            for (v, union) in ops {
                if union {
                    let t = set(v.clone());
                    if v.len() % 2 == 0 { s.union_with(&t) } else { s = IndexSet::union(&t, &s) }
                } else {
                    s.insert(v[0]);
                }
                r.extend(v);
                prop_assert_eq!(s.len(), r.len());
            }
            prop_assert_eq!(s.to_vec(), r.into_iter().collect::<Vec<_>>());
        }

        #[test]
        fn pair_set_matches_btreeset(
            pairs in prop::collection::vec((0usize..30, 0usize..30), 0..200),
            a in prop::collection::vec(0usize..30, 0..10),
            b in prop::collection::vec(0usize..30, 0..10),
        ) {
            let mut p = PairSet::new();
            let mut r = BTreeSet::new();
            for chunk in pairs.chunks(7) {
                let term: PairSet = chunk.iter().copied().collect();
                p.union_with(&term);
                r.extend(chunk.iter().map(|&(i, j)| (i.min(j), i.max(j))));
            }
            let (sa, sb) = (set(a.clone()), set(b.clone()));
            p.insert_product(&sa, &sb);
            for &i in &a {
                for &j in &b {
                    r.insert((i.min(j), i.max(j)));
                }
            }
            prop_assert_eq!(p.to_sorted_dedup(), r.iter().copied().collect::<Vec<_>>());
            let pat = p.to_symmetric_pattern(30);
            prop_assert!(pat.is_symmetric());
            prop_assert_eq!(pat.nnz(), r.iter().map(|&(i, j)| if i == j { 1 } else { 2 }).sum::<usize>());
        }
    }
}
