//! Seeds and decompression maps, computed once at preparation.
//!
//! Compressed AD evaluates the Jacobian (or Hessian) times a seed matrix `S` with one
//! column per color: `B = J S` in forward mode (`S` is `n x c`, `S[j][color(j)] = 1`),
//! `B = Jᵀ S` in reverse mode (`S` is `m x c`, by row colors). Generated code computes
//! `B` in sweeps of `L` lanes, so [`Layout`] fixes where each color lives: color `k` is
//! lane `k % L` of sweep `k / L`, and sweep `s` writes its own contiguous
//! `rows x L` row-major block `s` of one flat buffer.
//!
//! A [`Decompression`] knows, for every stored entry of the result (in the CSR order of
//! the output [`sprs::CsMat`], whose structure is the pattern), which flat index of that
//! buffer holds it. Evaluation is then a gather, `values[e] = compressed[map[e]]`, with
//! no search and no allocation; acyclic Hessian colorings add a precomputed list of
//! substitutions (see [`Decompression::acyclic`]).
//!
//! ```
//! use asd_runtime::decompress::{Decompression, Layout};
//! use asd_runtime::{Coloring, SparsityPattern};
//!
//! // A diagonal 3 x 3 Jacobian: one color, one JVP with seed (1, 1, 1).
//! let p = SparsityPattern::from_rows(3, vec![vec![0], vec![1], vec![2]]);
//! let d = Decompression::columns(&p, &Coloring::from_colors(vec![0, 0, 0]), 1);
//! let compressed = [2.0, 3.0, 4.0]; // J (1, 1, 1)ᵀ, one sweep of one lane
//! let mut values = [0.0; 3];
//! d.decompress(&compressed, &mut values);
//! assert_eq!(values, [2.0, 3.0, 4.0]);
//! assert_eq!(d.layout(), &Layout::new(3, 1, 1));
//! ```

mod bicolor;
mod symmetric;

pub use bicolor::BiDecompression;
pub(crate) use bicolor::BiParts;

pub(crate) use symmetric::check_symmetric;

use std::ops::Range;

use sprs::CsMat;

use crate::{Coloring, SparsityPattern};

/// Where color `k` of compressed row `r` lives in the flat buffer of all sweeps.
///
/// Sweep `s` covers colors `s*L .. s*L + L` and owns the contiguous block
/// [`Layout::block`]`(s)`, an `rows x L` row-major array (`[[f64; L]]`, one entry per
/// compressed row), which is exactly what a lane kernel writes.
///
/// ```
/// use asd_runtime::decompress::Layout;
/// // 5 colors of 3 compressed rows, 2 lanes per sweep: 3 sweeps, the last half used.
/// let l = Layout::new(3, 5, 2);
/// assert_eq!((l.rows(), l.lanes(), l.nsweeps(), l.len()), (3, 2, 3, 18));
/// assert_eq!(l.index(1, 3), 9); // sweep 1, row 1, lane 1
/// assert_eq!(l.block(1), 6..12);
/// assert!(l.block(1).contains(&l.index(1, 3)));
/// assert!(!l.is_empty() && Layout::new(0, 5, 2).is_empty());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    rows: usize,
    lanes: usize,
    nsweeps: usize,
}

impl Layout {
    /// The layout of `ncolors` colors of `rows` compressed rows in sweeps of `lanes` lanes.
    ///
    /// See [`Layout`] for an example.
    pub fn new(rows: usize, ncolors: usize, lanes: usize) -> Self {
        assert!(lanes > 0, "asd: a sweep needs at least one lane");
        Layout {
            rows,
            lanes,
            nsweeps: ncolors.div_ceil(lanes),
        }
    }

    /// Flat index of color `color` of compressed row `row`.
    ///
    /// See [`Layout`] for an example.
    #[inline]
    pub fn index(&self, row: usize, color: usize) -> usize {
        let (sweep, lane) = (color / self.lanes, color % self.lanes);
        (sweep * self.rows + row) * self.lanes + lane
    }

    /// `index(0, k)` for every color `k` of the sweeps (`nsweeps() * lanes()` of them):
    /// `index(i, k)` is then `index(0, k) + i * lanes()`, without the division `index`
    /// makes.
    pub(crate) fn color_offsets(&self) -> Vec<usize> {
        (0..self.nsweeps * self.lanes)
            .map(|k| self.index(0, k))
            .collect()
    }

    /// The flat range sweep `sweep` writes.
    ///
    /// See [`Layout`] for an example.
    #[inline]
    pub fn block(&self, sweep: usize) -> Range<usize> {
        let len = self.rows * self.lanes;
        sweep * len..(sweep + 1) * len
    }

    /// Length of the flat buffer of all sweeps.
    ///
    /// See [`Layout`] for an example.
    pub fn len(&self) -> usize {
        self.nsweeps * self.rows * self.lanes
    }

    /// True when there is nothing to compute (no colors or no rows).
    ///
    /// See [`Layout`] for an example.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Compressed rows per sweep: `m` for forward mode, `n` for reverse mode and Hessians.
    ///
    /// See [`Layout`] for an example.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Lanes per sweep (`L`).
    ///
    /// See [`Layout`] for an example.
    pub fn lanes(&self) -> usize {
        self.lanes
    }

    /// Number of sweeps, `ceil(ncolors / L)`.
    ///
    /// See [`Layout`] for an example.
    pub fn nsweeps(&self) -> usize {
        self.nsweeps
    }
}

/// Writes the seed lanes of sweep `sweep` into `seed` (`colors.len() x lanes`, row-major):
/// lane `l` of entry `j` is 1 exactly when `colors[j] == sweep * lanes + l`. Lanes past
/// the last color stay zero.
///
/// The seed of one sweep is rebuilt from the colors rather than stored for every sweep,
/// so the seeds cost `n x L` memory instead of `n x c`.
///
/// ```
/// use asd_runtime::decompress::fill_seed;
/// // Colors of 4 columns, 3 colors, swept 2 lanes at a time.
/// let colors = [0, 1, 0, 2];
/// let mut seed = [9.0; 4 * 2];
/// fill_seed(&colors, 0, 2, &mut seed); // colors 0 and 1
/// assert_eq!(seed, [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0]);
/// fill_seed(&colors, 1, 2, &mut seed); // color 2, and an unused lane
/// assert_eq!(seed, [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
/// ```
pub fn fill_seed(colors: &[usize], sweep: usize, lanes: usize, seed: &mut [f64]) {
    assert_eq!(
        seed.len(),
        colors.len() * lanes,
        "asd: the seed buffer has length {} but {} entries of {} lanes need {}",
        seed.len(),
        colors.len(),
        lanes,
        colors.len() * lanes
    );
    seed.fill(0.0);
    for (j, &k) in colors.iter().enumerate() {
        if let Some(lane) = lane_in_sweep(k, sweep, lanes) {
            seed[j * lanes + lane] = 1.0;
        }
    }
}

/// The lane of color `k` in the sweep `sweep` of `lanes` lanes, if it is in that sweep:
/// where [`fill_seed`] puts the one of an input of that color.
pub(crate) fn lane_in_sweep(k: usize, sweep: usize, lanes: usize) -> Option<usize> {
    k.checked_sub(sweep * lanes).filter(|&lane| lane < lanes)
}

/// The full seed matrix `S` (`colors.len() x ncolors`, `S[j][color(j)] = 1`), for
/// checking and display; evaluation uses [`fill_seed`] one sweep at a time.
///
/// ```
/// use asd_runtime::{decompress::seed_matrix, Coloring};
/// let s = seed_matrix(&Coloring::from_colors(vec![0, 1, 0]));
/// assert_eq!(s.shape(), (3, 2));
/// assert_eq!(
///     (s.get(0, 0), s.get(1, 1), s.get(2, 0)),
///     (Some(&1.0), Some(&1.0), Some(&1.0))
/// );
/// assert_eq!(s.nnz(), 3);
/// ```
pub fn seed_matrix(coloring: &Coloring) -> CsMat<f64> {
    let n = coloring.colors().len();
    CsMat::new(
        (n, coloring.ncolors()),
        (0..=n).collect(),
        coloring.colors().to_vec(),
        vec![1.0; n],
    )
}

/// A matrix with the structure of `pattern` and all stored values zero: the output a
/// preparation allocates once and decompresses into.
///
/// ```
/// use asd_runtime::{decompress::zeros, SparsityPattern};
/// let p = SparsityPattern::from_coordinates(2, 3, [(0, 2), (1, 0)]);
/// let m = zeros(&p);
/// assert_eq!(m.data(), [0.0, 0.0]);
/// assert_eq!(SparsityPattern::from(&m), p);
/// ```
pub fn zeros(pattern: &SparsityPattern) -> CsMat<f64> {
    pattern.to_sprs_filled(0.0)
}

/// How the entries are recovered from the compressed products.
///
/// ```
/// use asd_runtime::decompress::{Decompression, Recovery};
/// use asd_runtime::{Coloring, SparsityPattern};
/// let p = SparsityPattern::from_coordinates(2, 2, [(0, 0), (1, 1)]);
/// let one = Coloring::from_colors(vec![0, 0]);
/// assert_eq!(
///     Decompression::columns(&p, &one, 1).recovery(),
///     Recovery::Columns
/// );
/// assert_eq!(Decompression::rows(&p, &one, 1).recovery(), Recovery::Rows);
/// assert_eq!(Decompression::star(&p, &one, 1).recovery(), Recovery::Star);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Column coloring, forward mode: `J[i][j] = B[i][color(j)]`.
    Columns,
    /// Row coloring, reverse mode: `J[i][j] = B[j][color(i)]`.
    Rows,
    /// Star coloring of a symmetric matrix, direct: each entry from `B[i][c(j)]` or,
    /// when that sum is shared, from its mirror `B[j][c(i)]`.
    Star,
    /// Acyclic coloring of a symmetric matrix, by substitution along the two-colored trees.
    Acyclic,
}

/// One substitution of acyclic recovery: `values[target] -= sum(values[subtract[range]])`,
/// then `values[mirror] = values[target]`. The range starts where the previous step's ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Step {
    target: usize,
    mirror: usize,
    end: usize,
}

/// A decompression map from compressed sweeps to the stored values of a sparse result.
///
/// Built once from a pattern, a coloring and the lane count; [`Decompression::decompress`]
/// then runs without searching and without allocating.
///
/// ```
/// use asd_runtime::decompress::{Decompression, Layout, Recovery};
/// use asd_runtime::{Coloring, SparsityPattern};
/// // J = [1 2 0; 0 3 4]: columns 0 and 2 share no row, so 2 colors.
/// let p = SparsityPattern::from_coordinates(2, 3, [(0, 0), (0, 1), (1, 1), (1, 2)]);
/// let d = Decompression::columns(&p, &Coloring::from_colors(vec![0, 1, 0]), 2);
/// assert_eq!(d.recovery(), Recovery::Columns);
/// assert_eq!(d.shape(), (2, 3));
/// assert_eq!(d.layout(), &Layout::new(2, 2, 2)); // one sweep of both colors
/// // Entry (i, j) comes from lane color(j) of compressed row i.
/// assert_eq!(d.gather_map(), [0, 1, 3, 2]);
/// assert_eq!(d.nsubstitutions(), 0); // a pure gather
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decompression {
    recovery: Recovery,
    shape: (usize, usize),
    layout: Layout,
    /// For every stored entry, in CSR order: its flat index in the compressed buffer.
    gather: Indices,
    /// Acyclic only: substitutions, in an order where every subtracted entry is final.
    steps: Vec<Step>,
    subtract: Vec<usize>,
    /// For a decompression of some rows of a larger result (the rows that are not
    /// constant): where each recovered entry goes among the result's `nvalues` stored
    /// values. `None`: the result is the pattern, in its order.
    targets: Option<(Indices, usize)>,
}

impl Decompression {
    /// Column (forward-mode) decompression of an `m x n` pattern with a column coloring:
    /// `J[i][j] = B[i][color(j)]`, `B = J S` computed in sweeps of `lanes` lanes.
    ///
    /// Panics if the coloring has the wrong length or two columns of one color share a row.
    ///
    /// ```
    /// use asd_runtime::decompress::Decompression;
    /// use asd_runtime::{Coloring, SparsityPattern};
    /// // J = [1 2 0; 0 3 4], columns 0 and 2 colored alike.
    /// let p = SparsityPattern::from_coordinates(2, 3, [(0, 0), (0, 1), (1, 1), (1, 2)]);
    /// let d = Decompression::columns(&p, &Coloring::from_colors(vec![0, 1, 0]), 2);
    /// // B = J S with S = [e0 + e2, e1]: row 0 is (1 + 0, 2), row 1 is (0 + 4, 3).
    /// let compressed = [1.0, 2.0, 4.0, 3.0];
    /// let mut values = [0.0; 4];
    /// d.decompress(&compressed, &mut values);
    /// assert_eq!(values, [1.0, 2.0, 3.0, 4.0]); // J's entries in CSR order
    /// ```
    pub fn columns(pattern: &SparsityPattern, coloring: &Coloring, lanes: usize) -> Self {
        let d = Self::columns_of_valid(pattern, coloring, lanes);
        check_distinct(pattern, coloring, "column", "row");
        d
    }

    /// [`columns`](Self::columns) for a coloring this crate computed, which is valid by
    /// construction: the per-entry distinctness check would cost as much as the map.
    /// Still panics if the coloring has the wrong length.
    pub(crate) fn columns_of_valid(
        pattern: &SparsityPattern,
        coloring: &Coloring,
        lanes: usize,
    ) -> Self {
        check_colors(coloring, pattern.ncols(), "columns");
        let colors = coloring.colors();
        let layout = Layout::new(pattern.nrows(), coloring.ncolors(), lanes);
        // index(i, k) = index(0, k) + i * lanes: a table per color instead of a
        // division per entry.
        let color_offset = layout.color_offsets();
        let (ptr, idx) = (pattern.row_ptr(), pattern.col_indices());
        // One pass over all entries, then the row offsets row by row: extending the map
        // row by row costs a call per row, more than a short row's entries.
        let mut gather: Vec<usize> = idx.iter().map(|&j| color_offset[colors[j]]).collect();
        for (i, w) in ptr.windows(2).enumerate() {
            for g in &mut gather[w[0]..w[1]] {
                *g += i * lanes;
            }
        }
        Self::direct(Recovery::Columns, pattern, layout, gather)
    }

    /// Row (reverse-mode) decompression of an `m x n` pattern with a row coloring:
    /// `J[i][j] = B[j][color(i)]`, `B = Jᵀ S` computed in sweeps of `lanes` lanes.
    ///
    /// Panics if the coloring has the wrong length or two rows of one color share a column.
    ///
    /// ```
    /// use asd_runtime::decompress::Decompression;
    /// use asd_runtime::{Coloring, SparsityPattern};
    /// // J = [1 2 0; 0 3 4]: both rows meet column 1, so 2 colors.
    /// let p = SparsityPattern::from_coordinates(2, 3, [(0, 0), (0, 1), (1, 1), (1, 2)]);
    /// let d = Decompression::rows(&p, &Coloring::from_colors(vec![0, 1]), 2);
    /// // B = Jᵀ S with S = I: one compressed row per column of J.
    /// let compressed = [1.0, 0.0, 2.0, 3.0, 0.0, 4.0];
    /// let mut values = [0.0; 4];
    /// d.decompress(&compressed, &mut values);
    /// assert_eq!(values, [1.0, 2.0, 3.0, 4.0]);
    /// ```
    pub fn rows(pattern: &SparsityPattern, coloring: &Coloring, lanes: usize) -> Self {
        let d = Self::rows_of_valid(pattern, coloring, lanes);
        // Validity is per column: the rows of the transpose.
        check_distinct(&pattern.transpose(), coloring, "row", "column");
        d
    }

    /// [`rows`](Self::rows) for a coloring this crate computed, valid by construction:
    /// skips the check and the transpose it needs. Still panics if the coloring has the
    /// wrong length.
    pub(crate) fn rows_of_valid(
        pattern: &SparsityPattern,
        coloring: &Coloring,
        lanes: usize,
    ) -> Self {
        check_colors(coloring, pattern.nrows(), "rows");
        let colors = coloring.colors();
        let layout = Layout::new(pattern.ncols(), coloring.ncolors(), lanes);
        let color_offset = layout.color_offsets();
        let (ptr, idx) = (pattern.row_ptr(), pattern.col_indices());
        // As in `columns_of_valid`: all entries at once, then the per-row offsets.
        let mut gather: Vec<usize> = idx.iter().map(|&j| j * lanes).collect();
        for (w, &color) in ptr.windows(2).zip(colors) {
            // index(j, k) = index(0, k) + j * lanes.
            for g in &mut gather[w[0]..w[1]] {
                *g += color_offset[color];
            }
        }
        Self::direct(Recovery::Rows, pattern, layout, gather)
    }

    fn direct(
        recovery: Recovery,
        pattern: &SparsityPattern,
        layout: Layout,
        gather: Vec<usize>,
    ) -> Self {
        Decompression {
            recovery,
            shape: pattern.shape(),
            gather: Indices::new(gather, layout.len()),
            layout,
            steps: Vec::new(),
            subtract: Vec::new(),
            targets: None,
        }
    }

    /// This direct decompression writing into a result of `nvalues` stored values, entry
    /// `k` of the pattern to `targets[k]`: the other entries are left as they are.
    pub(crate) fn scattered(self, targets: Vec<usize>, nvalues: usize) -> Self {
        assert!(
            self.steps.is_empty(),
            "asd: substitutions are not scattered"
        );
        assert_eq!(
            targets.len(),
            self.gather.len(),
            "asd: one target per entry"
        );
        Decompression {
            targets: Some((Indices::new(targets, nvalues), nvalues)),
            ..self
        }
    }

    /// How entries are recovered.
    ///
    /// See [`Decompression`] for an example.
    pub fn recovery(&self) -> Recovery {
        self.recovery
    }

    /// Shape of the result.
    ///
    /// See [`Decompression`] for an example.
    pub fn shape(&self) -> (usize, usize) {
        self.shape
    }

    /// Where each color of each compressed row lives.
    ///
    /// See [`Decompression`] for an example.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// For every stored entry (CSR order), the flat compressed index it is gathered from
    /// (a copy: the map is held in 4 bytes an index where they suffice).
    /// For acyclic recovery, off-diagonal entries are then corrected by substitution.
    ///
    /// See [`Decompression`] for an example.
    pub fn gather_map(&self) -> Vec<usize> {
        self.gather.to_vec()
    }

    /// Entries it recovers: the length of [`gather_map`](Self::gather_map).
    pub(crate) fn gather_map_len(&self) -> usize {
        self.gather.len()
    }

    /// Number of substitutions acyclic recovery runs after the gather (0 otherwise).
    ///
    /// See [`Decompression::acyclic`] for an example with substitutions.
    pub fn nsubstitutions(&self) -> usize {
        self.steps.len()
    }

    /// Recovers the stored values (CSR order of the pattern) from the compressed buffer
    /// of all sweeps. Pure gather plus, for acyclic colorings, precomputed substitutions.
    ///
    /// See [`columns`](Self::columns), [`rows`](Self::rows), [`star`](Self::star) and
    /// [`acyclic`](Self::acyclic) for examples.
    pub fn decompress(&self, compressed: &[f64], values: &mut [f64]) {
        self.check_lengths(compressed, values);
        self.recover(compressed, None, values);
        let mut start = 0;
        for step in &self.steps {
            let mut h = values[step.target];
            for &p in &self.subtract[start..step.end] {
                h -= values[p];
            }
            values[step.target] = h;
            values[step.mirror] = h;
            start = step.end;
        }
    }

    fn check_lengths(&self, compressed: &[f64], values: &[f64]) {
        assert_eq!(
            compressed.len(),
            self.layout.len(),
            "asd: the compressed buffer has length {} but the decompression expects length {}",
            compressed.len(),
            self.layout.len()
        );
        let expected = self.targets.as_ref().map_or(self.gather.len(), |t| t.1);
        assert_eq!(
            values.len(),
            expected,
            "asd: the result has {} stored entries but the decompression expects {}",
            values.len(),
            expected
        );
    }

    /// [`decompress`](Self::decompress) of a scattered decompression
    /// ([`scattered`](Self::scattered)), each entry it recovers less `less[e]`: what
    /// entries outside its pattern add to the entry's compressed product (constant ones,
    /// whose colors are not its pattern's).
    pub(crate) fn decompress_less(&self, compressed: &[f64], less: &[f64], values: &mut [f64]) {
        assert_eq!(
            less.len(),
            self.gather.len(),
            "asd: one correction per entry"
        );
        assert!(
            self.targets.is_some(),
            "asd: corrections are for scattered entries"
        );
        self.check_lengths(compressed, values);
        self.recover(compressed, Some(less), values);
    }

    fn recover(&self, compressed: &[f64], less: Option<&[f64]>, values: &mut [f64]) {
        let (entries, at) = (0..self.gather.len(), self.target(0));
        self.recover_part(compressed, less.unwrap_or(&[]), entries, &mut values[at..]);
    }

    /// Whether this decompression is a gather alone (into every stored entry, or
    /// scattered), no substitution: its entries can then be recovered in parts, on
    /// several threads ([`recover_part`](Self::recover_part)).
    pub(crate) fn is_gather(&self) -> bool {
        self.steps.is_empty()
    }

    /// Where the `k`-th entry of the gather map lands among the stored values (`k`
    /// unless scattered); for `k` the map's length, the number of stored values. The
    /// targets increase with `k`, so entries `ks` land in `target(ks.start)..
    /// target(ks.end)`.
    pub(crate) fn target(&self, k: usize) -> usize {
        match &self.targets {
            None => k,
            Some((targets, nvalues)) => targets.get(k).unwrap_or(*nvalues),
        }
    }

    /// The gather of the map's entries `ks` into `values`, the stored values from
    /// `target(ks.start)` on, each less `less[k]` when `less` is not empty (a scattered
    /// gather's corrections, see [`decompress_less`](Self::decompress_less)).
    pub(crate) fn recover_part(
        &self,
        compressed: &[f64],
        less: &[f64],
        ks: std::ops::Range<usize>,
        values: &mut [f64],
    ) {
        let Some((targets, _)) = &self.targets else {
            return self.gather_part(compressed, ks.start, values);
        };
        let less = (!less.is_empty()).then(|| &less[ks.clone()]);
        let at = self.target(ks.start);
        let ks = || ks.clone();
        use Indices::{Narrow, Wide};
        match (&self.gather, targets) {
            (Narrow(m), Narrow(t)) => scatter(compressed, &m[ks()], &t[ks()], less, values, at),
            (Narrow(m), Wide(t)) => scatter(compressed, &m[ks()], &t[ks()], less, values, at),
            (Wide(m), Narrow(t)) => scatter(compressed, &m[ks()], &t[ks()], less, values, at),
            (Wide(m), Wide(t)) => scatter(compressed, &m[ks()], &t[ks()], less, values, at),
        }
    }

    /// The gather of the stored entries `first..first + values.len()` into `values`.
    pub(crate) fn gather_part(&self, compressed: &[f64], first: usize, values: &mut [f64]) {
        match &self.gather {
            Indices::Narrow(map) => gather(compressed, &map[first..], values),
            Indices::Wide(map) => gather(compressed, &map[first..], values),
        }
    }

    /// [`Decompression::decompress`] into a matrix whose structure is the pattern.
    ///
    /// ```
    /// use asd_runtime::decompress::{zeros, Decompression};
    /// use asd_runtime::{Coloring, SparsityPattern};
    /// let p = SparsityPattern::from_coordinates(2, 3, [(0, 0), (0, 1), (1, 1), (1, 2)]);
    /// let d = Decompression::columns(&p, &Coloring::from_colors(vec![0, 1, 0]), 2);
    /// let mut jac = zeros(&p); // allocated once
    /// d.decompress_into(&[1.0, 2.0, 4.0, 3.0], &mut jac);
    /// assert_eq!(jac.get(1, 2), Some(&4.0));
    /// assert_eq!(jac.get(1, 0), None);
    /// ```
    pub fn decompress_into(&self, compressed: &[f64], out: &mut CsMat<f64>) {
        assert!(
            out.is_csr() && out.shape() == self.shape,
            "asd: the output matrix is {:?} ({}) but the decompression makes a {:?} CSR matrix",
            out.shape(),
            if out.is_csr() { "CSR" } else { "CSC" },
            self.shape
        );
        self.decompress(compressed, out.data_mut());
    }
}

/// Indices below a bound: in 4 bytes when it is at most 2^32, as every one that fits in
/// memory today is. A gather map (where each stored entry is gathered from, its flat
/// index in the compressed buffer) and a scattered gather's targets are read whole at
/// each evaluation: for a large result their bytes are a third of those a gather moves.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Indices {
    Narrow(Vec<u32>),
    Wide(Vec<usize>),
}

impl Indices {
    /// `indices`, each below `bound`.
    fn new(indices: Vec<usize>, bound: usize) -> Self {
        match u32::try_from(bound.saturating_sub(1)) {
            Ok(_) => Indices::Narrow(indices.iter().map(|&k| k as u32).collect()),
            Err(_) => Indices::Wide(indices),
        }
    }

    fn len(&self) -> usize {
        match self {
            Indices::Narrow(v) => v.len(),
            Indices::Wide(v) => v.len(),
        }
    }

    fn get(&self, k: usize) -> Option<usize> {
        match self {
            Indices::Narrow(v) => v.get(k).map(|&i| i.at()),
            Indices::Wide(v) => v.get(k).copied(),
        }
    }

    fn to_vec(&self) -> Vec<usize> {
        match self {
            Indices::Narrow(v) => v.iter().map(|&i| i.at()).collect(),
            Indices::Wide(v) => v.clone(),
        }
    }
}

/// An index of [`Indices`].
trait Index: Copy {
    fn at(self) -> usize;
}

impl Index for u32 {
    fn at(self) -> usize {
        self as usize
    }
}

impl Index for usize {
    fn at(self) -> usize {
        self
    }
}

/// `values[e] = compressed[map[e]]`.
fn gather<I: Index>(compressed: &[f64], map: &[I], values: &mut [f64]) {
    for (v, &k) in values.iter_mut().zip(map) {
        *v = compressed[k.at()];
    }
}

/// `values[targets[e] - at] = compressed[map[e]]`, `- less[e]` if given.
///
/// Into a large result, each write first asks for its cache line [`AHEAD`] entries
/// before: the entries are sparse there (the diagonal of a 5-point stencil's Hessian, one
/// in five stored values), each on a line of its own, which the processor's prefetchers
/// do not bring in time. H3 at n = 10^6, 10^6 entries into 40 MB: a prepared Hessian
/// took 15.0 ms, 13.2 ms with the prefetch and the 4-byte targets of [`Indices`].
fn scatter<I: Index, J: Index>(
    compressed: &[f64],
    map: &[I],
    targets: &[J],
    less: Option<&[f64]>,
    values: &mut [f64],
    at: usize,
) {
    // The targets `AHEAD` entries on, whose lines are asked for: none in a small result.
    let ahead = if values.len() >= PREFETCH_FROM {
        targets.get(AHEAD..).unwrap_or(&[])
    } else {
        &[]
    };
    for (e, (&t, &k)) in targets.iter().zip(map).enumerate() {
        if let Some(&next) = ahead.get(e) {
            prefetch(values, next.at() - at);
        }
        values[t.at() - at] = compressed[k.at()] - less.map_or(0.0, |less| less[e]);
    }
}

/// Stored values from which a scattered gather prefetches: 1 MiB, the second-level
/// cache of most processors.
const PREFETCH_FROM: usize = 1 << 17;

/// How many entries ahead a scattered gather prefetches: 8 to 64 measured alike.
const AHEAD: usize = 16;

/// Asks for the cache line of `values[i]`, to be written soon. On x86-64 only (a hint:
/// elsewhere, nothing).
#[inline(always)]
#[allow(unsafe_code)]
fn prefetch(values: &[f64], i: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is in the x86-64 baseline, and a prefetch neither reads nor faults,
        // whatever the address (`wrapping_add` keeps the arithmetic defined).
        unsafe { _mm_prefetch::<_MM_HINT_T0>(values.as_ptr().wrapping_add(i).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (values, i);
}

/// Panics unless `coloring` colors exactly `expected` columns or rows.
fn check_colors(coloring: &Coloring, expected: usize, what: &str) {
    assert_eq!(
        coloring.colors().len(),
        expected,
        "asd: the coloring has {} colors but the pattern has {} {}",
        coloring.colors().len(),
        expected,
        what
    );
    if let Some(&k) = coloring.colors().iter().find(|&&k| k >= coloring.ncolors()) {
        panic!(
            "asd: color {} is out of range: the coloring claims {} colors",
            k,
            coloring.ncolors()
        );
    }
}

/// Panics unless the entries of every row of `p` have distinct colors (`coloring` colors
/// the columns of `p`): otherwise a compressed entry `B[i][k]` would be a sum. `what`
/// names the colored axis of the original pattern, `across` the other one.
fn check_distinct(p: &SparsityPattern, coloring: &Coloring, what: &str, across: &str) {
    let colors = coloring.colors();
    // owner[k] = (row, column) that last used color k.
    let mut owner = vec![(usize::MAX, 0); coloring.ncolors()];
    for i in 0..p.nrows() {
        for &j in p.row(i) {
            let k = colors[j];
            if owner[k].0 == i {
                panic!(
                    "asd: invalid {what} coloring: {what}s {} and {j} share {across} {i} and color {k}",
                    owner[k].1
                );
            }
            owner[k] = (i, j);
        }
    }
}

#[cfg(test)]
mod tests;
