//! Decompression of a bicolored Jacobian: some entries from the forward products
//! `J S_col`, the others from the reverse products `Jᵀ S_row`, each a gather worked
//! out at preparation.

use super::{Decompression, Indices, Layout, Recovery};
use crate::coloring::{Bicoloring, NO_COLOR};
use crate::SparsityPattern;

/// Where each entry of a bicolored Jacobian is read: the entries of the seeded
/// columns that are alone in their row among their color, from the forward products
/// (`m` compressed rows, one color per column color); every other, from the reverse
/// products (`n` compressed rows, one per row color). Both maps are gathers into the
/// stored values of the whole Jacobian, computed here once.
///
/// ```
/// use asd_runtime::coloring::{Bicoloring, NO_COLOR};
/// use asd_runtime::decompress::BiDecompression;
/// use asd_runtime::SparsityPattern;
/// // J = [1 2 3; 4 5 0; 6 0 7]: an arrowhead. Column 0 forward gives 1, 4, 6
/// // (S_col = e0); rows 0 and {1, 2} in reverse give the rest.
/// let p = SparsityPattern::from_coordinates(
///     3,
///     3,
///     [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 0), (2, 2)],
/// );
/// let b = Bicoloring::from_colors(vec![0, NO_COLOR, NO_COLOR], vec![0, 1, 1]);
/// let d = BiDecompression::new(&p, &b, 1, 2);
/// let forward = [1.0, 4.0, 6.0]; // J e0, one sweep of one lane
/// // Jᵀ [e0, e1 + e2], one sweep of two lanes: (column, lane) row-major.
/// let reverse = [1.0, 10.0, 2.0, 5.0, 3.0, 7.0];
/// let mut values = [0.0; 7];
/// d.decompress(&forward, &reverse, &mut values);
/// assert_eq!(values, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
/// assert_eq!((d.forward().gather_map().len(), d.reverse().gather_map().len()), (3, 4));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BiDecompression {
    forward: Decompression,
    reverse: Decompression,
}

impl BiDecompression {
    /// The decompression of `pattern` (`m x n`) with `bicoloring`, the forward products
    /// in sweeps of `forward_lanes` lanes and the reverse ones of `reverse_lanes`.
    ///
    /// Panics if the colors have the wrong lengths or some entry can be read from
    /// neither side (the bicoloring is not valid, see
    /// [`is_bicoloring`](crate::coloring::is_bicoloring)).
    ///
    /// See [`BiDecompression`] for an example.
    pub fn new(
        pattern: &SparsityPattern,
        bicoloring: &Bicoloring,
        forward_lanes: usize,
        reverse_lanes: usize,
    ) -> Self {
        let parts = BiParts::new(pattern, bicoloring, forward_lanes, reverse_lanes);
        BiDecompression {
            forward: parts.forward,
            reverse: parts.reverse.scattered(parts.reverse_at, pattern.nnz()),
        }
    }

    /// The entries read from the forward products (`J S_col`, `m` compressed rows),
    /// written into the whole Jacobian's values.
    ///
    /// See [`BiDecompression`] for an example.
    pub fn forward(&self) -> &Decompression {
        &self.forward
    }

    /// The entries read from the reverse products (`Jᵀ S_row`, `n` compressed rows),
    /// written into the whole Jacobian's values.
    ///
    /// See [`BiDecompression`] for an example.
    pub fn reverse(&self) -> &Decompression {
        &self.reverse
    }

    /// Recovers the stored values of the Jacobian (compressed-row order) from the
    /// buffers of all forward and all reverse sweeps, laid out as
    /// [`forward`](Self::forward) and [`reverse`](Self::reverse) say. No allocation.
    ///
    /// See [`BiDecompression`] for an example.
    pub fn decompress(&self, forward: &[f64], reverse: &[f64], values: &mut [f64]) {
        self.forward.decompress(forward, values);
        self.reverse.decompress(reverse, values);
    }
}

/// What a preparation needs: the forward decompression into the whole Jacobian, and
/// the entries read in reverse as a pattern of their own, its decompression and where
/// its entries go among the Jacobian's.
#[derive(Debug)]
pub(crate) struct BiParts {
    pub(crate) forward: Decompression,
    pub(crate) reverse_pattern: SparsityPattern,
    pub(crate) reverse: Decompression,
    pub(crate) reverse_at: Vec<usize>,
}

impl BiParts {
    pub(crate) fn new(
        pattern: &SparsityPattern,
        bicoloring: &Bicoloring,
        forward_lanes: usize,
        reverse_lanes: usize,
    ) -> Self {
        let (m, n) = pattern.shape();
        let (columns, rows) = (bicoloring.column_colors(), bicoloring.row_colors());
        assert_eq!(
            (columns.len(), rows.len()),
            (n, m),
            "asd: the bicoloring colors {} columns and {} rows but the pattern is {m} x {n}",
            columns.len(),
            rows.len()
        );
        // In range by construction (`Bicoloring::from_colors`).
        let (kc, kr) = (bicoloring.ncolumn_colors(), bicoloring.nrow_colors());
        let forward_ok = alone(pattern, columns, kc);
        let t = pattern.transpose();
        let alone_t = alone(&t, rows, kr);
        // Each column's entries come by increasing row: the order of the transpose's rows.
        let mut cursor = t.row_ptr()[..n].to_vec();

        let forward_layout = Layout::new(m, kc, forward_lanes);
        let reverse_layout = Layout::new(n, kr, reverse_lanes);
        let (mut gather, mut forward_at) = (Vec::new(), Vec::new());
        let (mut r_ptr, mut r_idx, mut r_gather, mut reverse_at) =
            (vec![0], Vec::new(), Vec::new(), Vec::new());
        for i in 0..m {
            for (e, &j) in (pattern.row_ptr()[i]..).zip(pattern.row(i)) {
                let reverse_ok = alone_t[cursor[j]];
                cursor[j] += 1;
                if forward_ok[e] {
                    gather.push(forward_layout.index(i, columns[j]));
                    forward_at.push(e);
                } else if reverse_ok {
                    r_idx.push(j);
                    r_gather.push(reverse_layout.index(j, rows[i]));
                    reverse_at.push(e);
                } else {
                    panic!(
                        "asd: invalid bicoloring: entry ({i}, {j}) is mixed with another in the \
                         forward products (column color {}) and in the reverse ones (row color {})",
                        show(columns[j]),
                        show(rows[i])
                    );
                }
            }
            r_ptr.push(r_idx.len());
        }
        let reverse_pattern = SparsityPattern::from_csr(m, n, r_ptr, r_idx);
        let forward = Decompression {
            targets: Some((Indices::new(forward_at, pattern.nnz()), pattern.nnz())),
            ..Decompression::direct(Recovery::Columns, pattern, forward_layout, gather)
        };
        let reverse =
            Decompression::direct(Recovery::Rows, &reverse_pattern, reverse_layout, r_gather);
        BiParts {
            forward,
            reverse_pattern,
            reverse,
            reverse_at,
        }
    }
}

fn show(c: usize) -> String {
    if c == NO_COLOR {
        "none".to_string()
    } else {
        c.to_string()
    }
}

/// For each entry `(i, j)` of `p`: whether `j` is colored and the only column of its
/// color in row `i`.
fn alone(p: &SparsityPattern, colors: &[usize], ncolors: usize) -> Vec<bool> {
    let mut count = vec![(usize::MAX, 0usize); ncolors];
    let mut out = Vec::with_capacity(p.nnz());
    for i in 0..p.nrows() {
        for &j in p.row(i) {
            if let Some(slot) = count.get_mut(colors[j]) {
                *slot = if slot.0 == i { (i, slot.1 + 1) } else { (i, 1) };
            }
        }
        out.extend(
            p.row(i)
                .iter()
                .map(|&j| count.get(colors[j]).is_some_and(|s| s.1 == 1)),
        );
    }
    out
}
