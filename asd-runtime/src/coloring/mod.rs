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

use std::borrow::Cow;

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

/// The orders a Jacobian preparation tries unless told one: the natural order, and
/// incidence degree, which is computed as the coloring goes and so stops as soon as it
/// cannot do better. The other orders each pay a pass over the column intersection
/// graph before their first color, which costs more than the rest of a preparation
/// (on J2, two to three times the natural coloring). On ColPack's seven reference
/// matrices, both sides, these two already reach the fewest sweeps any of
/// [`BEST_ORDERS`] reaches, and the fewest lanes on all sides but one (tested); `_best`
/// and [`Order`] are there when fewer colors are worth a longer search.
pub const SEARCH_ORDERS: [Order; 2] = [Order::Natural, Order::IncidenceDegree];

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
/// vertices adjacent when they share a middle) is only built, as [`NeighborLists`],
/// for the degree orders ([`Bipartite::greedy_in`]).
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
    /// A lower bound on the colors: the vertices of one middle need distinct colors.
    fn lower_bound(&self) -> usize {
        let vp = self.to_vertex.row_ptr();
        vp.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0)
    }

    /// The best coloring in `orders` (see [`best_of`] for `below`), if it has fewer
    /// than `cap` colors.
    fn color_below(
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
    ///
    /// Each middle keeps the mask of the colors below 64 its vertices have taken, so a
    /// vertex finds the colors near it with one OR per middle: linear in the size of the
    /// pattern, where visiting every neighbor costs the sum of the squared middle
    /// lengths. Only a vertex that finds the first 64 colors all taken visits its
    /// neighbors, into a stamped `forbidden` array.
    fn greedy(&self, order: impl IntoIterator<Item = usize>, cap: usize) -> Option<Coloring> {
        let n = self.nvertices();
        let (mp, mi) = (self.to_mid.row_ptr(), self.to_mid.col_indices());
        let (vp, vi) = (self.to_vertex.row_ptr(), self.to_vertex.col_indices());
        let mut color = vec![NONE; n];
        let mut taken = vec![0u64; self.to_vertex.nrows()];
        // forbidden[c] == v: color c is taken near v. A vertex has fewer than n
        // neighbors, so colors stay below n.
        let mut forbidden = Vec::new();
        for v in order {
            let mids = &mi[mp[v]..mp[v + 1]];
            let near = mids.iter().fold(0, |m, &r| m | taken[r]);
            let c = if near != u64::MAX {
                (!near).trailing_zeros() as usize
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
                first_allowed(&forbidden, v)
            };
            if c + 1 >= cap {
                return None;
            }
            color[v] = c;
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

/// A graph stored as neighbor lists: vertex `v`'s neighbors are `adj[ptr[v]..ptr[v + 1]]`.
pub(crate) struct NeighborLists {
    pub(crate) ptr: Vec<usize>,
    pub(crate) adj: Vec<usize>,
}

impl NeighborLists {
    /// The intersection graph of one side of a [`Bipartite`] graph: each vertex's
    /// distinct neighbors in the order the bipartite walk meets them (the dynamic orders'
    /// ties depend on it). `None` if the graph would have more than a few times as many
    /// entries as the bipartite graph: a dense middle makes it quadratic.
    fn intersection(b: &Bipartite<'_>) -> Option<Self> {
        let n = b.nvertices();
        let budget = 32 * (b.to_mid.nnz() + n);
        let mut marks = Marks::new(n);
        let mut out = Vec::new();
        let mut ptr = Vec::with_capacity(n + 1);
        let mut adj = Vec::new();
        ptr.push(0);
        for v in 0..n {
            b.neighbors_into(v, &mut marks, &mut out);
            if adj.len() + out.len() > budget {
                return None;
            }
            adj.extend_from_slice(&out);
            ptr.push(adj.len());
        }
        Some(NeighborLists { ptr, adj })
    }

    #[inline]
    pub(crate) fn neighbors(&self, v: usize) -> &[usize] {
        &self.adj[self.ptr[v]..self.ptr[v + 1]]
    }

    #[inline]
    pub(crate) fn degree(&self, v: usize) -> usize {
        self.ptr[v + 1] - self.ptr[v]
    }
}

impl Graph for NeighborLists {
    fn nvertices(&self) -> usize {
        self.ptr.len() - 1
    }

    fn neighbors_into(&self, v: usize, _: &mut Marks, out: &mut Vec<usize>) {
        out.clear();
        out.extend_from_slice(self.neighbors(v));
    }

    fn lend_neighbors<'a>(&'a self, v: usize, _: &mut Marks, _: &mut Vec<usize>) -> &'a [usize] {
        self.neighbors(v)
    }

    fn degrees(&self) -> Vec<usize> {
        (0..self.nvertices()).map(|v| self.degree(v)).collect()
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

/// Runs `attempt` on `orders` and keeps the first result with fewest colors, if one
/// has fewer than `cap`. A later result replaces the best so far, `b` colors,
/// only with fewer than `below(b)`: `below` is the identity when every color counts,
/// and lower when fewer colors would not make an evaluation cheaper (11 and 12 colors
/// both take one sweep of 12 lanes).
///
/// Each attempt gets the count it must beat and may give up (`None`) once it reaches
/// it, since it could no longer win. Stops early when no attempt could beat the best,
/// as none gets fewer than `lower_bound` colors.
fn best_of<T>(
    orders: &[Order],
    lower_bound: usize,
    cap: usize,
    below: impl Fn(usize) -> usize,
    mut attempt: impl FnMut(Order, usize) -> Option<(T, usize)>,
) -> Option<T> {
    let mut best: Option<(T, usize)> = None;
    for &order in orders {
        let beat = best.as_ref().map_or(cap, |&(_, b)| below(b));
        if beat <= lower_bound {
            break;
        }
        if let Some((result, n)) = attempt(order, beat) {
            if n < beat {
                best = Some((result, n));
            }
        }
    }
    best.map(|(result, _)| result)
}

/// The `below` of [`best_of`] that counts every color.
pub(crate) fn every_color(ncolors: usize) -> usize {
    ncolors
}

/// Both sides of the bipartite graph of one pattern: the pattern and its transpose,
/// computed once for the column and the row coloring of a Jacobian preparation.
pub(crate) struct Sides<'a> {
    pattern: &'a SparsityPattern,
    transpose: Cow<'a, SparsityPattern>,
}

impl<'a> Sides<'a> {
    pub(crate) fn new(pattern: &'a SparsityPattern) -> Self {
        Sides {
            pattern,
            transpose: Cow::Owned(pattern.transpose()),
        }
    }

    /// The sides of a pattern known to be symmetric (a Hessian's, once star coloring has
    /// checked it): it is its own transpose.
    pub(crate) fn of_symmetric(pattern: &'a SparsityPattern) -> Self {
        Sides {
            pattern,
            transpose: Cow::Borrowed(pattern),
        }
    }

    /// Whether the pattern equals its transpose: then the rows are colored exactly as
    /// the columns, so a row coloring can never need fewer colors.
    pub(crate) fn symmetric(&self) -> bool {
        *self.transpose == *self.pattern
    }

    fn columns(&self) -> Bipartite<'_> {
        Bipartite {
            to_mid: &self.transpose,
            to_vertex: self.pattern,
        }
    }

    fn rows(&self) -> Bipartite<'_> {
        Bipartite {
            to_mid: self.pattern,
            to_vertex: &self.transpose,
        }
    }

    /// The column coloring with fewest colors in `orders`, if it needs fewer than
    /// `cap` colors (`usize::MAX`: always). `below` says when fewer colors are better,
    /// as in [`best_of`].
    pub(crate) fn color_columns(
        &self,
        orders: &[Order],
        cap: usize,
        below: impl Fn(usize) -> usize,
    ) -> Option<Coloring> {
        self.columns().color_below(orders, cap, below)
    }

    /// [`color_columns`](Self::color_columns) for the rows.
    pub(crate) fn color_rows(
        &self,
        orders: &[Order],
        cap: usize,
        below: impl Fn(usize) -> usize,
    ) -> Option<Coloring> {
        self.rows().color_below(orders, cap, below)
    }
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
pub fn color_rows(p: &SparsityPattern, order: Order) -> Coloring {
    Sides::new(p)
        .color_rows(&[order], usize::MAX, every_color)
        .expect("no cap")
}

/// [`color_columns`] with the fewest colors over [`BEST_ORDERS`] (ties: the earliest).
pub fn color_columns_best(p: &SparsityPattern) -> Coloring {
    Sides::new(p)
        .color_columns(&BEST_ORDERS, usize::MAX, every_color)
        .expect("no cap")
}

/// [`color_rows`] with the fewest colors over [`BEST_ORDERS`] (ties: the earliest).
pub fn color_rows_best(p: &SparsityPattern) -> Coloring {
    Sides::new(p)
        .color_rows(&BEST_ORDERS, usize::MAX, every_color)
        .expect("no cap")
}

/// [`star_coloring`] with the fewest colors over [`BEST_ORDERS`] (ties: the earliest).
///
/// # Panics
/// If `p` is not square and symmetric.
#[track_caller]
pub fn star_coloring_best(p: &SparsityPattern) -> StarColoring {
    let g = star::Adjacency::new(p, "star");
    let bound = g.lower_bound();
    let degrees = g.lists.degrees();
    let core = best_of(&BEST_ORDERS, bound, usize::MAX, every_color, |order, _| {
        let s = star::star(&g, &order::vertices(&g.lists, order, &degrees));
        let n = s.coloring.ncolors();
        Some((s, n))
    })
    .expect("no cap");
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
    let degrees = g.lists.degrees();
    best_of(&BEST_ORDERS, bound, usize::MAX, every_color, |order, _| {
        let a = acyclic::acyclic(&g, &order::vertices(&g.lists, order, &degrees));
        let n = a.coloring.ncolors();
        Some((a, n))
    })
    .expect("no cap")
}

#[cfg(test)]
mod tests;
