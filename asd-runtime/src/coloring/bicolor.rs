//! Star bicoloring (Gebremedhin, Manne & Pothen 2005, section 4.3; done as in
//! SparseMatrixColorings.jl): some columns are seeded for forward products (JVPs),
//! some rows for reverse products (VJPs), and every nonzero is read directly from one
//! of them.
//!
//! The bipartite graph of `J` (`m x n`) is the symmetric pattern
//! `A = [[0, Jᵀ], [J, 0]]` of size `n + m`: vertex `j < n` is column `j`, vertex
//! `n + i` is row `i`, and `J[i][j]` is the edge between them. A star coloring of `A`
//! gives every edge a *hub*: the endpoint that holds it alone among its neighbors of
//! the other endpoint's color. When the hub is column `j`, row `i` sees `j` alone in
//! its color and `J[i][j]` is entry `(i, c(j))` of the forward products `J S_col`;
//! when the hub is row `i`, it is entry `(j, r(i))` of the reverse products
//! `Jᵀ S_row`. Only hubs need a seed: the others get [`NO_COLOR`], and the colors left
//! are numbered apart on each side, so that the JVPs and VJPs are as many as the
//! colors that hub columns and hub rows use.

use super::graph::Graph;
use super::star::{star, Adjacency};
use super::{order, Order, NONE};
use crate::SparsityPattern;

/// The color of a column or row that a [`Bicoloring`] does not seed: its entries are
/// all read from the other side.
///
/// ```
/// use asd_runtime::coloring::NO_COLOR;
/// assert_eq!(NO_COLOR, usize::MAX);
/// ```
pub const NO_COLOR: usize = NONE;

/// Colors of the columns (forward products) and of the rows (reverse products) of a
/// Jacobian, each side numbered from 0, [`NO_COLOR`] where a column or row is not
/// seeded. Evaluation costs [`ncolumn_colors`](Self::ncolumn_colors) JVPs and
/// [`nrow_colors`](Self::nrow_colors) VJPs.
///
/// ```
/// use asd_runtime::coloring::{bicoloring, bicoloring_best, is_bicoloring, NO_COLOR};
/// use asd_runtime::{Order, SparsityPattern};
/// // An arrowhead: dense first row, dense first column, diagonal. One-sided
/// // colorings need 6 colors; a bicoloring, 3 products.
/// let n = 6;
/// let p = SparsityPattern::from_coordinates(
///     n,
///     n,
///     (0..n).flat_map(|i| [(0, i), (i, 0), (i, i)]),
/// );
/// let b = bicoloring_best(&p);
/// assert!(is_bicoloring(&p, b.column_colors(), b.row_colors()));
/// assert_eq!(b.ncolors(), 3);
/// // Every order gives a valid bicoloring, not always a small one.
/// let natural = bicoloring(&p, Order::Natural);
/// assert!(is_bicoloring(&p, natural.column_colors(), natural.row_colors()));
/// assert_eq!(b.ncolors(), b.ncolumn_colors() + b.nrow_colors());
/// // The hand-made one: column 0 alone forward, rows 0 and the others in reverse.
/// let mut rows = vec![1; n];
/// rows[0] = 0;
/// let mut columns = vec![NO_COLOR; n];
/// columns[0] = 0;
/// assert!(is_bicoloring(&p, &columns, &rows));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bicoloring {
    columns: Vec<usize>,
    rows: Vec<usize>,
    ncolumn_colors: usize,
    nrow_colors: usize,
}

impl Bicoloring {
    /// Wraps colors computed elsewhere: one per column and one per row, [`NO_COLOR`]
    /// for those not seeded. Each side's count is its largest color plus one.
    ///
    /// ```
    /// use asd_runtime::coloring::{Bicoloring, NO_COLOR};
    /// let b = Bicoloring::from_colors(vec![0, NO_COLOR, 1], vec![NO_COLOR, 0]);
    /// assert_eq!((b.ncolumn_colors(), b.nrow_colors(), b.ncolors()), (2, 1, 3));
    /// ```
    pub fn from_colors(columns: Vec<usize>, rows: Vec<usize>) -> Self {
        let count = |colors: &[usize]| {
            colors
                .iter()
                .filter(|&&c| c != NO_COLOR)
                .max()
                .map_or(0, |&c| c + 1)
        };
        Bicoloring {
            ncolumn_colors: count(&columns),
            nrow_colors: count(&rows),
            columns,
            rows,
        }
    }

    /// The color of each column, [`NO_COLOR`] for a column not seeded.
    ///
    /// See [`Bicoloring`] for an example.
    pub fn column_colors(&self) -> &[usize] {
        &self.columns
    }

    /// The color of each row, [`NO_COLOR`] for a row not seeded.
    ///
    /// See [`Bicoloring`] for an example.
    pub fn row_colors(&self) -> &[usize] {
        &self.rows
    }

    /// Column colors: the JVPs an evaluation makes.
    ///
    /// See [`Bicoloring`] for an example.
    pub fn ncolumn_colors(&self) -> usize {
        self.ncolumn_colors
    }

    /// Row colors: the VJPs an evaluation makes.
    ///
    /// See [`Bicoloring`] for an example.
    pub fn nrow_colors(&self) -> usize {
        self.nrow_colors
    }

    /// All colors: JVPs plus VJPs.
    ///
    /// See [`Bicoloring`] for an example.
    pub fn ncolors(&self) -> usize {
        self.ncolumn_colors + self.nrow_colors
    }
}

/// Star-bicolors `p` (`m x n`): a star coloring of its bipartite graph in `order`
/// (vertices: the `n` columns, then the `m` rows), each edge read at its hub, colors
/// kept only for hubs and numbered apart on each side. Valid by construction; see
/// [`is_bicoloring`](super::is_bicoloring) for the condition.
///
/// See [`Bicoloring`] for an example.
pub fn bicoloring(p: &SparsityPattern, order: Order) -> Bicoloring {
    let g = Adjacency::new(&bipartite(p), "star bi");
    let degrees = if order::needs_degrees(order) {
        g.lists.degrees()
    } else {
        Vec::new()
    };
    separate(p, &g, &order::vertices(&g.lists, order, &degrees))
}

/// The bicoloring with the fewest products over `orders` and the order that colors
/// the sparsest vertices first (ties: the earliest), giving up on an order as soon as
/// it is known to lose.
pub(crate) fn bicoloring_among(p: &SparsityPattern, orders: &[Order]) -> Bicoloring {
    let g = Adjacency::new(&bipartite(p), "star bi");
    let degrees = g.lists.degrees();
    let mut best: Option<Bicoloring> = None;
    let candidates = orders
        .iter()
        .map(|&o| order::vertices(&g.lists, o, &degrees))
        .chain([sparsest_first(&degrees)]);
    for vertices in candidates {
        let b = separate(p, &g, &vertices);
        if best.as_ref().is_none_or(|x| b.ncolors() < x.ncolors()) {
            best = Some(b);
        }
    }
    best.expect("at least one order")
}

/// [`bicoloring`] with the fewest products over every [`Order`] and the order that
/// colors the sparsest vertices first (which is what an arrowhead needs: its dense row
/// and column last, so that they take colors of their own).
///
/// ```
/// use asd_runtime::coloring::{bicoloring_best, is_bicoloring};
/// use asd_runtime::{color_columns, color_rows, Order, SparsityPattern};
/// let n = 50;
/// let arrow = SparsityPattern::from_coordinates(
///     n,
///     n,
///     (0..n).flat_map(|i| [(0, i), (i, 0), (i, i)]),
/// );
/// assert_eq!(color_columns(&arrow, Order::LargestFirst).ncolors(), n);
/// assert_eq!(color_rows(&arrow, Order::LargestFirst).ncolors(), n);
/// let b = bicoloring_best(&arrow);
/// assert!(is_bicoloring(&arrow, b.column_colors(), b.row_colors()));
/// assert_eq!(b.ncolors(), 3);
/// ```
pub fn bicoloring_best(p: &SparsityPattern) -> Bicoloring {
    bicoloring_among(p, &Order::ALL)
}

/// Vertices by degree ascending, ties by index.
fn sparsest_first(degrees: &[usize]) -> Vec<usize> {
    let mut v: Vec<usize> = (0..degrees.len()).collect();
    v.sort_by_key(|&v| degrees[v]);
    v
}

/// The bipartite graph of `p` as a symmetric pattern: columns `0..n`, rows `n..n + m`.
fn bipartite(p: &SparsityPattern) -> SparsityPattern {
    let (m, n) = p.shape();
    let t = p.transpose();
    let mut ptr = Vec::with_capacity(n + m + 1);
    let mut idx = Vec::with_capacity(2 * p.nnz());
    ptr.push(0);
    for j in 0..n {
        idx.extend(t.row(j).iter().map(|&i| n + i));
        ptr.push(idx.len());
    }
    for i in 0..m {
        idx.extend_from_slice(p.row(i));
        ptr.push(idx.len());
    }
    SparsityPattern::from_csr(n + m, n + m, ptr, idx)
}

/// Star-colors the bipartite graph `g` of `p` in `order` and keeps the colors hubs need.
fn separate(p: &SparsityPattern, g: &Adjacency, order: &[usize]) -> Bicoloring {
    let (m, n) = p.shape();
    let core = star(g, order);
    let colors = core.coloring.colors();
    let ncolors = core.coloring.ncolors();
    let (forward, reverse) = readable(p, &colors[..n], &colors[n..], ncolors);

    // Edges readable one way only fix their hub; the others (single-edge stars) go
    // where a seed or a color is already paid for.
    let mut seeded_column = vec![false; n];
    let mut seeded_row = vec![false; m];
    let (mut used_column, mut used_row) = (vec![false; ncolors], vec![false; ncolors]);
    let mut either = Vec::new();
    for (e, (i, j)) in p.iter().enumerate() {
        match (forward[e], reverse[e]) {
            (true, false) => {
                seeded_column[j] = true;
                used_column[colors[j]] = true;
            }
            (false, true) => {
                seeded_row[i] = true;
                used_row[colors[n + i]] = true;
            }
            (true, true) => either.push((i, j)),
            (false, false) => unreachable!("asd: a star coloring reads every edge at its hub"),
        }
    }
    let (mut ncolumn, mut nrow) = (
        used_column.iter().filter(|&&u| u).count(),
        used_row.iter().filter(|&&u| u).count(),
    );
    for (i, j) in either {
        let (cj, ri) = (colors[j], colors[n + i]);
        let by_column = if seeded_column[j] || seeded_row[i] {
            seeded_column[j]
        } else if used_column[cj] || used_row[ri] {
            used_column[cj]
        } else {
            ncolumn <= nrow
        };
        if by_column {
            seeded_column[j] = true;
            ncolumn += usize::from(!used_column[cj]);
            used_column[cj] = true;
        } else {
            seeded_row[i] = true;
            nrow += usize::from(!used_row[ri]);
            used_row[ri] = true;
        }
    }
    Bicoloring::from_colors(
        renumber(&colors[..n], &seeded_column, &used_column),
        renumber(&colors[n..], &seeded_row, &used_row),
    )
}

/// For each entry of `p` (compressed-row order): whether its column is alone in its
/// row among the columns of its color (readable in forward mode), and whether its row
/// is alone in its column among the rows of its color (reverse mode).
fn readable(
    p: &SparsityPattern,
    columns: &[usize],
    rows: &[usize],
    ncolors: usize,
) -> (Vec<bool>, Vec<bool>) {
    // count[c] = (owner, how many): colors seen in the current row (column).
    let mut count = vec![(NONE, 0usize); ncolors];
    let mut forward = Vec::with_capacity(p.nnz());
    for i in 0..p.nrows() {
        for &j in p.row(i) {
            let slot = &mut count[columns[j]];
            *slot = if slot.0 == i { (i, slot.1 + 1) } else { (i, 1) };
        }
        forward.extend(p.row(i).iter().map(|&j| count[columns[j]].1 == 1));
    }
    let t = p.transpose();
    count.fill((NONE, 0));
    let mut alone_t = Vec::with_capacity(p.nnz());
    for j in 0..t.nrows() {
        for &i in t.row(j) {
            let slot = &mut count[rows[i]];
            *slot = if slot.0 == j { (j, slot.1 + 1) } else { (j, 1) };
        }
        alone_t.extend(t.row(j).iter().map(|&i| count[rows[i]].1 == 1));
    }
    // Walking p by rows visits each column's entries by increasing row: the order of
    // the transpose's rows.
    let mut cursor = t.row_ptr()[..t.nrows()].to_vec();
    let reverse = p
        .col_indices()
        .iter()
        .map(|&j| {
            cursor[j] += 1;
            alone_t[cursor[j] - 1]
        })
        .collect();
    (forward, reverse)
}

/// Colors of the seeded vertices numbered `0..` in the order of the used colors;
/// [`NO_COLOR`] for the others.
fn renumber(colors: &[usize], seeded: &[bool], used: &[bool]) -> Vec<usize> {
    let mut number = vec![NO_COLOR; used.len()];
    let mut next = 0;
    for (c, &u) in used.iter().enumerate() {
        if u {
            number[c] = next;
            next += 1;
        }
    }
    colors
        .iter()
        .zip(seeded)
        .map(|(&c, &s)| if s { number[c] } else { NO_COLOR })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coloring::{color_columns_best, color_rows_best, is_bicoloring};
    use crate::decompress::BiDecompression;

    fn arrowhead(n: usize) -> SparsityPattern {
        SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| [(0, i), (i, 0), (i, i)]))
    }

    /// `B = A S` (or `Aᵀ S` given `Aᵀ`) by the definition, unseeded vertices left out,
    /// written where `layout` says.
    fn compress(a: &[Vec<f64>], colors: &[usize], layout: &crate::decompress::Layout) -> Vec<f64> {
        let mut flat = vec![0.0; layout.len()];
        for (i, row) in a.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                if colors[j] != NO_COLOR {
                    flat[layout.index(i, colors[j])] += v;
                }
            }
        }
        flat
    }

    /// Decompresses a matrix of `p`'s structure with entry `(i, j)` = `1 + i + 1000 j`
    /// (every sum of two distinct entries differs from every entry) and compares.
    fn roundtrip(p: &SparsityPattern, b: &Bicoloring, lanes: (usize, usize)) {
        let (m, n) = p.shape();
        let mut a = vec![vec![0.0; n]; m];
        for (i, j) in p.iter() {
            a[i][j] = 1.0 + i as f64 + 1000.0 * j as f64;
        }
        let at: Vec<Vec<f64>> = (0..n).map(|j| a.iter().map(|r| r[j]).collect()).collect();
        let d = BiDecompression::new(p, b, lanes.0, lanes.1);
        let forward = compress(&a, b.column_colors(), d.forward().layout());
        let reverse = compress(&at, b.row_colors(), d.reverse().layout());
        let mut values = vec![f64::NAN; p.nnz()];
        d.decompress(&forward, &reverse, &mut values);
        let want: Vec<f64> = p.iter().map(|(i, j)| a[i][j]).collect();
        assert_eq!(values, want, "{b:?}");
    }

    #[test]
    fn arrowheads_take_n_colors_one_sided_and_three_bicolored() {
        for n in [2, 3, 4, 10, 100, 1000] {
            let p = arrowhead(n);
            assert_eq!(color_columns_best(&p).ncolors(), n);
            assert_eq!(color_rows_best(&p).ncolors(), n);
            let b = bicoloring_best(&p);
            assert!(
                is_bicoloring(&p, b.column_colors(), b.row_colors()),
                "n = {n}"
            );
            assert!(b.ncolors() <= 3, "n = {n}: {} colors", b.ncolors());
            for lanes in [(1, 1), (2, 1), (4, 8)] {
                roundtrip(&p, &b, lanes);
            }
        }
    }

    /// The bicoloring of a transposed pattern has the same count (the sides swap).
    #[test]
    fn a_transposed_arrowhead_with_a_longer_tail() {
        let (m, n) = (30, 7);
        let p = SparsityPattern::from_coordinates(
            m,
            n,
            (0..m).flat_map(|i| [(i, 0), (0, i % n), (i, (i % (n - 1)) + 1)]),
        );
        for p in [p.clone(), p.transpose()] {
            let b = bicoloring_best(&p);
            assert!(is_bicoloring(&p, b.column_colors(), b.row_colors()));
            roundtrip(&p, &b, (2, 2));
        }
    }

    #[test]
    fn every_order_gives_a_valid_bicoloring() {
        let p = SparsityPattern::from_coordinates(
            5,
            6,
            [
                (0, 0),
                (0, 5),
                (1, 1),
                (1, 2),
                (2, 0),
                (2, 3),
                (3, 4),
                (4, 1),
                (4, 5),
                (0, 3),
            ],
        );
        for order in Order::ALL.into_iter().chain([Order::Random(3)]) {
            let b = bicoloring(&p, order);
            assert!(
                is_bicoloring(&p, b.column_colors(), b.row_colors()),
                "{order:?}"
            );
            roundtrip(&p, &b, (1, 2));
        }
        // Empty rows and columns get no color.
        let sparse = SparsityPattern::from_coordinates(3, 3, [(1, 1)]);
        let b = bicoloring_best(&sparse);
        assert_eq!(b.ncolors(), 1);
        assert_eq!(b.column_colors()[0], NO_COLOR);
        assert_eq!(b.row_colors()[2], NO_COLOR);
        let empty = SparsityPattern::empty(2, 3);
        assert_eq!(bicoloring_best(&empty).ncolors(), 0);
    }

    /// The checker refuses what loses or mixes an entry, which a valid bicoloring
    /// changed in one place does.
    #[test]
    fn the_checker_refuses_tampered_bicolorings() {
        let n = 8;
        let p = arrowhead(n);
        let b = bicoloring_best(&p);
        let (cols, rows) = (b.column_colors().to_vec(), b.row_colors().to_vec());
        assert!(is_bicoloring(&p, &cols, &rows));
        let mut refused = 0;
        for j in 0..n {
            for c in (0..3).chain([NO_COLOR]) {
                let mut t = cols.clone();
                t[j] = c;
                let valid = is_bicoloring(&p, &t, &rows);
                refused += usize::from(!valid);
                let decompress = std::panic::catch_unwind(|| {
                    BiDecompression::new(
                        &p,
                        &Bicoloring::from_colors(t.clone(), rows.clone()),
                        1,
                        1,
                    )
                });
                assert_eq!(decompress.is_ok(), valid, "columns {t:?}");
            }
        }
        for i in 0..n {
            for c in (0..3).chain([NO_COLOR]) {
                let mut t = rows.clone();
                t[i] = c;
                let valid = is_bicoloring(&p, &cols, &t);
                refused += usize::from(!valid);
                let decompress = std::panic::catch_unwind(|| {
                    BiDecompression::new(
                        &p,
                        &Bicoloring::from_colors(cols.clone(), t.clone()),
                        1,
                        1,
                    )
                });
                assert_eq!(decompress.is_ok(), valid, "rows {t:?}");
            }
        }
        assert!(refused >= n, "only {refused} tampered bicolorings refused");
        // Nothing seeded, wrong lengths, one color for all: refused.
        assert!(!is_bicoloring(&p, &vec![NO_COLOR; n], &vec![NO_COLOR; n]));
        assert!(!is_bicoloring(&p, &cols[1..], &rows));
        assert!(!is_bicoloring(&p, &vec![0; n], &vec![NO_COLOR; n]));
        assert!(!is_bicoloring(&p, &vec![NO_COLOR; n], &vec![0; n]));
        // Everything distinct on one side is a (dense) valid coloring.
        assert!(is_bicoloring(
            &p,
            &(0..n).collect::<Vec<_>>(),
            &vec![NO_COLOR; n]
        ));
    }
}
