//! The graphs colorings walk: the [`Graph`] interface the orders and colorers see, stamped
//! [`Marks`], one side of a pattern's bipartite graph ([`Bipartite`]), and a graph stored
//! as [`NeighborLists`]. (The adjacency graph of a symmetric pattern, for star and acyclic
//! coloring, is `star::Adjacency`.)

use super::*;

/// A graph as the orders and colorings see it.
pub(crate) trait Graph {
    /// Number of vertices.
    fn nvertices(&self) -> usize;

    /// Replaces `out` with the distinct neighbors of `v` (never `v` itself), in a fixed
    /// traversal order. `marks` is scratch space of `nvertices()` entries.
    fn neighbors_into(&self, v: usize, marks: &mut Marks, out: &mut Vec<usize>);

    /// The neighbors of `v` as [`neighbors_into`](Self::neighbors_into) lists them; a
    /// stored graph lends its own slice instead of copying it into `scratch`.
    fn lend_neighbors<'a>(
        &'a self,
        v: usize,
        marks: &mut Marks,
        scratch: &'a mut Vec<usize>,
    ) -> &'a [usize] {
        self.neighbors_into(v, marks, scratch);
        scratch
    }

    /// The degree of every vertex.
    fn degrees(&self) -> Vec<usize> {
        let mut marks = Marks::new(self.nvertices());
        let mut out = Vec::new();
        (0..self.nvertices())
            .map(|v| {
                self.neighbors_into(v, &mut marks, &mut out);
                out.len()
            })
            .collect()
    }
}

/// Stamped marks: `begin` forgets every mark in O(1), so nothing is cleared per vertex.
pub(crate) struct Marks {
    stamp: Vec<usize>,
    now: usize,
}

impl Marks {
    pub(crate) fn new(n: usize) -> Self {
        Marks {
            stamp: vec![0; n],
            now: 0,
        }
    }

    /// Starts a new round in which nothing is marked.
    pub(crate) fn begin(&mut self) {
        self.now += 1;
    }

    /// Marks `v`; true if it was not marked yet in this round.
    #[inline]
    pub(crate) fn insert(&mut self, v: usize) -> bool {
        if self.stamp[v] == self.now {
            false
        } else {
            self.stamp[v] = self.now;
            true
        }
    }
}

/// One side of the bipartite graph of a pattern: vertex `v` meets the "middle" indices
/// `to_mid.row(v)`, and middle `r` meets the vertices `to_vertex.row(r)`. For columns,
/// `to_mid` is the transpose and `to_vertex` the pattern. The intersection graph (two
/// vertices adjacent when they share a middle) is only built, as [`NeighborLists`],
/// for the degree orders ([`Bipartite::greedy_in`]).
pub(super) struct Bipartite<'a> {
    pub(super) to_mid: &'a SparsityPattern,
    pub(super) to_vertex: &'a SparsityPattern,
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
    pub(super) fn intersection(b: &Bipartite<'_>) -> Option<Self> {
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
