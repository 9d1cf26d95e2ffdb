//! Graph colorings that compress sparse Jacobians and Hessians.
//!
//! - [`color_columns`] / [`color_rows`]: partial distance-2 colorings, so that columns
//!   (rows) of one color never share a row (column) and one JVP (VJP) per color gives
//!   the whole Jacobian (Gebremedhin, Manne & Pothen 2005, "What color is your
//!   Jacobian?").
//! - [`star_coloring`]: symmetric patterns, every Hessian entry read directly from one
//!   HVP; [`acyclic_coloring`]: fewer colors, entries recovered by substitution
//!   (Gebremedhin, Tarafdar, Manne & Pothen 2007, Algorithms 4.1 and 3.1).
//!
//! All are greedy: vertices take, in an [`Order`], the smallest color their neighbors
//! allow. The `_best` variants try several orders and keep the fewest colors. The
//! `is_*` checkers test the definitions by brute force, independently of the colorers.

mod acyclic;
mod check;
mod order;
mod star;

pub use acyclic::acyclic_coloring;
pub use check::{is_acyclic_coloring, is_column_coloring, is_row_coloring, is_star_coloring};
pub use star::star_coloring;

use crate::SparsityPattern;
use order::{Graph, Marks};

/// "No color yet" / "no vertex": an index no graph reaches.
const NONE: usize = usize::MAX;

/// The order in which greedy coloring visits vertices. It changes the color count,
/// never the validity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Index order.
    Natural,
    /// Static degree descending, ties by index ascending.
    LargestFirst,
    /// Repeatedly remove a vertex of least remaining degree; color in reverse removal
    /// order (ColPack's buckets and ties).
    SmallestLast,
    /// Next, the vertex with most already-ordered neighbors (ColPack's buckets and ties).
    IncidenceDegree,
    /// Next, the vertex of largest degree among the unordered ones (ColPack's buckets
    /// and ties).
    DynamicLargestFirst,
    /// A permutation drawn from the seed, reproducible across runs and platforms.
    Random(u64),
}

/// The orders the `_best` helpers try, cheapest first; ties keep the earliest.
pub const BEST_ORDERS: [Order; 5] = [
    Order::Natural,
    Order::LargestFirst,
    Order::SmallestLast,
    Order::IncidenceDegree,
    Order::DynamicLargestFirst,
];

/// One color per vertex (column, row or variable), `0..ncolors()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coloring {
    colors: Vec<usize>,
    ncolors: usize,
}

impl Coloring {
    /// Number of colors: the number of JVPs, VJPs or HVPs a compressed evaluation makes.
    pub fn ncolors(&self) -> usize {
        self.ncolors
    }

    /// The color of each vertex.
    pub fn colors(&self) -> &[usize] {
        &self.colors
    }

    /// Wraps colors computed elsewhere; `ncolors` is the largest color plus one (0 when
    /// there is no vertex). The colorers of this module use every color below it.
    pub fn from_colors(colors: Vec<usize>) -> Self {
        let ncolors = colors.iter().max().map_or(0, |&c| c + 1);
        Coloring { colors, ncolors }
    }

    /// The colors, without the wrapper.
    pub fn into_colors(self) -> Vec<usize> {
        self.colors
    }
}

/// A star coloring and its 2-colored stars: for each off-diagonal nonzero `(i, j)`,
/// the hub of its star, whose row does *not* hold the entry alone (the entry is
/// `B[spoke][color(hub)]` in the compressed Hessian `B = H S`).
#[derive(Clone, Debug)]
pub struct StarColoring {
    coloring: Coloring,
    /// The off-diagonal adjacency of the pattern, in compressed rows.
    adj_ptr: Vec<usize>,
    adj: Vec<usize>,
    /// `hubs[k]`: hub of the star holding the edge `(i, adj[k])`, `k` in row `i`.
    hubs: Vec<usize>,
    nstars: usize,
}

impl StarColoring {
    /// The colors.
    pub fn coloring(&self) -> &Coloring {
        &self.coloring
    }

    /// The colors, without the star data.
    pub fn into_coloring(self) -> Coloring {
        self.coloring
    }

    /// The hub of the 2-colored star that holds the edge `{i, j}`: the endpoint whose
    /// other neighbors in the star share the color of the other endpoint. A star of a
    /// single edge has no true hub; its larger endpoint is returned (either would do).
    /// `None` if `{i, j}` is not an off-diagonal nonzero.
    pub fn hub(&self, i: usize, j: usize) -> Option<usize> {
        let row = self
            .adj
            .get(*self.adj_ptr.get(i)?..*self.adj_ptr.get(i + 1)?)?;
        let k = row.binary_search(&j).ok()?;
        Some(self.hubs[self.adj_ptr[i] + k])
    }

    /// Number of 2-colored stars, single edges included.
    pub fn nstars(&self) -> usize {
        self.nstars
    }
}

/// An acyclic coloring: every cycle of the pattern's graph uses at least 3 colors, so
/// each pair of colors induces a forest and the Hessian follows by substitution.
#[derive(Clone, Debug)]
pub struct AcyclicColoring {
    coloring: Coloring,
}

impl AcyclicColoring {
    /// The colors.
    pub fn coloring(&self) -> &Coloring {
        &self.coloring
    }

    /// The colors, without the wrapper.
    pub fn into_coloring(self) -> Coloring {
        self.coloring
    }
}

// ---- partial distance-2 coloring -----------------------------------------------------

/// One side of the bipartite graph of a pattern: vertex `v` meets the "middle" indices
/// `to_mid.row(v)`, and middle `r` meets the vertices `to_vertex.row(r)`. For columns,
/// `to_mid` is the transpose and `to_vertex` the pattern. The intersection graph (two
/// vertices adjacent when they share a middle) is never built.
struct Bipartite<'a> {
    to_mid: &'a SparsityPattern,
    to_vertex: &'a SparsityPattern,
}

impl Graph for Bipartite<'_> {
    fn nvertices(&self) -> usize {
        self.to_mid.nrows()
    }

    fn neighbors_into(&self, v: usize, marks: &mut Marks, out: &mut Vec<usize>) {
        out.clear();
        marks.begin();
        marks.insert(v);
        let (mp, mi) = (self.to_mid.row_ptr(), self.to_mid.col_indices());
        let (vp, vi) = (self.to_vertex.row_ptr(), self.to_vertex.col_indices());
        for &r in &mi[mp[v]..mp[v + 1]] {
            for &w in &vi[vp[r]..vp[r + 1]] {
                if marks.insert(w) {
                    out.push(w);
                }
            }
        }
    }
}

impl Bipartite<'_> {
    /// Greedy first-fit in `order`: O(sum over middles of their length squared), with a
    /// stamped `forbidden` array instead of clearing per vertex.
    fn greedy(&self, order: &[usize]) -> Coloring {
        let n = self.nvertices();
        let (mp, mi) = (self.to_mid.row_ptr(), self.to_mid.col_indices());
        let (vp, vi) = (self.to_vertex.row_ptr(), self.to_vertex.col_indices());
        let mut color = vec![NONE; n];
        // forbidden[c] == v: color c is taken near v. A vertex has fewer than n
        // neighbors, so colors stay below n.
        let mut forbidden = vec![NONE; n];
        for &v in order {
            for &r in &mi[mp[v]..mp[v + 1]] {
                for &w in &vi[vp[r]..vp[r + 1]] {
                    let c = color[w];
                    if c != NONE {
                        forbidden[c] = v;
                    }
                }
            }
            color[v] = first_allowed(&forbidden, v);
        }
        Coloring::from_colors(color)
    }

    /// A lower bound on the colors: the vertices of one middle need distinct colors.
    fn lower_bound(&self) -> usize {
        let vp = self.to_vertex.row_ptr();
        vp.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0)
    }

    fn color(&self, order: Order) -> Coloring {
        let degrees = if order::needs_degrees(order) {
            self.degrees()
        } else {
            Vec::new()
        };
        self.greedy(&order::vertices(self, order, &degrees))
    }

    fn best(&self) -> Coloring {
        let bound = self.lower_bound();
        let mut degrees = None;
        best_of(bound, |order| {
            if order::needs_degrees(order) && degrees.is_none() {
                degrees = Some(self.degrees());
            }
            let d = degrees.as_deref().unwrap_or(&[]);
            let c = self.greedy(&order::vertices(self, order, d));
            let n = c.ncolors();
            (c, n)
        })
    }
}

/// The smallest color `c` with `forbidden[c] != v`.
#[inline]
fn first_allowed(forbidden: &[usize], v: usize) -> usize {
    forbidden
        .iter()
        .position(|&f| f != v)
        .unwrap_or(forbidden.len())
}

/// Runs `attempt` on [`BEST_ORDERS`] and keeps the first result with fewest colors;
/// stops early when an attempt reaches `lower_bound`, since no later one can win.
fn best_of<T>(lower_bound: usize, mut attempt: impl FnMut(Order) -> (T, usize)) -> T {
    let mut best: Option<(T, usize)> = None;
    for order in BEST_ORDERS {
        let (result, n) = attempt(order);
        if best.as_ref().is_none_or(|&(_, b)| n < b) {
            best = Some((result, n));
        }
        if best.as_ref().is_some_and(|&(_, b)| b <= lower_bound) {
            break;
        }
    }
    best.expect("BEST_ORDERS is not empty").0
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
    let t = p.transpose();
    Bipartite {
        to_mid: &t,
        to_vertex: p,
    }
    .color(order)
}

/// Colors the rows of `p` so that two rows sharing a column differ: one VJP per color
/// then gives the Jacobian.
pub fn color_rows(p: &SparsityPattern, order: Order) -> Coloring {
    let t = p.transpose();
    Bipartite {
        to_mid: p,
        to_vertex: &t,
    }
    .color(order)
}

/// [`color_columns`] with the fewest colors over [`BEST_ORDERS`] (ties: the earliest).
pub fn color_columns_best(p: &SparsityPattern) -> Coloring {
    let t = p.transpose();
    Bipartite {
        to_mid: &t,
        to_vertex: p,
    }
    .best()
}

/// [`color_rows`] with the fewest colors over [`BEST_ORDERS`] (ties: the earliest).
pub fn color_rows_best(p: &SparsityPattern) -> Coloring {
    let t = p.transpose();
    Bipartite {
        to_mid: p,
        to_vertex: &t,
    }
    .best()
}

/// [`star_coloring`] with the fewest colors over [`BEST_ORDERS`] (ties: the earliest).
///
/// # Panics
/// If `p` is not square and symmetric.
#[track_caller]
pub fn star_coloring_best(p: &SparsityPattern) -> StarColoring {
    let g = star::Adjacency::new(p, "star");
    let bound = g.lower_bound();
    let degrees = g.degrees();
    let core = best_of(bound, |order| {
        let s = star::star(&g, &order::vertices(&g, order, &degrees));
        let n = s.coloring.ncolors();
        (s, n)
    });
    g.into_star(core)
}

/// [`acyclic_coloring`] with the fewest colors over [`BEST_ORDERS`] (ties: the earliest).
///
/// # Panics
/// If `p` is not square and symmetric.
#[track_caller]
pub fn acyclic_coloring_best(p: &SparsityPattern) -> AcyclicColoring {
    let g = star::Adjacency::new(p, "acyclic");
    let bound = g.lower_bound();
    let degrees = g.degrees();
    best_of(bound, |order| {
        let a = acyclic::acyclic(&g, &order::vertices(&g, order, &degrees));
        let n = a.coloring.ncolors();
        (a, n)
    })
}

#[cfg(test)]
mod tests;
