//! Star coloring (Gebremedhin, Tarafdar, Manne & Pothen 2007, Algorithm 4.1, as in
//! SparseMatrixColorings.jl), and the adjacency graph of a symmetric pattern that it
//! shares with acyclic coloring.

use super::order::{self, Graph, Marks};
use super::{first_allowed, Order, StarColoring, NONE};
use crate::{Coloring, SparsityPattern};

/// The graph of a symmetric pattern without its diagonal, in compressed rows, with an
/// index per undirected edge (`edge[k]` for the entry `k`, the same from both ends).
pub(crate) struct Adjacency {
    pub(crate) ptr: Vec<usize>,
    pub(crate) adj: Vec<usize>,
    pub(crate) edge: Vec<usize>,
    pub(crate) nedges: usize,
}

impl Adjacency {
    /// Panics, naming `what` coloring, unless `p` is square and symmetric.
    #[track_caller]
    pub(crate) fn new(p: &SparsityPattern, what: &str) -> Self {
        let (m, n) = p.shape();
        if m != n {
            panic!(
                "asd: {what} coloring needs a symmetric pattern, got {m}x{n}: the pattern must \
                 be symmetric (it is not square)"
            );
        }
        if !p.is_symmetric() {
            panic!(
                "asd: {what} coloring needs a symmetric pattern, got {m}x{n}: the pattern must \
                 be symmetric (it differs from its transpose)"
            );
        }
        let (rp, ci) = (p.row_ptr(), p.col_indices());
        let mut ptr = Vec::with_capacity(n + 1);
        let mut adj = Vec::with_capacity(p.nnz());
        ptr.push(0);
        for i in 0..n {
            adj.extend(ci[rp[i]..rp[i + 1]].iter().filter(|&&j| j != i));
            ptr.push(adj.len());
        }
        // Number the edges {u, v}, u < v, from u's row; v's row lists its smaller
        // neighbors in increasing order, which is the order they are reached here.
        let mut edge = vec![NONE; adj.len()];
        let mut next_small = ptr[..n].to_vec();
        let mut nedges = 0;
        for u in 0..n {
            for k in ptr[u]..ptr[u + 1] {
                let v = adj[k];
                if v > u {
                    let mirror = next_small[v];
                    debug_assert_eq!(adj[mirror], u);
                    next_small[v] += 1;
                    edge[k] = nedges;
                    edge[mirror] = nedges;
                    nedges += 1;
                }
            }
        }
        Adjacency {
            ptr,
            adj,
            edge,
            nedges,
        }
    }

    /// `(neighbor, edge index)` pairs of `v`.
    #[inline]
    pub(crate) fn edges(&self, v: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let r = self.ptr[v]..self.ptr[v + 1];
        self.adj[r.clone()]
            .iter()
            .copied()
            .zip(self.edge[r].iter().copied())
    }

    #[inline]
    pub(crate) fn neighbors(&self, v: usize) -> &[usize] {
        &self.adj[self.ptr[v]..self.ptr[v + 1]]
    }

    /// A bound on the colors of star and acyclic colorings: they only forbid colors of
    /// vertices within distance 2, at most `maxdeg^2` of them.
    pub(crate) fn color_bound(&self) -> usize {
        let maxdeg = self.ptr.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
        let n = self.ptr.len() - 1;
        maxdeg.saturating_mul(maxdeg).saturating_add(1).min(n)
    }

    /// Colors any distance-1 coloring needs: 2 with an edge, 1 with a vertex.
    pub(crate) fn lower_bound(&self) -> usize {
        if self.nedges > 0 {
            2
        } else {
            usize::from(self.ptr.len() > 1)
        }
    }

    /// Attaches the adjacency to a star coloring made from it.
    pub(crate) fn into_star(self, core: StarCore) -> StarColoring {
        StarColoring {
            coloring: core.coloring,
            adj_ptr: self.ptr,
            adj: self.adj,
            hubs: core.hubs,
            nstars: core.nstars,
        }
    }
}

impl Graph for Adjacency {
    fn nvertices(&self) -> usize {
        self.ptr.len() - 1
    }

    fn neighbors_into(&self, v: usize, _: &mut Marks, out: &mut Vec<usize>) {
        out.clear();
        out.extend_from_slice(self.neighbors(v));
    }

    fn degrees(&self) -> Vec<usize> {
        self.ptr.windows(2).map(|w| w[1] - w[0]).collect()
    }
}

/// A star coloring before the adjacency is attached: colors and, per adjacency entry,
/// the hub of its star.
pub(crate) struct StarCore {
    pub(crate) coloring: Coloring,
    pub(crate) hubs: Vec<usize>,
    pub(crate) nstars: usize,
}

/// Star-colors the symmetric pattern `p` (its diagonal ignored): a distance-1 coloring
/// in which every path on 4 vertices uses at least 3 colors, so each 2-colored piece
/// of the graph is a star and every Hessian entry is read directly from one product.
/// The stars' hubs are kept for that direct recovery.
///
/// # Panics
/// If `p` is not square and symmetric.
#[track_caller]
pub fn star_coloring(p: &SparsityPattern, order: Order) -> StarColoring {
    let g = Adjacency::new(p, "star");
    let degrees = if order::needs_degrees(order) {
        g.degrees()
    } else {
        Vec::new()
    };
    let core = star(&g, &order::vertices(&g, order, &degrees));
    g.into_star(core)
}

/// Algorithm 4.1: greedy in `order`, forbidding beside the neighbors' colors those
/// that would make a 2-colored path on 4 vertices, found through the stars kept so far
/// (each edge belongs to one star, each non-trivial star has a hub).
pub(crate) fn star(g: &Adjacency, order: &[usize]) -> StarCore {
    let n = g.nvertices();
    let mut color = vec![NONE; n];
    let mut forbidden = vec![NONE; g.color_bound()];
    // first_neighbor[c] = (v, w, edge vw): the first neighbor w of color c seen from v.
    let mut first_neighbor = vec![(NONE, NONE, NONE); forbidden.len()];
    let mut treated = vec![NONE; n];
    let mut star = vec![NONE; g.nedges];
    let mut hub: Vec<usize> = Vec::new(); // NONE for a star of one edge
    for &v in order {
        for (w, vw) in g.edges(v) {
            let cw = color[w];
            if cw == NONE {
                continue;
            }
            forbidden[cw] = v;
            let (p, q, _) = first_neighbor[cw];
            if p == v {
                // Case 1: two neighbors q, w of one color: v must not take any color
                // next to them, or v would be the middle of a 2-colored path.
                if treated[q] != v {
                    treat(g, &color, &mut forbidden, &mut treated, v, q);
                }
                treat(g, &color, &mut forbidden, &mut treated, v, w);
            } else {
                first_neighbor[cw] = (v, w, vw);
                // Case 2: w is a spoke of a star whose hub x is its neighbor; v taking
                // x's color would extend the star past a spoke.
                for (x, wx) in g.edges(w) {
                    let cx = color[x];
                    if x == v || cx == NONE {
                        continue;
                    }
                    if hub[star[wx]] == x {
                        forbidden[cx] = v;
                    }
                }
            }
        }
        let cv = first_allowed(&forbidden, v);
        color[v] = cv;
        update_stars(g, &color, &first_neighbor, &mut star, &mut hub, v);
    }
    // Hubs per adjacency entry; a single-edge star reports its larger endpoint.
    let mut hubs = vec![NONE; g.adj.len()];
    for v in 0..n {
        for k in g.ptr[v]..g.ptr[v + 1] {
            let h = hub[star[g.edge[k]]];
            hubs[k] = if h == NONE { v.max(g.adj[k]) } else { h };
        }
    }
    StarCore {
        coloring: Coloring::from_colors(color),
        hubs,
        nstars: hub.len(),
    }
}

/// Forbids for `v` the colors of all neighbors of `w`.
fn treat(
    g: &Adjacency,
    color: &[usize],
    forbidden: &mut [usize],
    treated: &mut [usize],
    v: usize,
    w: usize,
) {
    for &x in g.neighbors(w) {
        let cx = color[x];
        if cx != NONE {
            forbidden[cx] = v;
        }
    }
    treated[w] = v;
}

/// Puts each new edge `vw` (v just colored) in a star: the star of `wx` if `w` has a
/// neighbor `x` of v's color (w is then the hub), else the star of `vq` if v has
/// another neighbor `q` of w's color (v is the hub), else a new one-edge star.
fn update_stars(
    g: &Adjacency,
    color: &[usize],
    first_neighbor: &[(usize, usize, usize)],
    star: &mut [usize],
    hub: &mut Vec<usize>,
    v: usize,
) {
    for (w, vw) in g.edges(v) {
        let cw = color[w];
        if cw == NONE {
            continue;
        }
        let joined = g.edges(w).find(|&(x, _)| x != v && color[x] == color[v]);
        if let Some((_, wx)) = joined {
            let s = star[wx];
            hub[s] = w;
            star[vw] = s;
            continue;
        }
        let (p, q, vq) = first_neighbor[cw];
        if p == v && q != w {
            let s = star[vq];
            hub[s] = v;
            star[vw] = s;
        } else {
            hub.push(NONE);
            star[vw] = hub.len() - 1;
        }
    }
}
