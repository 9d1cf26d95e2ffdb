//! Acyclic coloring (Gebremedhin, Tarafdar, Manne & Pothen 2007, Algorithm 3.1, as in
//! SparseMatrixColorings.jl): the 2-colored trees are kept as disjoint sets of edges.

use super::order::{self, Graph};
use super::star::Adjacency;
use super::{first_allowed, AcyclicColoring, Order, NONE};
use crate::{Coloring, SparsityPattern};

/// Acyclic-colors the symmetric pattern `p` (its diagonal ignored): a distance-1
/// coloring in which every cycle uses at least 3 colors. Usually fewer colors than a
/// star coloring; the Hessian is then recovered by substitution along 2-colored trees.
///
/// # Panics
/// If `p` is not square and symmetric.
#[track_caller]
pub fn acyclic_coloring(p: &SparsityPattern, order: Order) -> AcyclicColoring {
    let g = Adjacency::new(p, "acyclic");
    let degrees = if order::needs_degrees(order) {
        g.degrees()
    } else {
        Vec::new()
    };
    acyclic(&g, &order::vertices(&g, order, &degrees))
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
    let n = g.nvertices();
    let mut color = vec![NONE; n];
    let mut forbidden = vec![NONE; g.color_bound()];
    // first_neighbor[c] = (v, w, edge vw): first neighbor w of color c of the vertex v.
    let mut first_neighbor = vec![(NONE, NONE, NONE); forbidden.len()];
    // first_visit[root] = (v, w): tree `root` was first reached from v through w.
    let mut first_visit = vec![(NONE, NONE); g.nedges];
    let mut forest = Forest::new(g.nedges);
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
            for (x, wx) in g.edges(w) {
                let cx = color[x];
                if cx == NONE || forbidden[cx] == v {
                    continue;
                }
                // Prevent a cycle: the tree of wx reached from v through two neighbors.
                let root = forest.find(wx);
                let (p, q) = first_visit[root];
                if p != v {
                    first_visit[root] = (v, w);
                } else if q != w {
                    forbidden[cx] = v;
                }
            }
        }
        color[v] = first_allowed(&forbidden, v);
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
            for (x, wx) in g.edges(w) {
                if x == v || color[x] != color[v] {
                    continue;
                }
                let (a, b) = (forest.find(vw), forest.find(wx));
                if a != b {
                    forest.union_roots(a, b);
                }
            }
        }
    }
    AcyclicColoring {
        coloring: Coloring::from_colors(color),
    }
}
