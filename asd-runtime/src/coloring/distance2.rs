//! Partial distance-2 coloring of one side of a bipartite graph (columns for JVPs, rows
//! for VJPs): greedy, in a vertex order, with the colors near a vertex found by words.

use super::search::best_of;
use super::*;

impl Bipartite<'_> {
    /// A lower bound on the colors: the vertices of one middle need distinct colors.
    pub(super) fn lower_bound(&self) -> usize {
        let vp = self.to_vertex.row_ptr();
        vp.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0)
    }

    /// The best coloring in `orders` (see [`best_of`] for `below`), if it has fewer
    /// than `cap` colors.
    pub(super) fn color_below(
        &self,
        orders: &[Order],
        cap: usize,
        below: impl Fn(usize) -> usize,
    ) -> Option<Coloring> {
        let mut inputs = OrderInputs::default();
        best_of(orders, self.lower_bound(), cap, below, |order, cap| {
            let c = self.greedy_in(order, &mut inputs, cap)?;
            let n = c.ncolors();
            Some((c, n))
        })
    }

    /// [`greedy`](Self::greedy) in the vertex order `order`. The natural order is not
    /// built, and the dynamic orders that can are computed as the coloring goes, so that
    /// giving up early saves the rest of the order. The orders that need degrees walk
    /// the neighbors of every vertex, so the intersection graph is stored once in
    /// `inputs` for all of them (unless it would be too large, e.g. with a dense
    /// middle). The others use it when an earlier order stored it, and otherwise walk
    /// the pattern: incidence degree may give up after a few vertices.
    fn greedy_in(&self, order: Order, inputs: &mut OrderInputs, cap: usize) -> Option<Coloring> {
        if order == Order::Natural {
            // A plain range, not a listed order of n indices: the coloring most
            // preparations keep.
            return self.greedy(0..self.nvertices(), cap);
        }
        if !order::needs_degrees(order) {
            match &inputs.graph {
                Some(Some(g)) => self.greedy(order::lazy_vertices(g, order, &[]), cap),
                _ => self.greedy(order::lazy_vertices(self, order, &[]), cap),
            }
        } else if let Some(g) = inputs
            .graph
            .get_or_insert_with(|| NeighborLists::intersection(self))
        {
            let d = inputs.degrees.get_or_insert_with(|| g.degrees());
            self.greedy(order::lazy_vertices(g, order, d), cap)
        } else {
            let d = inputs.degrees.get_or_insert_with(|| self.degrees());
            self.greedy(order::lazy_vertices(self, order, d), cap)
        }
    }

    /// Greedy first-fit in `order` (a permutation of the vertices). Gives up (`None`) as
    /// soon as a vertex needs color `cap - 1`: the coloring cannot have fewer than `cap`
    /// colors.
    pub(super) fn greedy(
        &self,
        order: impl IntoIterator<Item = usize>,
        cap: usize,
    ) -> Option<Coloring> {
        self.greedy_in_palette(order, cap, 0)
    }

    /// Greedy in `order`, each vertex taking the first color allowed in the palette
    /// `0..palette` counted cyclically from the color after the previous vertex's, and
    /// only when the palette is exhausted the first allowed color past it. `palette = 0`
    /// is plain first-fit. Gives up as [`greedy`](Self::greedy) does.
    ///
    /// Each middle keeps the mask of the colors below 64 its vertices have taken, so a
    /// vertex finds the colors near it with one OR per middle: linear in the size of the
    /// pattern, where visiting every neighbor costs the sum of the squared middle
    /// lengths. Only a vertex that needs a color from 64 on visits its neighbors, into
    /// a stamped `forbidden` array.
    pub(super) fn greedy_in_palette(
        &self,
        order: impl IntoIterator<Item = usize>,
        cap: usize,
        palette: usize,
    ) -> Option<Coloring> {
        let n = self.nvertices();
        let (mp, mi) = (self.to_mid.row_ptr(), self.to_mid.col_indices());
        let (vp, vi) = (self.to_vertex.row_ptr(), self.to_vertex.col_indices());
        let mut color = vec![NONE; n];
        let mut taken = vec![0u64; self.to_vertex.nrows()];
        // forbidden[c] == v: color c is taken near v. A vertex has fewer than n
        // neighbors, so colors stay below n.
        let mut forbidden = Vec::new();
        let below = |c: usize| if c >= 64 { u64::MAX } else { (1u64 << c) - 1 };
        // Where the cyclic search of the palette starts: after the previous color.
        let mut start = 0;
        for v in order {
            let mids = &mi[mp[v]..mp[v + 1]];
            let near = mids.iter().fold(0, |m, &r| m | taken[r]);
            let free = !near;
            let in_palette = free & below(palette);
            let c = if palette <= 64 && in_palette & !below(start) != 0 {
                (in_palette & !below(start)).trailing_zeros() as usize
            } else if palette <= 64 && in_palette != 0 {
                in_palette.trailing_zeros() as usize
            } else if palette <= 64 && free != 0 {
                free.trailing_zeros() as usize
            } else {
                if forbidden.is_empty() {
                    forbidden = vec![NONE; n];
                }
                for &r in mids {
                    for &w in &vi[vp[r]..vp[r + 1]] {
                        if color[w] != NONE {
                            forbidden[color[w]] = v;
                        }
                    }
                }
                allowed_in_palette(&forbidden, v, start, palette)
            };
            if c + 1 >= cap {
                return None;
            }
            color[v] = c;
            start = if c + 1 < palette { c + 1 } else { 0 };
            if c < 64 {
                for &r in mids {
                    taken[r] |= 1 << c;
                }
            }
        }
        Some(Coloring::from_colors(color))
    }
}

/// What the degree orders of one [`Bipartite`] side need, computed on first use:
/// its intersection graph (`Some(None)`: too large to store) and its degrees.
#[derive(Default)]
struct OrderInputs {
    graph: Option<Option<NeighborLists>>,
    degrees: Option<Vec<usize>>,
}

/// The first color `c` with `forbidden[c] != v` in the palette `0..palette` counted
/// cyclically from `start`, or if none the smallest past the palette: with `palette = 0`,
/// the smallest, as [`first_allowed`].
#[inline]
pub(super) fn allowed_in_palette(
    forbidden: &[usize],
    v: usize,
    start: usize,
    palette: usize,
) -> usize {
    let p = palette.min(forbidden.len());
    let start = start.min(p);
    (start..p)
        .chain(0..start)
        .find(|&c| forbidden[c] != v)
        .unwrap_or_else(|| {
            p + forbidden[p..]
                .iter()
                .position(|&f| f != v)
                .unwrap_or(forbidden.len() - p)
        })
}

/// Colors the columns of `p` so that two columns sharing a row differ: one JVP per
/// color then gives the Jacobian. Never more colors than columns, and at least the
/// longest row.
///
/// ```
/// use asd_runtime::coloring::{color_columns, is_column_coloring};
/// use asd_runtime::{Order, SparsityPattern};
///
/// // Tridiagonal 5 x 5: columns j and j + 3 never share a row.
/// let p = SparsityPattern::from_coordinates(
///     5,
///     5,
///     (0..5usize).flat_map(|i| [i.saturating_sub(1), i, (i + 1).min(4)].map(|j| (i, j))),
/// );
/// let c = color_columns(&p, Order::Natural);
/// assert_eq!(c.colors(), &[0, 1, 2, 0, 1]);
/// assert_eq!(c.ncolors(), 3);
/// assert!(is_column_coloring(&p, c.colors()));
/// ```
pub fn color_columns(p: &SparsityPattern, order: Order) -> Coloring {
    Sides::new(p)
        .color_columns(&[order], usize::MAX, every_color)
        .expect("no cap")
}

/// Colors the rows of `p` so that two rows sharing a column differ: one VJP per color
/// then gives the Jacobian.
///
/// ```
/// use asd_runtime::{color_rows, coloring::is_row_coloring, Order, SparsityPattern};
/// // y_i = x_i * x_{i+1}: rows i and i + 2 share no column.
/// let p = SparsityPattern::from_coordinates(4, 5, (0..4).flat_map(|i| [(i, i), (i, i + 1)]));
/// let c = color_rows(&p, Order::Natural);
/// assert_eq!(c.colors(), [0, 1, 0, 1]);
/// assert!(is_row_coloring(&p, c.colors()));
/// ```
pub fn color_rows(p: &SparsityPattern, order: Order) -> Coloring {
    Sides::new(p)
        .color_rows(&[order], usize::MAX, every_color)
        .expect("no cap")
}
