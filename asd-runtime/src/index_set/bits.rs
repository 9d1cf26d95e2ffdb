//! Bit sets over a word-aligned window, for sets dense in their own range.

use super::*;

/// A bit set over a word-aligned window `[offset, offset + 64 * words)`.
#[derive(Clone)]
pub(super) struct Bits {
    /// Index of bit 0, a multiple of 64 so that two sets' words line up for `|`.
    pub(super) offset: usize,
    /// Always a whole number of words: `bits.len() == 64 * bits.as_raw_slice().len()`.
    pub(super) bits: BitVec<u64, Lsb0>,
    /// Number of ones, cached so that `len()` is O(1).
    pub(super) len: usize,
}

impl Bits {
    #[inline]
    pub(super) fn words(&self) -> &[u64] {
        self.bits.as_raw_slice()
    }

    /// Exclusive end of the window.
    #[inline]
    pub(super) fn end(&self) -> usize {
        self.offset + self.bits.len()
    }

    #[inline]
    pub(super) fn from_sorted(v: &[u32]) -> Bits {
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
    #[inline]
    pub(super) fn hull(&self, lo: usize, hi: usize) -> (usize, usize) {
        (self.offset.min(lo), self.end().max(hi + 1))
    }

    #[inline]
    pub(super) fn min_max(&self) -> Option<(usize, usize)> {
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
    #[inline]
    pub(super) fn cover(&mut self, lo: usize, hi: usize) {
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

    #[inline]
    pub(super) fn contains(&self, i: usize) -> bool {
        i >= self.offset && i < self.end() && self.bits[i - self.offset]
    }

    #[inline]
    pub(super) fn insert(&mut self, i: usize) {
        self.cover(i, i);
        let k = i - self.offset;
        if !self.bits.replace(k, true) {
            self.len += 1;
        }
    }

    /// Sets the bits of a sorted, non-empty list (the window must be acceptable).
    #[inline]
    pub(super) fn union_list(&mut self, v: &[u32]) {
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
    #[inline]
    pub(super) fn union_list_or_spill(&mut self, v: &[u32]) -> Option<Vec<u32>> {
        let (lo, hi) = self.hull(v[0] as usize, v[v.len() - 1] as usize);
        if hi - lo > SPARSE_BITS_PER_INDEX * (self.len + v.len()) {
            Some(merge_to_vec(&self.to_list(), v))
        } else {
            self.union_list(v);
            None
        }
    }

    /// `self |= other`, where `other`'s ones lie in `[lo, hi]`: O(words of other).
    #[inline]
    pub(super) fn union_bits(&mut self, other: &Bits, lo: usize, hi: usize) {
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

    #[inline]
    pub(super) fn to_list(&self) -> Vec<u32> {
        let mut v = Vec::with_capacity(self.len);
        v.extend(WordOnes::new(self.words(), self.offset).map(|i| i as u32));
        v
    }
}

/// Ascending indices of the ones in a run of words.
pub(super) struct WordOnes<'a> {
    words: std::slice::Iter<'a, u64>,
    current: u64,
    /// Index of bit 0 of `current`.
    base: usize,
}

impl<'a> WordOnes<'a> {
    #[inline]
    pub(super) fn new(words: &'a [u64], offset: usize) -> Self {
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
