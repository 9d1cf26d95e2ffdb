//! Star coloring (Gebremedhin, Tarafdar, Manne & Pothen 2007, Algorithm 4.1, as in
//! SparseMatrixColorings.jl), and the adjacency graph of a symmetric pattern that it
//! shares with acyclic coloring.

use std::collections::hash_map::{Entry, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use super::distance2::allowed_in_palette;
use super::graph::Graph;
use super::order;
use super::{NeighborLists, Order, StarColoring, NONE};
use crate::{Coloring, SparsityPattern};

/// The graph of a symmetric pattern without its diagonal, in compressed rows, with an
/// index per undirected edge (`edge[k]` for the entry `k`, the same from both ends).
pub(crate) struct Adjacency {
    pub(crate) lists: NeighborLists,
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
            lists: NeighborLists { ptr, adj },
            edge,
            nedges,
        }
    }

    /// `(neighbor, edge index)` pairs of `v`.
    #[inline]
    pub(crate) fn edges(&self, v: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let r = self.lists.ptr[v]..self.lists.ptr[v + 1];
        self.lists.adj[r.clone()]
            .iter()
            .copied()
            .zip(self.edge[r].iter().copied())
    }

    #[inline]
    pub(crate) fn neighbors(&self, v: usize) -> &[usize] {
        self.lists.neighbors(v)
    }

    /// A bound on the colors of star and acyclic colorings: they only forbid colors of
    /// vertices within distance 2, at most `maxdeg^2` of them.
    pub(crate) fn color_bound(&self) -> usize {
        let n = self.lists.nvertices();
        let maxdeg = (0..n).map(|v| self.lists.degree(v)).max().unwrap_or(0);
        maxdeg.saturating_mul(maxdeg).saturating_add(1).min(n)
    }

    /// Colors any distance-1 coloring needs: 2 with an edge, 1 with a vertex.
    pub(crate) fn lower_bound(&self) -> usize {
        if self.nedges > 0 {
            2
        } else {
            usize::from(self.lists.nvertices() > 0)
        }
    }

    /// Attaches the adjacency to a star coloring made from it.
    pub(crate) fn into_star(self, core: StarCore) -> StarColoring {
        StarColoring {
            coloring: core.coloring,
            adj_ptr: self.lists.ptr,
            adj: self.lists.adj,
            hubs: core.hubs,
            nstars: core.nstars,
        }
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
/// ```
/// use asd_runtime::coloring::is_star_coloring;
/// use asd_runtime::{star_coloring, Order, SparsityPattern};
/// // Tridiagonal Hessian of 6 variables: 3 HVPs instead of 6.
/// let n = 6;
/// let p = SparsityPattern::from_coordinates(
///     n,
///     n,
///     (0..n).flat_map(|i| [(i, i.saturating_sub(1)), (i, i), (i, (i + 1).min(n - 1))]),
/// );
/// let s = star_coloring(&p, Order::Natural);
/// assert!(is_star_coloring(&p, s.coloring().colors()));
/// assert_eq!(s.coloring().ncolors(), 3);
/// ```
///
/// # Panics
/// If `p` is not square and symmetric.
#[track_caller]
pub fn star_coloring(p: &SparsityPattern, order: Order) -> StarColoring {
    let g = Adjacency::new(p, "star");
    let degrees = if order::needs_degrees(order) {
        g.lists.degrees()
    } else {
        Vec::new()
    };
    let core = star(&g, &order::vertices(&g.lists, order, &degrees));
    g.into_star(core)
}

/// Degree above which a vertex is never rescanned: its neighbors' colors are kept in a
/// summary, so a hub of degree `n - 1` costs O(1) per neighbor instead of O(n).
pub(crate) const HEAVY: usize = 32;

/// Multiplicative hashing of the `(vertex, color)` keys of [`NearColors`].
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(self.0 ^ u64::from(b));
        }
    }

    fn write_u64(&mut self, k: u64) {
        let h = (k ^ self.0.rotate_left(5)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 32);
    }

    fn write_usize(&mut self, k: usize) {
        self.write_u64(k as u64);
    }
}

/// The colors around each heavy vertex (degree above [`HEAVY`]), kept up to date as
/// vertices are colored, so that star and acyclic coloring never scan a hub once per
/// neighbor (which made arrowhead-like patterns cost O(n^2)). Light vertices are
/// scanned as usual.
pub(crate) struct NearColors {
    /// For a heavy `w`, one entry `(c, x, edge wx)` per color `c` of its colored
    /// neighbors, `x` the first of them to be colored:
    /// `near[ptr[w]..ptr[w] + len[w]]` (an empty range for light vertices).
    near: Vec<(usize, usize, usize)>,
    ptr: Vec<usize>,
    len: Vec<usize>,
    /// Vertices of degree above this are heavy ([`HEAVY`] but in tests).
    heavy: usize,
    /// `(w, c)` -> the entry of `near` for color `c` around `w`.
    by_color: HashMap<(usize, usize), usize, BuildHasherDefault<KeyHasher>>,
}

impl NearColors {
    pub(crate) fn new(g: &Adjacency, heavy: usize) -> Self {
        let n = g.lists.nvertices();
        let mut ptr = Vec::with_capacity(n + 1);
        ptr.push(0);
        let mut total = 0;
        for v in 0..n {
            if g.lists.degree(v) > heavy {
                total += g.lists.degree(v);
            }
            ptr.push(total);
        }
        NearColors {
            near: vec![(NONE, NONE, NONE); total],
            ptr,
            len: vec![0; n],
            heavy,
            by_color: HashMap::default(),
        }
    }

    #[inline]
    pub(crate) fn is_heavy(&self, g: &Adjacency, w: usize) -> bool {
        g.lists.degree(w) > self.heavy
    }

    /// For a heavy `w`: `(c, x, edge wx)`, one per color `c` of its colored neighbors.
    #[inline]
    pub(crate) fn around(&self, w: usize) -> &[(usize, usize, usize)] {
        &self.near[self.ptr[w]..self.ptr[w] + self.len[w]]
    }

    /// For a heavy `w`: a colored neighbor `x` of color `c` and the edge `wx`.
    #[inline]
    pub(crate) fn of_color(&self, w: usize, c: usize) -> Option<(usize, usize)> {
        self.by_color.get(&(w, c)).map(|&k| {
            let (_, x, wx) = self.near[k];
            (x, wx)
        })
    }

    /// `v` took color `c`: updates its heavy neighbors.
    pub(crate) fn colored(&mut self, g: &Adjacency, v: usize, c: usize) {
        for (w, vw) in g.edges(v) {
            if !self.is_heavy(g, w) {
                continue;
            }
            if let Entry::Vacant(e) = self.by_color.entry((w, c)) {
                let k = self.ptr[w] + self.len[w];
                e.insert(k);
                self.near[k] = (c, v, vw);
                self.len[w] += 1;
            }
        }
    }
}

/// What Algorithm 4.1 asks of a neighborhood, answered without scanning heavy
/// vertices. The answers, hence the colors, are the same as by scanning.
struct Hood {
    /// `spokes[ptr[w]..ptr[w] + nspokes[w]]`: the hubs of the stars in which `w` is a
    /// spoke (at most one per edge of `w`, and one per color).
    spokes: Vec<usize>,
    nspokes: Vec<usize>,
    near: NearColors,
}

impl Hood {
    fn new(g: &Adjacency, heavy: usize) -> Self {
        Hood {
            spokes: vec![NONE; g.lists.adj.len()],
            nspokes: vec![0; g.lists.nvertices()],
            near: NearColors::new(g, heavy),
        }
    }

    /// The hubs of the stars in which `w` is a spoke.
    #[inline]
    fn spokes(&self, g: &Adjacency, w: usize) -> &[usize] {
        &self.spokes[g.lists.ptr[w]..g.lists.ptr[w] + self.nspokes[w]]
    }

    /// Records that `w` is a spoke of a star with hub `h`.
    #[inline]
    fn add_spoke(&mut self, g: &Adjacency, w: usize, h: usize) {
        debug_assert!(self.nspokes[w] < g.lists.degree(w));
        self.spokes[g.lists.ptr[w] + self.nspokes[w]] = h;
        self.nspokes[w] += 1;
    }

    /// Forbids for `v` the colors of all colored neighbors of `w`.
    fn treat(
        &self,
        g: &Adjacency,
        color: &[usize],
        forbidden: &mut [usize],
        treated: &mut [usize],
        v: usize,
        w: usize,
    ) {
        if self.near.is_heavy(g, w) {
            for &(c, _, _) in self.near.around(w) {
                forbidden[c] = v;
            }
        } else {
            for &x in g.neighbors(w) {
                let cx = color[x];
                if cx != NONE {
                    forbidden[cx] = v;
                }
            }
        }
        treated[w] = v;
    }

    /// A neighbor `x != v` of `w` of color `c` and the edge `wx`, if any.
    #[inline]
    fn neighbor_of_color(
        &self,
        g: &Adjacency,
        color: &[usize],
        w: usize,
        v: usize,
        c: usize,
    ) -> Option<(usize, usize)> {
        if self.near.is_heavy(g, w) {
            // v enters the summaries only after its edges found their stars.
            self.near.of_color(w, c)
        } else {
            g.edges(w).find(|&(x, _)| x != v && color[x] == c)
        }
    }
}

/// Algorithm 4.1: greedy in `order`, forbidding beside the neighbors' colors those
/// that would make a 2-colored path on 4 vertices, found through the stars kept so far
/// (each edge belongs to one star, each non-trivial star has a hub).
///
/// Cost: O(|E|) plus, per pair of a vertex and a colored neighbor `w`, the spokes of
/// `w` (at most one per color) or, when `w` shares its color with another neighbor,
/// `min(deg(w), colors around w)`; heavy vertices are looked up by hashing.
pub(crate) fn star(g: &Adjacency, order: &[usize]) -> StarCore {
    star_with(g, order, HEAVY, 0, usize::MAX).expect("no cap")
}

/// [`star`], with vertices of degree above `heavy` summarized rather than scanned, each
/// vertex taking the first allowed color of the palette `0..palette` counted cyclically
/// from the color after the previous vertex's (`palette = 0`: the smallest allowed), and
/// giving up (`None`) once a vertex needs color `cap - 1`.
pub(crate) fn star_with(
    g: &Adjacency,
    order: &[usize],
    heavy: usize,
    palette: usize,
    cap: usize,
) -> Option<StarCore> {
    let n = g.lists.nvertices();
    let mut color = vec![NONE; n];
    let mut forbidden = vec![NONE; g.color_bound()];
    let mut start = 0;
    // first_neighbor[c] = (v, w, edge vw): the first neighbor w of color c seen from v.
    let mut first_neighbor = vec![(NONE, NONE, NONE); forbidden.len()];
    let mut treated = vec![NONE; n];
    let mut star = vec![NONE; g.nedges];
    let mut hub: Vec<usize> = Vec::new(); // NONE for a star of one edge
    let mut hood = Hood::new(g, heavy);
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
                    hood.treat(g, &color, &mut forbidden, &mut treated, v, q);
                }
                hood.treat(g, &color, &mut forbidden, &mut treated, v, w);
            } else {
                first_neighbor[cw] = (v, w, vw);
                // Case 2: w is a spoke of a star whose hub x is its neighbor; v taking
                // x's color would extend the star past a spoke.
                for &x in hood.spokes(g, w) {
                    forbidden[color[x]] = v;
                }
            }
        }
        let cv = allowed_in_palette(&forbidden, v, start, palette);
        if cv + 1 >= cap {
            return None;
        }
        color[v] = cv;
        start = if cv + 1 < palette { cv + 1 } else { 0 };
        update_stars(
            g,
            &color,
            &first_neighbor,
            &mut star,
            &mut hub,
            &mut hood,
            v,
        );
        hood.near.colored(g, v, cv);
    }
    // Hubs per adjacency entry; a single-edge star reports its larger endpoint.
    let mut hubs = vec![NONE; g.lists.adj.len()];
    for v in 0..n {
        for k in g.lists.ptr[v]..g.lists.ptr[v + 1] {
            let h = hub[star[g.edge[k]]];
            hubs[k] = if h == NONE { v.max(g.lists.adj[k]) } else { h };
        }
    }
    Some(StarCore {
        coloring: Coloring::from_colors(color),
        hubs,
        nstars: hub.len(),
    })
}

/// Puts each new edge `vw` (v just colored) in a star: the star of `wx` if `w` has a
/// neighbor `x` of v's color (w is then the hub), else the star of `vq` if v has
/// another neighbor `q` of w's color (v is the hub), else a new one-edge star. A hub,
/// once set, never changes (the forbidden colors see to it).
fn update_stars(
    g: &Adjacency,
    color: &[usize],
    first_neighbor: &[(usize, usize, usize)],
    star: &mut [usize],
    hub: &mut Vec<usize>,
    hood: &mut Hood,
    v: usize,
) {
    let cv = color[v];
    for (w, vw) in g.edges(v) {
        let cw = color[w];
        if cw == NONE {
            continue;
        }
        if let Some((x, wx)) = hood.neighbor_of_color(g, color, w, v, cv) {
            let s = star[wx];
            debug_assert!(hub[s] == NONE || hub[s] == w);
            if hub[s] == NONE {
                hub[s] = w;
                hood.add_spoke(g, x, w);
            }
            star[vw] = s;
            hood.add_spoke(g, v, w);
            continue;
        }
        let (p, q, vq) = first_neighbor[cw];
        if p == v && q != w {
            let s = star[vq];
            debug_assert!(hub[s] == NONE || hub[s] == v);
            if hub[s] == NONE {
                hub[s] = v;
                hood.add_spoke(g, q, v);
            }
            star[vw] = s;
            hood.add_spoke(g, w, v);
        } else {
            hub.push(NONE);
            star[vw] = hub.len() - 1;
        }
    }
}
