//! Acyclic coloring (Gebremedhin, Tarafdar, Manne & Pothen 2007, Algorithm 3.1, as in
//! SparseMatrixColorings.jl): the 2-colored trees are kept as disjoint sets of edges.

use super::distance2::allowed_in_palette;
use super::graph::Graph;
use super::order;
use super::star::{Adjacency, NearColors, HEAVY};
use super::{AcyclicColoring, Order, NONE};
use crate::{Coloring, SparsityPattern};

/// Acyclic-colors the symmetric pattern `p` (its diagonal ignored): a distance-1
/// coloring in which every cycle uses at least 3 colors. Usually fewer colors than a
/// star coloring; the Hessian is then recovered by substitution along 2-colored trees.
///
/// ```
/// use asd_runtime::coloring::is_acyclic_coloring;
/// use asd_runtime::{acyclic_coloring, star_coloring, Order, SparsityPattern};
/// // A path of 8 variables: acyclic needs 2 colors where star needs 3.
/// let n = 8;
/// let p = SparsityPattern::from_coordinates(
///     n,
///     n,
///     (0..n).flat_map(|i| [(i, i.saturating_sub(1)), (i, i), (i, (i + 1).min(n - 1))]),
/// );
/// let a = acyclic_coloring(&p, Order::Natural);
/// assert!(is_acyclic_coloring(&p, a.coloring().colors()));
/// assert_eq!(a.coloring().ncolors(), 2);
/// assert_eq!(star_coloring(&p, Order::Natural).coloring().ncolors(), 3);
/// ```
///
/// # Panics
/// If `p` is not square and symmetric.
#[track_caller]
pub fn acyclic_coloring(p: &SparsityPattern, order: Order) -> AcyclicColoring {
    let g = Adjacency::new(p, "acyclic");
    let degrees = if order::needs_degrees(order) {
        g.lists.degrees()
    } else {
        Vec::new()
    };
    acyclic(&g, &order::vertices(&g.lists, order, &degrees))
}

/// Union-find over edge indices, by rank with path halving.
struct Forest {
    parent: Vec<usize>,
    rank: Vec<u8>,
}

impl Forest {
    fn new(n: usize) -> Self {
        Forest {
            parent: (0..n).collect(),
            rank: vec![0; n],
        }
    }

    fn find(&mut self, mut e: usize) -> usize {
        while self.parent[e] != e {
            let grand = self.parent[self.parent[e]];
            self.parent[e] = grand;
            e = grand;
        }
        e
    }

    /// Unites the trees of two roots.
    fn union_roots(&mut self, a: usize, b: usize) {
        let (a, b) = if self.rank[a] < self.rank[b] {
            (b, a)
        } else {
            (a, b)
        };
        if self.rank[a] == self.rank[b] {
            self.rank[a] += 1;
        }
        self.parent[b] = a;
    }
}

/// Algorithm 3.1: greedy in `order`; a color is also forbidden when v would close a
/// 2-colored cycle, i.e. reach one 2-colored tree through two different neighbors.
pub(crate) fn acyclic(g: &Adjacency, order: &[usize]) -> AcyclicColoring {
    acyclic_with(g, order, HEAVY, 0, usize::MAX).expect("no cap")
}

/// [`acyclic`], with vertices of degree above `heavy` summarized rather than scanned,
/// choosing colors in a palette and giving up at `cap` as [`star_with`](super::star::star_with)
/// does.
pub(crate) fn acyclic_with(
    g: &Adjacency,
    order: &[usize],
    heavy: usize,
    palette: usize,
    cap: usize,
) -> Option<AcyclicColoring> {
    let n = g.lists.nvertices();
    let mut color = vec![NONE; n];
    let mut forbidden = vec![NONE; g.color_bound()];
    let mut start = 0;
    // first_neighbor[c] = (v, w, edge vw): first neighbor w of color c of the vertex v.
    let mut first_neighbor = vec![(NONE, NONE, NONE); forbidden.len()];
    // first_visit[root] = (v, w): tree `root` was first reached from v through w.
    let mut first_visit = vec![(NONE, NONE); g.nedges];
    let mut forest = Forest::new(g.nedges);
    let mut near = NearColors::new(g, heavy);
    for &v in order {
        for &w in g.neighbors(v) {
            if color[w] != NONE {
                forbidden[color[w]] = v;
            }
        }
        for &w in g.neighbors(v) {
            if color[w] == NONE {
                continue;
            }
            // Prevent a cycle: a tree reached from v through two neighbors. The edges
            // from w to one color are in one tree, so a heavy w shows one per color.
            let mut visit = |cx: usize, wx: usize| {
                if forbidden[cx] == v {
                    return;
                }
                let root = forest.find(wx);
                let (p, q) = first_visit[root];
                if p != v {
                    first_visit[root] = (v, w);
                } else if q != w {
                    forbidden[cx] = v;
                }
            };
            if near.is_heavy(g, w) {
                for &(cx, _, wx) in near.around(w) {
                    visit(cx, wx);
                }
            } else {
                for (x, wx) in g.edges(w) {
                    if color[x] != NONE {
                        visit(color[x], wx);
                    }
                }
            }
        }
        let cv = allowed_in_palette(&forbidden, v, start, palette);
        if cv + 1 >= cap {
            return None;
        }
        color[v] = cv;
        start = if cv + 1 < palette { cv + 1 } else { 0 };
        // Grow 2-colored stars around v: edges to neighbors of one color join one tree.
        for (w, vw) in g.edges(v) {
            let cw = color[w];
            if cw == NONE {
                continue;
            }
            let (p, _, pq) = first_neighbor[cw];
            if p != v {
                first_neighbor[cw] = (v, w, vw);
            } else {
                let (a, b) = (forest.find(vw), forest.find(pq));
                if a != b {
                    forest.union_roots(a, b);
                }
            }
        }
        // Merge the trees that v now connects: vw with wx when x has v's color.
        for (w, vw) in g.edges(v) {
            if color[w] == NONE {
                continue;
            }
            // The edges from w to v's color are in one tree: a heavy w shows one (v
            // itself enters `near` below).
            let mut merge = |wx: usize| {
                let (a, b) = (forest.find(vw), forest.find(wx));
                if a != b {
                    forest.union_roots(a, b);
                }
            };
            if near.is_heavy(g, w) {
                if let Some((_, wx)) = near.of_color(w, cv) {
                    merge(wx);
                }
            } else {
                for (x, wx) in g.edges(w) {
                    if x != v && color[x] == cv {
                        merge(wx);
                    }
                }
            }
        }
        near.colored(g, v, cv);
    }
    Some(AcyclicColoring {
        coloring: Coloring::from_colors(color),
    })
}
