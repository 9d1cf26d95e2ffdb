//! The value of generated Hessian sparsity tracers: [`Trace2`], a real's first-order
//! index set together with the second-order interactions it carries.
//!
//! For `f = x[0] * x[1] + x[2].sin()`, the tracer computes
//! `f.g = {0, 1, 2}` (the gradient's pattern), `f.h = {{2, 2}}` and `f.k = {{0, 1}}`
//! (the Hessian's pattern, one triangle, its entries that vary with the input and
//! those that do not): see the `trace2` pass of `asd-macros`.

use crate::{IndexSet, Join, PairSet, SparsityPattern};

/// What a Hessian sparsity tracer carries for one real: the inputs it depends on
/// (`g`) and the pairs of inputs whose mixed second derivative may be non-zero, those
/// through which it may vary with the input (`h`) and those through a constant second
/// derivative only (`k`, as `x0 * x1`'s). A pair in both varies. Code that knows
/// nothing of `k` and puts every pair in `h` is right, if less precise.
///
/// ```
/// use asd_runtime::{IndexSet, Trace2};
/// let x: Vec<Trace2> = Trace2::seeds(3);
/// // f = x[0] * x[1]
/// let mut f = x[0].clone();
/// f.union_with(&x[1]);
/// Trace2::insert_product(&mut f.h, &x[0].g, &x[1].g);
/// assert_eq!(f.g.to_vec(), [0, 1]);
/// assert_eq!(f.h.to_sorted_dedup(), [(0, 1)]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace2 {
    /// First order: the inputs this real depends on.
    pub g: IndexSet,
    /// Second order: the unordered pairs of inputs that interact in this real, with a
    /// second derivative that may vary with the input (`x0 * x1 * x2`'s `(0, 1)` is
    /// `x2`).
    pub h: PairSet,
    /// The pairs that interact through constant second derivatives only, as far as
    /// the tracer knows (`x0 * x1`'s `(0, 1)` is 1): where the function has no kink,
    /// their Hessian entries are the same at every input, unless they are in `h` too.
    pub k: PairSet,
}

impl Default for Trace2 {
    fn default() -> Self {
        Self::new()
    }
}

impl Trace2 {
    /// A real that depends on no input; does not allocate.
    ///
    /// ```
    /// use asd_runtime::Trace2;
    /// let c = Trace2::new(); // a constant
    /// assert!(c.g.is_empty() && c.h.is_empty());
    /// ```
    pub fn new() -> Self {
        Trace2 {
            g: IndexSet::new(),
            h: PairSet::new(),
            k: PairSet::new(),
        }
    }

    /// Input `i` itself: `g = {i}`, no interactions; does not allocate.
    ///
    /// ```
    /// use asd_runtime::Trace2;
    /// let x3 = Trace2::seed(3);
    /// assert_eq!(x3.g.to_vec(), [3]);
    /// assert!(x3.h.is_empty());
    /// ```
    #[track_caller]
    pub fn seed(i: usize) -> Self {
        Trace2 {
            g: IndexSet::singleton(i),
            h: PairSet::new(),
            k: PairSet::new(),
        }
    }

    /// The seeds of an input of length `n`: `x[i]` is [`seed(i)`](Self::seed).
    ///
    /// ```
    /// use asd_runtime::Trace2;
    /// let x = Trace2::seeds(3);
    /// assert_eq!(
    ///     x.iter().map(|t| t.g.to_vec()).collect::<Vec<_>>(),
    ///     [[0], [1], [2]]
    /// );
    /// ```
    pub fn seeds(n: usize) -> Vec<Trace2> {
        (0..n).map(Trace2::seed).collect()
    }

    /// The inputs whose partial derivative of this real may vary with the input: those
    /// in a pair of `h` or `k`. The others' are constant where the function has no kink (no
    /// `abs`, `max`, step or branch on a real), so their Jacobian entries are too.
    ///
    /// ```
    /// use asd_runtime::Trace2;
    /// // f = 3 x0 + x1 * x2: df/dx0 = 3 whatever x is.
    /// let x = Trace2::seeds(3);
    /// let mut f = Trace2::union(&x[0], &x[1]);
    /// f.union_with(&x[2]);
    /// Trace2::insert_product(&mut f.h, &x[1].g, &x[2].g);
    /// assert_eq!(f.varying().to_vec(), [1, 2]);
    /// Trace2::insert_square(&mut f.h, &x[0].g); // + x0^2: every input varies
    /// assert_eq!(f.varying().to_vec(), [0, 1, 2]);
    /// ```
    pub fn varying(&self) -> IndexSet {
        // Marks among `g` (the pairs are of its inputs), until every one is marked: a
        // nonlinear output's first pairs mark them all.
        let g = self.g.to_vec();
        let (mut marked, mut left) = (vec![false; g.len()], g.len());
        for (i, j) in self.h.iter().chain(self.k.iter()) {
            for k in [i, j] {
                if let Ok(p) = g.binary_search(&k) {
                    left -= usize::from(!std::mem::replace(&mut marked[p], true));
                }
            }
            if left == 0 {
                return self.g.clone();
            }
        }
        g.into_iter()
            .zip(marked)
            .filter_map(|(k, m)| m.then_some(k))
            .collect()
    }

    /// `a ∪ b` as a new value, like [`IndexSet::union`].
    ///
    /// ```
    /// use asd_runtime::Trace2;
    /// let x = Trace2::seeds(2);
    /// let s = Trace2::union(&x[0], &x[1]); // x0 + x1: linear, no interaction
    /// assert_eq!(s.g.to_vec(), [0, 1]);
    /// assert!(s.h.is_empty());
    /// ```
    pub fn union(a: &Trace2, b: &Trace2) -> Self {
        let mut t = a.clone();
        t.union_with(b);
        t
    }

    /// `self ∪= other`, the index set and both sets of interactions: what a linear
    /// operation (`+`, `-`, `abs`, ...) passes on from one of its arguments.
    ///
    /// ```
    /// use asd_runtime::Trace2;
    /// let x = Trace2::seeds(3);
    /// let mut s = Trace2::new();
    /// for xi in &x {
    ///     s.union_with(xi); // s += x[i]
    /// }
    /// assert_eq!(s.g.to_vec(), [0, 1, 2]);
    /// ```
    pub fn union_with(&mut self, other: &Trace2) {
        self.g.union_with(&other.g);
        self.h.union_with(&other.h);
        self.k.union_with(&other.k);
    }

    /// `h ∪= a × b`: the interactions of a product of two reals whose first-order sets
    /// are `a` and `b` (`x * y`, the cross term of `x / y`). An associated function
    /// rather than a method, so that generated code can pass `&mut s.h` beside `&s.g`.
    ///
    /// See [`Trace2`] for an example.
    #[inline]
    pub fn insert_product(h: &mut PairSet, a: &IndexSet, b: &IndexSet) {
        h.insert_product(a, b);
    }

    /// `h ∪= a × a`, each unordered pair once: the interactions of a function
    /// nonlinear in one real (`sin(x)`, `x * x`, `x.powi(2)`).
    ///
    /// ```
    /// use asd_runtime::Trace2;
    /// // f = sin(x0 + x1)
    /// let x = Trace2::seeds(2);
    /// let mut f = Trace2::union(&x[0], &x[1]);
    /// Trace2::insert_square(&mut f.h, &f.g);
    /// assert_eq!(f.h.to_sorted_dedup(), [(0, 0), (0, 1), (1, 1)]);
    /// ```
    #[inline]
    pub fn insert_square(h: &mut PairSet, a: &IndexSet) {
        h.insert_square(a);
    }

    /// The symmetric `n x n` Hessian pattern of a traced scalar: both triangles of
    /// every interaction in `h` and `k`.
    ///
    /// ```
    /// use asd_runtime::Trace2;
    /// // f = x0 * x2 on 3 inputs
    /// let x = Trace2::seeds(3);
    /// let mut f = Trace2::union(&x[0], &x[2]);
    /// Trace2::insert_product(&mut f.h, &x[0].g, &x[2].g);
    /// let h = f.hessian_pattern(3);
    /// assert_eq!(h.iter().collect::<Vec<_>>(), [(0, 2), (2, 0)]);
    /// assert_eq!(f.into_hessian_pattern(3), h);
    /// ```
    ///
    /// # Panics
    /// If an index is not below `n`.
    #[track_caller]
    pub fn hessian_pattern(&self, n: usize) -> SparsityPattern {
        let mut all = self.h.clone();
        all.union_with(&self.k);
        all.into_symmetric_pattern(n)
    }

    /// [`hessian_pattern`](Self::hessian_pattern), consuming the tracer's value so
    /// that its pairs are sorted in place rather than copied: what
    /// `f_hessian_sparsity` calls.
    ///
    /// See [`hessian_pattern`](Self::hessian_pattern) for an example.
    ///
    /// # Panics
    /// If an index is not below `n`.
    #[track_caller]
    pub fn into_hessian_pattern(mut self, n: usize) -> SparsityPattern {
        self.h.union_with(&self.k);
        self.h.into_symmetric_pattern(n)
    }

    /// The symmetric `n x n` pattern of the Hessian entries that may vary with the
    /// input: both triangles of every pair in `h`. The other entries of
    /// [`hessian_pattern`](Self::hessian_pattern), of `k` alone, are constant where the
    /// function has no kink.
    ///
    /// ```
    /// use asd_runtime::Trace2;
    /// // f = x0 * x1 + x2.exp(): H[0][1] = 1 whatever x is, H[2][2] = exp(x2).
    /// let x = Trace2::seeds(3);
    /// let mut f = Trace2::union(&x[0], &x[1]);
    /// f.union_with(&x[2]);
    /// Trace2::insert_product(&mut f.k, &x[0].g, &x[1].g);
    /// Trace2::insert_square(&mut f.h, &x[2].g);
    /// assert_eq!(f.hessian_pattern(3).nnz(), 3);
    /// assert_eq!(f.varying_hessian_pattern(3).iter().collect::<Vec<_>>(), [(2, 2)]);
    /// ```
    ///
    /// # Panics
    /// If an index is not below `n`.
    #[track_caller]
    pub fn varying_hessian_pattern(&self, n: usize) -> SparsityPattern {
        self.h.to_symmetric_pattern(n)
    }
}

impl Join for Trace2 {
    fn join(&mut self, other: Self) {
        if self.g.is_empty() && self.h.is_empty() && self.k.is_empty() {
            *self = other;
        } else {
            self.union_with(&other);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(t: &Trace2) -> Vec<(usize, usize)> {
        t.h.to_sorted_dedup()
    }

    #[test]
    fn seeds_are_singletons_without_interactions() {
        let x = Trace2::seeds(4);
        assert_eq!(x.len(), 4);
        for (i, t) in x.iter().enumerate() {
            assert_eq!(t.g.to_vec(), [i]);
            assert!(t.h.is_empty());
        }
        assert_eq!(Trace2::default(), Trace2::new());
    }

    #[test]
    fn union_with_merges_both_levels() {
        let mut a = Trace2::seed(1);
        a.h.insert(1, 1);
        let mut b = Trace2::seed(3);
        b.h.insert(3, 0);
        b.k.insert(3, 3);
        a.union_with(&b);
        assert_eq!(a.g.to_vec(), [1, 3]);
        assert_eq!(pairs(&a), [(0, 3), (1, 1)]);
        assert_eq!(a.k.to_sorted_dedup(), [(3, 3)]);
        // Both kinds in the pattern, the varying ones alone in its varying part.
        assert_eq!(a.hessian_pattern(4).nnz(), 4);
        assert_eq!(a.varying_hessian_pattern(4).nnz(), 3);
        assert_eq!(a.varying().to_vec(), [1, 3]);
    }

    #[test]
    fn joins_union_scalars_and_vectors_element_by_element() {
        let mut a = Trace2::seed(0);
        let mut b = Trace2::seed(2);
        b.h.insert(2, 2);
        a.join(b);
        assert_eq!(a.g.to_vec(), [0, 2]);
        assert_eq!(pairs(&a), [(2, 2)]);

        let mut empty = Trace2::new();
        empty.join(a.clone());
        assert_eq!(empty, a);

        let mut v = vec![Trace2::seed(0), Trace2::new()];
        v.join(vec![Trace2::seed(1), Trace2::seed(5), Trace2::seed(7)]);
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].g.to_vec(), [0, 1]);
        assert_eq!(v[1].g.to_vec(), [5]);
        assert_eq!(v[2].g.to_vec(), [7]);

        let mut longer = vec![Trace2::seed(0), Trace2::seed(1)];
        longer.join(vec![Trace2::seed(4)]);
        assert_eq!(longer.len(), 2);
        assert_eq!(longer[0].g.to_vec(), [0, 4]);
    }

    #[test]
    fn products_and_squares() {
        let a: IndexSet = [1, 4].into_iter().collect();
        let b: IndexSet = [0, 4].into_iter().collect();
        let mut h = PairSet::new();
        Trace2::insert_product(&mut h, &a, &b);
        assert_eq!(h.to_sorted_dedup(), [(0, 1), (0, 4), (1, 4), (4, 4)]);
        let mut h = PairSet::new();
        Trace2::insert_square(&mut h, &a);
        assert_eq!(h.len_upper_bound(), 3);
        assert_eq!(h.to_sorted_dedup(), [(1, 1), (1, 4), (4, 4)]);
        let mut f = Trace2::seed(2);
        Trace2::insert_square(&mut f.h, &f.g);
        assert_eq!(pairs(&f), [(2, 2)]);
    }

    #[test]
    fn hessian_pattern_fills_both_triangles() {
        let mut f = Trace2::new();
        f.h.insert(0, 2);
        f.h.insert(1, 1);
        let p = f.hessian_pattern(3);
        assert_eq!(p.nnz(), 3);
        assert!(p.contains(0, 2) && p.contains(2, 0) && p.contains(1, 1));
        assert_eq!(f.into_hessian_pattern(3), p);
    }
}
