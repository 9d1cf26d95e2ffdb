//! The search over vertex orders for the fewest colors, and the orders it tries.

use std::borrow::Cow;

use super::recolor::RECOLOR_ROUNDS;
use super::*;

/// The orders the `_best` helpers try, cheapest first; ties keep the earliest.
///
/// ```
/// use asd_runtime::{
///     color_columns,
///     coloring::{color_columns_best, BEST_ORDERS},
///     SparsityPattern,
/// };
/// let p =
///     SparsityPattern::from_coordinates(3, 4, [(0, 0), (0, 1), (1, 1), (1, 2), (2, 0), (2, 3)]);
/// let fewest = BEST_ORDERS
///     .iter()
///     .map(|&o| color_columns(&p, o).ncolors())
///     .min();
/// assert_eq!(Some(color_columns_best(&p).ncolors()), fewest);
/// ```
pub const BEST_ORDERS: [Order; 5] = Order::ALL;

/// The orders a Jacobian preparation tries unless told one: the natural order, and
/// incidence degree, which is computed as the coloring goes and so stops as soon as it
/// cannot do better. The other orders each pay a pass over the column intersection
/// graph before their first color, which costs more than the rest of a preparation
/// (on J2, two to three times the natural coloring). On ColPack's seven reference
/// matrices, both sides, these two already reach the fewest sweeps any of
/// [`BEST_ORDERS`] reaches, and the fewest lanes on all sides but one (tested); `_best`
/// and [`Order`] are there when fewer colors are worth a longer search.
///
/// ```
/// use asd_runtime::coloring::{BEST_ORDERS, SEARCH_ORDERS};
/// use asd_runtime::Order;
/// assert_eq!(SEARCH_ORDERS, [Order::Natural, Order::IncidenceDegree]);
/// assert!(SEARCH_ORDERS.iter().all(|o| BEST_ORDERS.contains(o)));
/// ```
pub const SEARCH_ORDERS: [Order; 2] = [Order::Natural, Order::IncidenceDegree];

/// Runs `attempt` on `orders` and keeps the first result with fewest colors, if one
/// has fewer than `cap`. A later result replaces the best so far, `b` colors,
/// only with fewer than `below(b)`: `below` is the identity when every color counts,
/// and lower when fewer colors would not make an evaluation cheaper (11 and 12 colors
/// both take one sweep of 12 lanes).
///
/// Each attempt gets the count it must beat and may give up (`None`) once it reaches
/// it, since it could no longer win. Stops early when no attempt could beat the best,
/// as none gets fewer than `lower_bound` colors.
pub(super) fn best_of<T>(
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

    pub(super) fn columns(&self) -> Bipartite<'_> {
        Bipartite {
            to_mid: &self.transpose,
            to_vertex: self.pattern,
        }
    }

    pub(super) fn rows(&self) -> Bipartite<'_> {
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

/// [`color_columns`] with the fewest colors over [`BEST_ORDERS`] (ties: the earliest),
/// then [`RECOLOR_ROUNDS`] rounds of [`recolor_columns`](super::recolor_columns).
///
/// ```
/// use asd_runtime::{
///     color_columns,
///     coloring::{color_columns_best, is_column_coloring},
///     Order, SparsityPattern,
/// };
/// // Column 0 meets rows 0..4, column k > 0 meets rows k - 1 and k.
/// let p = SparsityPattern::from_coordinates(
///     5,
///     5,
///     (0..5).flat_map(|i| [(i, 0), (i, i), (i, (i + 1).min(4))]),
/// );
/// let best = color_columns_best(&p);
/// assert!(is_column_coloring(&p, best.colors()));
/// assert!(Order::ALL
///     .iter()
///     .all(|&o| best.ncolors() <= color_columns(&p, o).ncolors()));
/// ```
pub fn color_columns_best(p: &SparsityPattern) -> Coloring {
    let sides = Sides::new(p);
    let c = sides
        .color_columns(&BEST_ORDERS, usize::MAX, every_color)
        .expect("no cap");
    sides.recolor_columns(c, RECOLOR_ROUNDS, &every_color)
}

/// [`color_rows`] with the fewest colors over [`BEST_ORDERS`] (ties: the earliest), then
/// [`RECOLOR_ROUNDS`] rounds of [`recolor_rows`](super::recolor_rows).
///
/// ```
/// use asd_runtime::{
///     color_rows,
///     coloring::{color_rows_best, is_row_coloring},
///     Order, SparsityPattern,
/// };
/// let p = SparsityPattern::from_coordinates(
///     5,
///     5,
///     (0..5).flat_map(|i| [(0, i), (i, i), ((i + 1).min(4), i)]),
/// );
/// let best = color_rows_best(&p);
/// assert!(is_row_coloring(&p, best.colors()));
/// assert!(Order::ALL
///     .iter()
///     .all(|&o| best.ncolors() <= color_rows(&p, o).ncolors()));
/// ```
pub fn color_rows_best(p: &SparsityPattern) -> Coloring {
    let sides = Sides::new(p);
    let c = sides
        .color_rows(&BEST_ORDERS, usize::MAX, every_color)
        .expect("no cap");
    sides.recolor_rows(c, RECOLOR_ROUNDS, &every_color)
}

/// [`star_coloring`] with the fewest colors over [`BEST_ORDERS`] (ties: the earliest),
/// then [`RECOLOR_ROUNDS`] rounds of [`recolor_star`](super::recolor_star).
///
/// ```
/// use asd_runtime::{
///     coloring::{is_star_coloring, star_coloring_best},
///     star_coloring, Order, SparsityPattern,
/// };
/// // A 5 x 5 grid Laplacian: 25 variables, each coupled to its 4 neighbours.
/// let idx = |i: usize, j: usize| 5 * i + j;
/// let mut entries = Vec::new();
/// for i in 0..5 {
///     for j in 0..5 {
///         entries.push((idx(i, j), idx(i, j)));
///         if i + 1 < 5 {
///             entries.extend([(idx(i, j), idx(i + 1, j)), (idx(i + 1, j), idx(i, j))]);
///         }
///         if j + 1 < 5 {
///             entries.extend([(idx(i, j), idx(i, j + 1)), (idx(i, j + 1), idx(i, j))]);
///         }
///     }
/// }
/// let p = SparsityPattern::from_coordinates(25, 25, entries);
/// let best = star_coloring_best(&p);
/// assert!(is_star_coloring(&p, best.coloring().colors()));
/// assert!(Order::ALL
///     .iter()
///     .all(|&o| best.coloring().ncolors() <= star_coloring(&p, o).coloring().ncolors()));
/// ```
///
/// # Panics
/// If `p` is not square and symmetric.
#[track_caller]
pub fn star_coloring_best(p: &SparsityPattern) -> StarColoring {
    star_coloring_best_with(p, &BEST_ORDERS, RECOLOR_ROUNDS, &every_color)
}

/// The star coloring with fewest colors in `orders`, then `rounds` rounds of
/// recoloring, which keep a coloring only with fewer colors than `below` says (see
/// [`best_of`]).
#[track_caller]
pub(crate) fn star_coloring_best_with(
    p: &SparsityPattern,
    orders: &[Order],
    rounds: usize,
    below: &dyn Fn(usize) -> usize,
) -> StarColoring {
    let g = star::Adjacency::new(p, "star");
    let bound = g.lower_bound();
    let degrees = if orders.iter().any(|&o| order::needs_degrees(o)) {
        g.lists.degrees()
    } else {
        Vec::new()
    };
    let core = best_of(orders, bound, usize::MAX, every_color, |order, _| {
        let s = star::star(&g, &order::vertices(&g.lists, order, &degrees));
        let n = s.coloring.ncolors();
        Some((s, n))
    })
    .expect("no cap");
    let core = g.recolor_star(core, rounds, below);
    g.into_star(core)
}

/// [`acyclic_coloring`] with the fewest colors over [`BEST_ORDERS`] (ties: the earliest),
/// then [`RECOLOR_ROUNDS`] rounds of [`recolor_acyclic`](super::recolor_acyclic).
///
/// ```
/// use asd_runtime::{
///     acyclic_coloring,
///     coloring::{acyclic_coloring_best, is_acyclic_coloring},
///     Order, SparsityPattern,
/// };
/// // A cycle of 6 variables needs 3 colors: two would leave the cycle 2-colored.
/// let p = SparsityPattern::from_coordinates(
///     6,
///     6,
///     (0..6).flat_map(|i| [(i, i), (i, (i + 1) % 6), ((i + 1) % 6, i)]),
/// );
/// let best = acyclic_coloring_best(&p);
/// assert!(is_acyclic_coloring(&p, best.coloring().colors()));
/// assert_eq!(best.coloring().ncolors(), 3);
/// assert!(Order::ALL
///     .iter()
///     .all(|&o| acyclic_coloring(&p, o).coloring().ncolors() >= 3));
/// ```
///
/// # Panics
/// If `p` is not square and symmetric.
#[track_caller]
pub fn acyclic_coloring_best(p: &SparsityPattern) -> AcyclicColoring {
    acyclic_coloring_best_with(p, &BEST_ORDERS, RECOLOR_ROUNDS, &every_color)
}

/// The acyclic coloring with fewest colors in `orders`, then `rounds` rounds of
/// recoloring (see [`star_coloring_best_with`]).
#[track_caller]
pub(crate) fn acyclic_coloring_best_with(
    p: &SparsityPattern,
    orders: &[Order],
    rounds: usize,
    below: &dyn Fn(usize) -> usize,
) -> AcyclicColoring {
    let g = star::Adjacency::new(p, "acyclic");
    let bound = g.lower_bound();
    let degrees = if orders.iter().any(|&o| order::needs_degrees(o)) {
        g.lists.degrees()
    } else {
        Vec::new()
    };
    let a = best_of(orders, bound, usize::MAX, every_color, |order, _| {
        let a = acyclic::acyclic(&g, &order::vertices(&g.lists, order, &degrees));
        let n = a.coloring.ncolors();
        Some((a, n))
    })
    .expect("no cap");
    g.recolor_acyclic(a, rounds, below)
}
