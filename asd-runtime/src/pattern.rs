//! Sparsity patterns: boolean sparse matrices in compressed sparse rows.
//!
//! Everything downstream (coloring, seeds, decompression, the preallocated
//! `sprs` result) reads rows as sorted, duplicate-free slices, so every
//! constructor normalizes its input once, in time linear in its size.

use std::fmt;
use std::ops::Deref;

use sprs::{CsMatBase, SpIndex};

use crate::index_set::EXTEND_ROOM;
use crate::IndexSet;

mod spy;
mod svg;

/// A boolean `m x n` sparse matrix in compressed sparse rows.
///
/// Invariant: `row_ptr` has `nrows + 1` non-decreasing entries from 0 to `nnz`, and
/// the column indices of each row are sorted, unique and below `ncols`.
///
/// `Display` draws a braille spy plot (see [`spy`](Self::spy)):
///
/// ```
/// use asd_runtime::SparsityPattern;
/// let p = SparsityPattern::from_coordinates(4, 4, (0..4).map(|i| (i, i)));
/// assert_eq!(
///     p.to_string(),
///     "4×4 SparsityPattern, 4 nonzeros (25.0%)\n[⠑⢄]"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SparsityPattern {
    nrows: usize,
    ncols: usize,
    row_ptr: Vec<usize>,
    col_idx: Vec<usize>,
}

/// Which axis of a pattern a coloring colors, for [`SparsityPattern::to_svg`].
///
/// ```
/// use asd_runtime::{color_columns, ColorAxis, Order, SparsityPattern};
///
/// // Columns 0 and 1 share row 0: two colors, one per column group.
/// let p = SparsityPattern::from_coordinates(2, 2, [(0, 0), (0, 1), (1, 1)]);
/// let cols = color_columns(&p, Order::Natural);
/// let svg = p.to_svg(Some(cols.colors()), ColorAxis::Columns);
/// assert!(svg.contains("#4e79a7") && svg.contains("#f28e2b"));
/// assert_eq!(ColorAxis::default(), ColorAxis::Columns);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ColorAxis {
    /// One color per column (a column coloring, forward mode).
    #[default]
    Columns,
    /// One color per row (a row coloring, reverse mode).
    Rows,
}

#[track_caller]
fn check_row(row: usize, nrows: usize) {
    if row >= nrows {
        panic!(
            "asd: row index {row} out of range for a pattern with {nrows} row{}",
            plural(nrows)
        );
    }
}

#[track_caller]
fn check_col(col: usize, ncols: usize) {
    if col >= ncols {
        panic!(
            "asd: column index {col} out of range for a pattern with {ncols} column{}",
            plural(ncols)
        );
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Exclusive prefix sums in place: `counts[k]` becomes the sum of `counts[..k]`.
/// `counts` has one more slot than there are buckets, so it becomes a pointer array
/// (the start of every bucket of a counting sort).
pub(crate) fn prefix_sum(counts: &mut [usize]) {
    let mut acc = 0;
    for c in counts.iter_mut() {
        let here = *c;
        *c = acc;
        acc += here;
    }
}

impl SparsityPattern {
    /// The pattern with no nonzero.
    ///
    /// ```
    /// use asd_runtime::SparsityPattern;
    /// let p = SparsityPattern::empty(3, 4);
    /// assert_eq!((p.shape(), p.nnz()), ((3, 4), 0));
    /// assert_eq!(p.row_ptr(), [0, 0, 0, 0]);
    /// ```
    pub fn empty(nrows: usize, ncols: usize) -> Self {
        SparsityPattern {
            nrows,
            ncols,
            row_ptr: vec![0; nrows + 1],
            col_idx: Vec::new(),
        }
    }

    /// The pattern holding the given `(row, col)` coordinates, in any order, with
    /// duplicates allowed.
    ///
    /// Two stable counting sorts (by column, then by row) give sorted rows in
    /// O(nnz + m + n), with no comparison sort.
    ///
    /// ```
    /// use asd_runtime::SparsityPattern;
    /// let p = SparsityPattern::from_coordinates(2, 3, [(1, 2), (0, 1), (1, 0), (1, 2)]);
    /// assert_eq!(p.nnz(), 3); // the duplicate (1, 2) counts once
    /// assert_eq!(p.row(1), [0, 2]); // sorted
    /// ```
    ///
    /// # Panics
    /// If a coordinate is out of range.
    #[track_caller]
    pub fn from_coordinates(
        nrows: usize,
        ncols: usize,
        coords: impl IntoIterator<Item = (usize, usize)>,
    ) -> Self {
        let coords: Vec<(usize, usize)> = coords.into_iter().collect();
        let nnz = coords.len();
        let mut col_ptr = vec![0usize; ncols + 1];
        let mut row_ptr = vec![0usize; nrows + 1];
        for &(r, c) in &coords {
            check_row(r, nrows);
            check_col(c, ncols);
            col_ptr[c] += 1;
            row_ptr[r] += 1;
        }
        prefix_sum(&mut col_ptr);
        prefix_sum(&mut row_ptr);

        // Bucket the rows by column...
        let mut rows_by_col = vec![0usize; nnz];
        let mut next = col_ptr.clone();
        for &(r, c) in &coords {
            rows_by_col[next[c]] = r;
            next[c] += 1;
        }
        drop(coords);
        // ...then scatter columns into rows in column order: each row comes out sorted.
        let mut col_idx = vec![0usize; nnz];
        let mut next = row_ptr.clone();
        for c in 0..ncols {
            for &r in &rows_by_col[col_ptr[c]..col_ptr[c + 1]] {
                col_idx[next[r]] = c;
                next[r] += 1;
            }
        }
        drop(rows_by_col);
        // Drop duplicates, which are now adjacent, compacting in place.
        let mut write = 0;
        let mut start = 0;
        for r in 0..nrows {
            let end = row_ptr[r + 1];
            let row_start = write;
            for k in start..end {
                let c = col_idx[k];
                if write == row_start || col_idx[write - 1] != c {
                    col_idx[write] = c;
                    write += 1;
                }
            }
            start = end;
            row_ptr[r + 1] = write;
        }
        col_idx.truncate(write);
        col_idx.shrink_to_fit();
        SparsityPattern {
            nrows,
            ncols,
            row_ptr,
            col_idx,
        }
    }

    /// The pattern whose row `i` holds the columns `rows[i]` (in any order,
    /// duplicates allowed); it has `rows.len()` rows.
    ///
    /// ```
    /// use asd_runtime::SparsityPattern;
    /// let p = SparsityPattern::from_rows(3, vec![vec![2, 0, 2], vec![], vec![1]]);
    /// assert_eq!(
    ///     p,
    ///     SparsityPattern::from_coordinates(3, 3, [(0, 0), (0, 2), (2, 1)])
    /// );
    /// ```
    ///
    /// # Panics
    /// If a column index is not below `ncols`.
    #[track_caller]
    pub fn from_rows(ncols: usize, rows: Vec<Vec<usize>>) -> Self {
        let nnz_bound = rows.iter().map(Vec::len).sum();
        let mut row_ptr = Vec::with_capacity(rows.len() + 1);
        let mut col_idx = Vec::with_capacity(nnz_bound);
        row_ptr.push(0);
        for mut row in rows {
            if !row.is_sorted_by(|a, b| a < b) {
                row.sort_unstable();
                row.dedup();
            }
            if let Some(&last) = row.last() {
                check_col(last, ncols);
            }
            col_idx.extend_from_slice(&row);
            row_ptr.push(col_idx.len());
        }
        SparsityPattern {
            nrows: row_ptr.len() - 1,
            ncols,
            row_ptr,
            col_idx,
        }
    }

    /// The pattern whose row `i` is the index set `rows[i]`: the output of a
    /// first-order tracer, one set per output.
    ///
    /// ```
    /// use asd_runtime::{IndexSet, SparsityPattern};
    /// // What a tracer of y = [x0 * x1, x2] returns: one set of inputs per output.
    /// let rows = [[0, 1].into_iter().collect(), IndexSet::singleton(2)];
    /// let p = SparsityPattern::from_index_sets(3, &rows);
    /// assert_eq!(p.iter().collect::<Vec<_>>(), [(0, 0), (0, 1), (1, 2)]);
    /// ```
    ///
    /// # Panics
    /// If an index is not below `ncols`.
    #[track_caller]
    pub fn from_index_sets(ncols: usize, rows: &[IndexSet]) -> Self {
        let nnz: usize = rows.iter().map(IndexSet::len).sum();
        let mut row_ptr = Vec::with_capacity(rows.len() + 1);
        // The room a band asks for before it writes itself out: without it, the last
        // bands would double the vector (a copy, and a large fresh allocation).
        let mut col_idx = Vec::with_capacity(nnz + EXTEND_ROOM);
        row_ptr.push(0);
        for set in rows {
            let start = col_idx.len();
            set.extend_into(&mut col_idx);
            // The row is ascending: its last index is its largest.
            if let Some(&max) = col_idx[start..].last() {
                check_col(max, ncols);
            }
            row_ptr.push(col_idx.len());
        }
        SparsityPattern {
            nrows: rows.len(),
            ncols,
            row_ptr,
            col_idx,
        }
    }

    /// The pattern of raw compressed rows, checked.
    ///
    /// ```
    /// use asd_runtime::SparsityPattern;
    /// let p = SparsityPattern::from_csr(2, 3, vec![0, 2, 3], vec![0, 2, 1]);
    /// assert_eq!(p.iter().collect::<Vec<_>>(), [(0, 0), (0, 2), (1, 1)]);
    /// ```
    ///
    /// # Panics
    /// If `row_ptr` does not have `nrows + 1` non-decreasing entries from 0 to
    /// `col_idx.len()`, or a row is not strictly increasing, or a column is out of
    /// range.
    #[track_caller]
    pub fn from_csr(nrows: usize, ncols: usize, row_ptr: Vec<usize>, col_idx: Vec<usize>) -> Self {
        assert!(
            row_ptr.len() == nrows + 1,
            "asd: row_ptr has {} entries, expected nrows + 1 = {}",
            row_ptr.len(),
            nrows + 1
        );
        assert!(
            row_ptr[0] == 0 && row_ptr[nrows] == col_idx.len(),
            "asd: row_ptr must run from 0 to nnz = {}, got {}..{}",
            col_idx.len(),
            row_ptr[0],
            row_ptr[nrows]
        );
        // Every pointer first: with the ends checked, non-decreasing pointers stay
        // within `col_idx`, so no row below slices past its end (`[0, 3, 0]` would).
        if let Some(r) = (0..nrows).find(|&r| row_ptr[r] > row_ptr[r + 1]) {
            panic!("asd: row_ptr decreases at row {r}");
        }
        for r in 0..nrows {
            let row = &col_idx[row_ptr[r]..row_ptr[r + 1]];
            assert!(
                row.is_sorted_by(|a, b| a < b),
                "asd: columns of row {r} are not strictly increasing"
            );
            if let Some(&last) = row.last() {
                check_col(last, ncols);
            }
        }
        SparsityPattern {
            nrows,
            ncols,
            row_ptr,
            col_idx,
        }
    }

    /// Number of rows `m`.
    ///
    /// ```
    /// use asd_runtime::SparsityPattern;
    /// let p = SparsityPattern::from_coordinates(2, 5, [(0, 4), (1, 0)]);
    /// assert_eq!(
    ///     (p.nrows(), p.ncols(), p.shape(), p.nnz()),
    ///     (2, 5, (2, 5), 2)
    /// );
    /// ```
    pub fn nrows(&self) -> usize {
        self.nrows
    }

    /// Number of columns `n`.
    ///
    /// See [`nrows`](Self::nrows) for an example.
    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// `(nrows, ncols)`.
    ///
    /// See [`nrows`](Self::nrows) for an example.
    pub fn shape(&self) -> (usize, usize) {
        (self.nrows, self.ncols)
    }

    /// Number of nonzeros.
    ///
    /// See [`nrows`](Self::nrows) for an example.
    pub fn nnz(&self) -> usize {
        self.col_idx.len()
    }

    /// The pattern of the entries `(i, j)` that `keep(i, j)` keeps (same shape), and
    /// where each of them is among this pattern's (positions in compressed-row order).
    pub(crate) fn entries_only(
        &self,
        keep: impl Fn(usize, usize) -> bool,
    ) -> (SparsityPattern, Vec<usize>) {
        let mut row_ptr = Vec::with_capacity(self.nrows + 1);
        let (mut col_idx, mut at) = (Vec::new(), Vec::new());
        row_ptr.push(0);
        for (i, w) in self.row_ptr.windows(2).enumerate() {
            for e in w[0]..w[1] {
                if keep(i, self.col_idx[e]) {
                    col_idx.push(self.col_idx[e]);
                    at.push(e);
                }
            }
            row_ptr.push(col_idx.len());
        }
        let kept = SparsityPattern {
            nrows: self.nrows,
            ncols: self.ncols,
            row_ptr,
            col_idx,
        };
        (kept, at)
    }

    /// This pattern's entries that are in `varying` (same shape), where each of them is
    /// among this pattern's, and where the others are (positions in compressed-row
    /// order): how a preparation with constant entries splits its pattern.
    pub(crate) fn split_varying(
        &self,
        varying: &SparsityPattern,
    ) -> (SparsityPattern, Vec<usize>, Vec<usize>) {
        let varies = |i: usize, j: usize| varying.row(i).binary_search(&j).is_ok();
        let (kept, at) = self.entries_only(varies);
        // The others: the positions `at` skips, both in increasing order.
        let mut next = at.iter().peekable();
        let fixed_at = (0..self.nnz())
            .filter(|e| next.next_if_eq(&e).is_none())
            .collect();
        (kept, at, fixed_at)
    }

    /// The sorted column indices of row `i`.
    ///
    /// ```
    /// use asd_runtime::SparsityPattern;
    /// let p = SparsityPattern::from_coordinates(2, 4, [(0, 3), (0, 1), (1, 2)]);
    /// assert_eq!(p.row(0), [1, 3]);
    /// assert_eq!(p.row(1), [2]);
    /// ```
    ///
    /// # Panics
    /// If `i` is not below `nrows`.
    #[track_caller]
    pub fn row(&self, i: usize) -> &[usize] {
        check_row(i, self.nrows);
        &self.col_idx[self.row_ptr[i]..self.row_ptr[i + 1]]
    }

    /// Row pointers: row `i` is `col_indices()[row_ptr()[i]..row_ptr()[i + 1]]`.
    ///
    /// ```
    /// use asd_runtime::SparsityPattern;
    /// let p = SparsityPattern::from_coordinates(3, 4, [(0, 3), (0, 1), (2, 2)]);
    /// assert_eq!(p.row_ptr(), [0, 2, 2, 3]);
    /// assert_eq!(p.col_indices(), [1, 3, 2]);
    /// ```
    pub fn row_ptr(&self) -> &[usize] {
        &self.row_ptr
    }

    /// Column indices of all rows, concatenated.
    ///
    /// See [`row_ptr`](Self::row_ptr) for an example.
    pub fn col_indices(&self) -> &[usize] {
        &self.col_idx
    }

    /// The nonzeros as `(row, col)`, row by row, columns ascending.
    ///
    /// ```
    /// use asd_runtime::SparsityPattern;
    /// let p = SparsityPattern::from_coordinates(2, 2, [(1, 0), (0, 1), (0, 0)]);
    /// assert_eq!(p.iter().collect::<Vec<_>>(), [(0, 0), (0, 1), (1, 0)]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.nrows).flat_map(move |r| {
            self.col_idx[self.row_ptr[r]..self.row_ptr[r + 1]]
                .iter()
                .map(move |&c| (r, c))
        })
    }

    /// Whether `(row, col)` is a nonzero: a binary search in the row.
    ///
    /// ```
    /// use asd_runtime::SparsityPattern;
    /// let p = SparsityPattern::from_coordinates(2, 2, [(0, 1)]);
    /// assert!(p.contains(0, 1) && !p.contains(1, 0));
    /// ```
    ///
    /// # Panics
    /// If `row` or `col` is out of range.
    #[track_caller]
    pub fn contains(&self, row: usize, col: usize) -> bool {
        check_col(col, self.ncols);
        self.row(row).binary_search(&col).is_ok()
    }

    /// The `n x m` transposed pattern, by a counting sort in O(nnz + m + n); its rows
    /// come out sorted because the rows of `self` are visited in order.
    ///
    /// ```
    /// use asd_runtime::SparsityPattern;
    /// let p = SparsityPattern::from_coordinates(2, 3, [(0, 2), (1, 0)]);
    /// let t = p.transpose();
    /// assert_eq!(t.shape(), (3, 2));
    /// assert_eq!(t.iter().collect::<Vec<_>>(), [(0, 1), (2, 0)]);
    /// ```
    pub fn transpose(&self) -> SparsityPattern {
        // t_ptr[c + 1] counts column c, then is where its next entry goes, and ends as
        // the end of column c: the start of column c + 1. No second array of cursors.
        let mut t_ptr = vec![0usize; self.ncols + 1];
        for &c in &self.col_idx {
            t_ptr[c + 1] += 1;
        }
        prefix_sum(&mut t_ptr[1..]);
        let mut t_idx = vec![0usize; self.nnz()];
        for r in 0..self.nrows {
            for &c in &self.col_idx[self.row_ptr[r]..self.row_ptr[r + 1]] {
                t_idx[t_ptr[c + 1]] = r;
                t_ptr[c + 1] += 1;
            }
        }
        SparsityPattern {
            nrows: self.ncols,
            ncols: self.nrows,
            row_ptr: t_ptr,
            col_idx: t_idx,
        }
    }

    /// A CSR `sprs` matrix with this structure and every value 1.0.
    ///
    /// ```
    /// use asd_runtime::SparsityPattern;
    /// let p = SparsityPattern::from_coordinates(2, 2, [(0, 1), (1, 1)]);
    /// let m = p.to_sprs();
    /// assert_eq!(m.get(0, 1), Some(&1.0));
    /// assert_eq!(m.get(1, 0), None);
    /// // And back: a pattern is also the structure of any sprs matrix.
    /// assert_eq!(SparsityPattern::from(&m), p);
    /// ```
    pub fn to_sprs(&self) -> sprs::CsMat<f64> {
        self.to_sprs_filled(1.0)
    }

    /// A CSR `sprs` matrix with this structure and every stored value `value`.
    pub(crate) fn to_sprs_filled(&self, value: f64) -> sprs::CsMat<f64> {
        self.clone().into_sprs_filled(value)
    }

    /// [`to_sprs_filled`](Self::to_sprs_filled) that hands its structure over instead of
    /// copying it.
    pub(crate) fn into_sprs_filled(self, value: f64) -> sprs::CsMat<f64> {
        let nnz = self.nnz();
        sprs::CsMat::new(self.shape(), self.row_ptr, self.col_idx, vec![value; nnz])
    }

    /// The structure of a CSR matrix, which sprs has checked.
    pub(crate) fn of_csr(m: &sprs::CsMat<f64>) -> Self {
        debug_assert!(m.is_csr());
        SparsityPattern {
            nrows: m.rows(),
            ncols: m.cols(),
            row_ptr: m.indptr().raw_storage().to_vec(),
            col_idx: m.indices().to_vec(),
        }
    }

    /// Whether the pattern is square and equal to its transpose.
    ///
    /// ```
    /// use asd_runtime::SparsityPattern;
    /// let arrow = SparsityPattern::from_coordinates(2, 2, [(0, 0), (0, 1), (1, 0)]);
    /// assert!(arrow.is_symmetric());
    /// let upper = SparsityPattern::from_coordinates(2, 2, [(0, 0), (0, 1)]);
    /// assert!(!upper.is_symmetric());
    /// ```
    pub fn is_symmetric(&self) -> bool {
        self.nrows == self.ncols && *self == self.transpose()
    }

    /// `nnz / (m n)`, and 0 for an empty shape.
    ///
    /// ```
    /// use asd_runtime::SparsityPattern;
    /// let p = SparsityPattern::from_coordinates(2, 4, [(0, 0), (1, 3)]);
    /// assert_eq!(p.density(), 0.25);
    /// assert_eq!(SparsityPattern::empty(0, 3).density(), 0.0);
    /// ```
    pub fn density(&self) -> f64 {
        let cells = self.nrows as f64 * self.ncols as f64;
        if cells == 0.0 {
            0.0
        } else {
            self.nnz() as f64 / cells
        }
    }
}

/// The structure of a `sprs` matrix (CSR or CSC), explicit zeros included.
impl<N, I, Iptr, IptrStorage, IndStorage, DataStorage>
    From<&CsMatBase<N, I, IptrStorage, IndStorage, DataStorage, Iptr>> for SparsityPattern
where
    I: SpIndex,
    Iptr: SpIndex,
    IptrStorage: Deref<Target = [Iptr]>,
    IndStorage: Deref<Target = [I]>,
    DataStorage: Deref<Target = [N]>,
{
    fn from(m: &CsMatBase<N, I, IptrStorage, IndStorage, DataStorage, Iptr>) -> Self {
        let mut row_ptr = Vec::with_capacity(m.outer_dims() + 1);
        let mut col_idx = Vec::with_capacity(m.nnz());
        row_ptr.push(0);
        for outer in m.outer_iterator() {
            // sprs guarantees strictly increasing inner indices.
            col_idx.extend(outer.indices().iter().map(|i| i.index()));
            row_ptr.push(col_idx.len());
        }
        let p = SparsityPattern {
            nrows: m.outer_dims(),
            ncols: m.inner_dims(),
            row_ptr,
            col_idx,
        };
        if m.is_csr() {
            p
        } else {
            p.transpose()
        }
    }
}

impl fmt::Display for SparsityPattern {
    /// A braille spy plot that fits in 80 columns and 40 lines (see
    /// [`SparsityPattern::spy`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.spy(spy::DEFAULT_WIDTH, spy::DEFAULT_HEIGHT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn reference(nrows: usize, ncols: usize, coords: &[(usize, usize)]) -> Vec<Vec<usize>> {
        let set: BTreeSet<(usize, usize)> = coords.iter().copied().collect();
        let mut rows = vec![Vec::new(); nrows];
        for (r, c) in set {
            assert!(c < ncols);
            rows[r].push(c);
        }
        rows
    }

    fn rows_of(p: &SparsityPattern) -> Vec<Vec<usize>> {
        (0..p.nrows()).map(|i| p.row(i).to_vec()).collect()
    }

    fn example() -> SparsityPattern {
        SparsityPattern::from_coordinates(
            3,
            4,
            [(2, 3), (0, 1), (1, 0), (0, 1), (2, 0), (0, 3), (2, 3)],
        )
    }

    #[test]
    fn from_coordinates_sorts_and_dedups() {
        let p = example();
        assert_eq!(p.shape(), (3, 4));
        assert_eq!(p.nnz(), 5);
        assert_eq!(p.row_ptr(), &[0, 2, 3, 5]);
        assert_eq!(p.col_indices(), &[1, 3, 0, 0, 3]);
        assert_eq!(p.row(2), &[0, 3]);
    }

    #[test]
    fn constructors_agree() {
        let p = example();
        let q = SparsityPattern::from_rows(4, vec![vec![3, 1, 3], vec![0], vec![3, 0]]);
        let sets: Vec<IndexSet> = rows_of(&p)
            .into_iter()
            .map(|r| r.into_iter().collect())
            .collect();
        let s = SparsityPattern::from_index_sets(4, &sets);
        let c = SparsityPattern::from_csr(3, 4, p.row_ptr().to_vec(), p.col_indices().to_vec());
        assert_eq!(p, q);
        assert_eq!(p, s);
        assert_eq!(p, c);
        assert_eq!(
            p.iter().collect::<Vec<_>>(),
            [(0, 1), (0, 3), (1, 0), (2, 0), (2, 3)]
        );
    }

    #[test]
    fn empty_shapes() {
        let p = SparsityPattern::from_coordinates(0, 5, []);
        assert_eq!((p.nrows(), p.ncols(), p.nnz()), (0, 5, 0));
        assert_eq!(p.transpose().shape(), (5, 0));
        assert_eq!(p.density(), 0.0);
        let e = SparsityPattern::empty(3, 2);
        assert_eq!(e.row(2), &[] as &[usize]);
        assert_eq!(e, SparsityPattern::from_rows(2, vec![vec![]; 3]));
    }

    #[test]
    fn contains_and_transpose() {
        let p = example();
        assert!(p.contains(0, 1) && p.contains(2, 3) && !p.contains(1, 1));
        let t = p.transpose();
        assert_eq!(t.shape(), (4, 3));
        for r in 0..3 {
            for c in 0..4 {
                assert_eq!(p.contains(r, c), t.contains(c, r));
            }
        }
        assert_eq!(t.transpose(), p);
    }

    #[test]
    fn symmetry_and_density() {
        let p = SparsityPattern::from_coordinates(3, 3, [(0, 1), (1, 0), (2, 2)]);
        assert!(p.is_symmetric());
        assert!(!example().is_symmetric());
        assert!(!SparsityPattern::from_coordinates(3, 3, [(0, 1)]).is_symmetric());
        assert!((p.density() - 3.0 / 9.0).abs() < 1e-15);
    }

    #[test]
    fn sprs_round_trip() {
        let p = example();
        let m = p.to_sprs();
        assert!(m.is_csr());
        assert_eq!(m.shape(), (3, 4));
        assert!(m.data().iter().all(|&v| v == 1.0));
        assert_eq!(SparsityPattern::from(&m), p);
        let csc = m.to_csc();
        assert_eq!(SparsityPattern::from(&csc), p);
        assert_eq!(SparsityPattern::from(&m.view()), p);
    }

    #[test]
    #[should_panic(expected = "asd: column index 12 out of range for a pattern with 10 columns")]
    fn column_out_of_range() {
        SparsityPattern::from_coordinates(5, 10, [(0, 12)]);
    }

    #[test]
    #[should_panic(expected = "asd: column index 7 out of range for a pattern with 7 columns")]
    fn index_set_column_out_of_range() {
        let sets: Vec<IndexSet> = vec![[0, 3].into_iter().collect(), [2, 7].into_iter().collect()];
        SparsityPattern::from_index_sets(7, &sets);
    }

    #[test]
    #[should_panic(expected = "asd: row index 5 out of range for a pattern with 5 rows")]
    fn row_out_of_range() {
        SparsityPattern::from_coordinates(5, 10, [(5, 0)]);
    }

    #[test]
    #[should_panic(expected = "asd: column index 4 out of range for a pattern with 4 columns")]
    fn from_rows_out_of_range() {
        SparsityPattern::from_rows(4, vec![vec![0, 4]]);
    }

    #[test]
    #[should_panic(expected = "asd: row index 3 out of range for a pattern with 3 rows")]
    fn row_accessor_out_of_range() {
        example().row(3);
    }

    #[test]
    #[should_panic(expected = "asd: column index 9 out of range for a pattern with 4 columns")]
    fn contains_out_of_range() {
        example().contains(0, 9);
    }

    #[test]
    #[should_panic(expected = "not strictly increasing")]
    fn from_csr_checks_order() {
        SparsityPattern::from_csr(1, 4, vec![0, 2], vec![2, 1]);
    }

    /// Found by the `pattern` fuzz target: a pointer past the end, then a decrease back
    /// to it, was sliced before the decrease was seen (an index panic, not this one).
    #[test]
    #[should_panic(expected = "asd: row_ptr decreases at row 1")]
    fn from_csr_checks_every_pointer_before_slicing() {
        SparsityPattern::from_csr(2, 3, vec![0, 3, 0], vec![]);
    }

    #[test]
    fn large_banded_is_linear() {
        let n: usize = 200_000;
        let coords =
            (0..n).flat_map(|i| (i.saturating_sub(1)..(i + 2).min(n)).map(move |j| (i, j)));
        let p = SparsityPattern::from_coordinates(n, n, coords);
        assert_eq!(p.nnz(), 3 * n - 2);
        assert!(p.is_symmetric());
    }

    proptest! {
        #[test]
        fn from_coordinates_matches_btreeset(
            nrows in 1usize..20,
            ncols in 1usize..20,
            raw in prop::collection::vec((0usize..1000, 0usize..1000), 0..120),
        ) {
            let coords: Vec<_> = raw.iter().map(|&(r, c)| (r % nrows, c % ncols)).collect();
            let p = SparsityPattern::from_coordinates(nrows, ncols, coords.iter().copied());
            let want = reference(nrows, ncols, &coords);
            prop_assert_eq!(rows_of(&p), want.clone());
            prop_assert_eq!(p.nnz(), want.iter().map(Vec::len).sum::<usize>());
            let shuffled: Vec<Vec<usize>> = (0..nrows)
                .map(|r| coords.iter().filter(|c| c.0 == r).map(|c| c.1).rev().collect())
                .collect();
            prop_assert_eq!(&SparsityPattern::from_rows(ncols, shuffled), &p);
            let t = p.transpose();
            let flipped: Vec<_> = coords.iter().map(|&(r, c)| (c, r)).collect();
            prop_assert_eq!(rows_of(&t), reference(ncols, nrows, &flipped));
            prop_assert_eq!(t.transpose(), p.clone());
            for &(r, c) in &coords {
                prop_assert!(p.contains(r, c));
            }
        }
    }
}
