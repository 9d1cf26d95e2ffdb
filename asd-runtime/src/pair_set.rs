//! Sets of unordered index pairs, the second-order values of Hessian tracers, and the
//! symmetric sparsity pattern they build.

use std::fmt;

use crate::index_set::{merge_to_vec, to_u32};
use crate::pattern::prefix_sum;
use crate::{IndexSet, SparsityPattern};

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
///
/// ```
/// use asd_runtime::{IndexSet, PairSet};
/// // The Hessian tracer of f = x0 * x1 + sin(x2).
/// let x: Vec<IndexSet> = (0..3).map(IndexSet::singleton).collect();
/// let mut h = PairSet::new();
/// h.insert_product(&x[0], &x[1]);
/// h.insert_square(&x[2]);
/// assert_eq!(h.to_sorted_dedup(), [(0, 1), (2, 2)]);
/// let p = h.to_symmetric_pattern(3);
/// assert_eq!(p.iter().collect::<Vec<_>>(), [(0, 1), (1, 0), (2, 2)]);
/// ```
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
    ///
    /// ```
    /// use asd_runtime::PairSet;
    /// let p = PairSet::new();
    /// assert!(p.is_empty() && p.len_upper_bound() == 0);
    /// ```
    pub fn new() -> Self {
        PairSet {
            keys: Vec::new(),
            sorted: 0,
            compact_at: PAIR_COMPACT_MIN,
        }
    }

    /// Adds the unordered pair `{i, j}`.
    ///
    /// ```
    /// use asd_runtime::PairSet;
    /// let mut p = PairSet::new();
    /// p.insert(3, 1);
    /// p.insert(1, 3); // the same unordered pair
    /// assert_eq!(p.to_sorted_dedup(), [(1, 3)]);
    /// ```
    #[track_caller]
    pub fn insert(&mut self, i: usize, j: usize) {
        self.keys.push(pair_key(i, j));
        self.maybe_compact();
    }

    /// `self ∪= other`, amortized O(|other| log) (see the type's documentation).
    ///
    /// ```
    /// use asd_runtime::PairSet;
    /// let mut a = PairSet::new();
    /// a.insert(0, 1);
    /// let mut b = PairSet::new();
    /// b.insert(0, 1);
    /// b.insert(2, 2);
    /// a.union_with(&b);
    /// assert_eq!(a.to_sorted_dedup(), [(0, 1), (2, 2)]);
    /// ```
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
    ///
    /// ```
    /// use asd_runtime::{IndexSet, PairSet};
    /// let a: IndexSet = [0, 1].into_iter().collect();
    /// let b = IndexSet::singleton(2);
    /// let mut p = PairSet::new();
    /// p.insert_product(&a, &b);
    /// assert_eq!(p.to_sorted_dedup(), [(0, 2), (1, 2)]);
    /// ```
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
    ///
    /// ```
    /// use asd_runtime::{IndexSet, PairSet};
    /// let a: IndexSet = [0, 1].into_iter().collect(); // e.g. sin(x0 + x1)
    /// let mut p = PairSet::new();
    /// p.insert_square(&a);
    /// assert_eq!(p.to_sorted_dedup(), [(0, 0), (0, 1), (1, 1)]);
    /// ```
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
    ///
    /// ```
    /// use asd_runtime::PairSet;
    /// let mut p = PairSet::new();
    /// p.insert(0, 1);
    /// p.insert(1, 0);
    /// assert!(p.len_upper_bound() >= 1);
    /// p.compact();
    /// assert_eq!(p.len_upper_bound(), 1);
    /// ```
    pub fn len_upper_bound(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set has no pair.
    ///
    /// ```
    /// use asd_runtime::PairSet;
    /// let mut p = PairSet::new();
    /// assert!(p.is_empty());
    /// p.insert(2, 2);
    /// assert!(!p.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The pairs as `(i, j)` with `i <= j`, in no particular order, possibly with
    /// duplicates (none right after [`compact`](Self::compact)).
    ///
    /// ```
    /// use asd_runtime::PairSet;
    /// let mut p = PairSet::new();
    /// p.insert(4, 2);
    /// p.insert(0, 0);
    /// let mut pairs: Vec<_> = p.iter().collect();
    /// pairs.sort();
    /// assert_eq!(pairs, [(0, 0), (2, 4)]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.keys.iter().map(|&k| key_pair(k))
    }

    /// Sorts and deduplicates the stored pairs, in place: sorts the tail appended
    /// since the last time and merges it into the sorted prefix.
    ///
    /// ```
    /// use asd_runtime::PairSet;
    /// let mut p = PairSet::new();
    /// for _ in 0..3 {
    ///     p.insert(0, 1);
    /// }
    /// p.compact();
    /// assert_eq!(p.iter().collect::<Vec<_>>(), [(0, 1)]);
    /// ```
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
    ///
    /// ```
    /// use asd_runtime::PairSet;
    /// let mut p = PairSet::new();
    /// p.insert(2, 1);
    /// p.insert(0, 3);
    /// p.insert(1, 2);
    /// assert_eq!(p.to_sorted_dedup(), [(0, 3), (1, 2)]);
    /// ```
    pub fn to_sorted_dedup(&self) -> Vec<(usize, usize)> {
        let mut c = self.clone();
        c.compact();
        c.keys.into_iter().map(key_pair).collect()
    }

    /// The `n x n` symmetric pattern with both `(i, j)` and `(j, i)` for every pair
    /// (a pair `(i, i)` gives the diagonal entry), in O(pairs + n).
    ///
    /// ```
    /// use asd_runtime::PairSet;
    /// let mut p = PairSet::new();
    /// p.insert(0, 2);
    /// p.insert(1, 1);
    /// let h = p.to_symmetric_pattern(3);
    /// assert!(h.is_symmetric());
    /// assert_eq!(h.iter().collect::<Vec<_>>(), [(0, 2), (1, 1), (2, 0)]);
    /// ```
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
    ///
    /// ```
    /// use asd_runtime::PairSet;
    /// let mut p = PairSet::new();
    /// p.insert(1, 0);
    /// assert_eq!(
    ///     p.clone().into_symmetric_pattern(2),
    ///     p.to_symmetric_pattern(2)
    /// );
    /// assert_eq!(p.into_symmetric_pattern(2).nnz(), 2);
    /// ```
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
}
