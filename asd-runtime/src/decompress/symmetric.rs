//! Symmetric (Hessian) decompression: star colorings recover every entry directly,
//! acyclic colorings by substitution along their two-colored trees. Both fill both
//! triangles of the result, and both are worked out entirely at preparation.

use super::{check_colors, Decompression, Indices, Layout, Recovery, Step};
use crate::pattern::prefix_sum;
use crate::{Coloring, SparsityPattern};

impl Decompression {
    /// Direct decompression of a symmetric `n x n` pattern with a star coloring.
    ///
    /// `B = H S` with `S` from the column colors. An entry `(i, j)` is `B[i][c(j)]` when
    /// no other column of color `c(j)` has a nonzero in row `i`; otherwise it is taken
    /// from its mirror, `B[j][c(i)]`. In a star coloring one of the two always works (the
    /// non-hub end of every two-colored star sees its hub alone); which one is decided
    /// here, once, so evaluation stays a gather.
    ///
    /// Panics if the pattern is not square and symmetric, or if some entry is recoverable
    /// neither way (the coloring is not a star coloring).
    ///
    /// ```
    /// use asd_runtime::decompress::Decompression;
    /// use asd_runtime::{Coloring, SparsityPattern};
    /// // H = [1 2 0; 2 3 4; 0 4 5], a path 0 - 1 - 2 star-colored (0, 1, 0).
    /// let p = SparsityPattern::from_coordinates(
    ///     3,
    ///     3,
    ///     [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 1), (2, 2)],
    /// );
    /// let d = Decompression::star(&p, &Coloring::from_colors(vec![0, 1, 0]), 2);
    /// // B = H S with S = [e0 + e2, e1]; B[1][0] = 2 + 4 mixes two entries, so
    /// // H[1][0] is read from its mirror B[0][1] instead.
    /// let compressed = [1.0, 2.0, 6.0, 3.0, 5.0, 4.0];
    /// let mut values = [0.0; 7];
    /// d.decompress(&compressed, &mut values);
    /// assert_eq!(values, [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0]);
    /// ```
    pub fn star(pattern: &SparsityPattern, coloring: &Coloring, lanes: usize) -> Self {
        let mirror = mirror_positions(pattern);
        check_colors(coloring, pattern.ncols(), "columns");
        let colors = coloring.colors();
        let n = pattern.nrows();
        let layout = Layout::new(n, coloring.ncolors(), lanes);

        // alone[e] for e = (i, j): column j is the only column of color c(j) in row i.
        let mut count = vec![(usize::MAX, 0usize); coloring.ncolors()];
        let mut alone = vec![false; pattern.nnz()];
        let row_ptr = pattern.row_ptr();
        for (i, &start) in row_ptr.iter().enumerate().take(n) {
            let row = pattern.row(i);
            for &j in row {
                let slot = &mut count[colors[j]];
                *slot = if slot.0 == i { (i, slot.1 + 1) } else { (i, 1) };
            }
            for (e, &j) in (start..).zip(row) {
                alone[e] = count[colors[j]].1 == 1;
            }
        }

        let mut gather = Vec::with_capacity(pattern.nnz());
        for i in 0..n {
            for (e, &j) in (row_ptr[i]..).zip(pattern.row(i)) {
                // Below the diagonal: the value of the mirror, so the result is exactly
                // symmetric (both ways recover it, to rounding).
                let index = if j < i {
                    gather[mirror[e]]
                } else if alone[e] {
                    layout.index(i, colors[j])
                } else if alone[mirror[e]] {
                    layout.index(j, colors[i])
                } else {
                    panic!(
                        "asd: invalid star coloring: entry ({i}, {j}) is shared in row {i} \
                         (color {}) and in row {j} (color {})",
                        colors[j], colors[i]
                    );
                };
                gather.push(index);
            }
        }
        Self::direct(Recovery::Star, pattern, layout, gather)
    }

    /// Decompression by substitution of a symmetric `n x n` pattern with an acyclic
    /// coloring (a distance-1 coloring in which every two colors induce a forest).
    ///
    /// `B[u][c(v)]` is the sum of `H[u][w]` over the neighbors `w` of `u` with color
    /// `c(v)`: exactly `u`'s neighbors in the forest of colors `{c(u), c(v)}`. Peeling the
    /// leaves of each tree, a leaf `u` with last neighbor `v` gives
    /// `H[u][v] = B[u][c(v)] - sum of the H[u][w] already peeled`. The peeling order is
    /// computed here as a flat list of steps; at evaluation each step is a few
    /// subtractions of entries already recovered. Diagonal entries are `B[i][c(i)]`.
    ///
    /// Panics if the pattern is not square and symmetric, if two neighbors share a
    /// color, or if two colors induce a cycle (the coloring is not acyclic).
    ///
    /// ```
    /// use asd_runtime::decompress::Decompression;
    /// use asd_runtime::{Coloring, SparsityPattern};
    /// // A tridiagonal H (a path 0 - 1 - 2 - 3) in 2 colors: acyclic, but not a star coloring.
    /// let p = SparsityPattern::from_coordinates(
    ///     4,
    ///     4,
    ///     (0..4usize).flat_map(|i| [(i, i.saturating_sub(1)), (i, i), (i, (i + 1).min(3))]),
    /// );
    /// let d = Decompression::acyclic(&p, &Coloring::from_colors(vec![0, 1, 0, 1]), 2);
    /// // Diagonal 1, 2, 3, 4; off-diagonal H01 = 5, H12 = 6, H23 = 7. B = H S with
    /// // S = [e0 + e2, e1 + e3], so B[1][0] = H10 + H12 = 11 and B[2][1] = H21 + H23 = 13.
    /// let compressed = [1.0, 5.0, 11.0, 2.0, 3.0, 13.0, 7.0, 4.0];
    /// let mut values = [0.0; 10];
    /// d.decompress(&compressed, &mut values);
    /// assert_eq!(values, [1.0, 5.0, 5.0, 2.0, 6.0, 6.0, 3.0, 7.0, 7.0, 4.0]);
    /// assert!(d.nsubstitutions() > 0); // H12 needs a subtraction
    /// ```
    pub fn acyclic(pattern: &SparsityPattern, coloring: &Coloring, lanes: usize) -> Self {
        let mirror = mirror_positions(pattern);
        check_colors(coloring, pattern.ncols(), "columns");
        let colors = coloring.colors();
        let ncolors = coloring.ncolors();
        let n = pattern.nrows();
        let layout = Layout::new(n, ncolors, lanes);
        let row_ptr = pattern.row_ptr();

        // Gather B[i][c(j)] for every entry: final for the diagonal, the starting value of
        // the substitution for the others.
        let mut gather = Vec::with_capacity(pattern.nnz());
        let mut edges = Vec::new();
        for i in 0..n {
            for (e, &j) in (row_ptr[i]..).zip(pattern.row(i)) {
                gather.push(layout.index(i, colors[j]));
                if i < j {
                    if colors[i] == colors[j] {
                        panic!(
                            "asd: invalid acyclic coloring: neighbors {i} and {j} share color {}",
                            colors[i]
                        );
                    }
                    edges.push(Edge {
                        lo: i,
                        hi: j,
                        lo_hi: e,
                        hi_lo: mirror[e],
                    });
                }
            }
        }

        // Group the edges by color pair with two counting sorts (linear, unlike a sort).
        let pair = |e: &Edge| {
            let (a, b) = (colors[e.lo], colors[e.hi]);
            (a.min(b), a.max(b))
        };
        let edges = counting_sort(&edges, ncolors, |e| pair(e).1);
        let edges = counting_sort(&edges, ncolors, |e| pair(e).0);

        let mut peel = Peeler::new(n);
        let mut steps = Vec::with_capacity(edges.len());
        let mut subtract = Vec::new();
        let mut start = 0;
        while start < edges.len() {
            let key = pair(&edges[start]);
            let len = edges[start..].iter().take_while(|e| pair(e) == key).count();
            let group = &edges[start..start + len];
            let peeled = peel.forest(group, &mut steps, &mut subtract);
            if peeled < group.len() {
                panic!(
                    "asd: invalid acyclic coloring: colors {} and {} induce a cycle",
                    key.0, key.1
                );
            }
            start += len;
        }

        Decompression {
            recovery: Recovery::Acyclic,
            shape: pattern.shape(),
            gather: Indices::new(gather, layout.len()),
            layout,
            steps,
            subtract,
            targets: None,
        }
    }
}

/// An off-diagonal entry pair `(lo, hi)`, `(hi, lo)` with its two CSR positions.
#[derive(Clone, Copy, Debug)]
struct Edge {
    lo: usize,
    hi: usize,
    lo_hi: usize,
    hi_lo: usize,
}

impl Edge {
    /// The other end of the edge, and the CSR positions of `(u, other)` and `(other, u)`.
    fn from(&self, u: usize) -> (usize, usize, usize) {
        if u == self.lo {
            (self.hi, self.lo_hi, self.hi_lo)
        } else {
            (self.lo, self.hi_lo, self.lo_hi)
        }
    }
}

/// Stable counting sort by a key below `nkeys`.
fn counting_sort(items: &[Edge], nkeys: usize, key: impl Fn(&Edge) -> usize) -> Vec<Edge> {
    let mut start = vec![0; nkeys + 1];
    for e in items {
        start[key(e)] += 1;
    }
    prefix_sum(&mut start);
    let mut out = items.to_vec();
    for e in items {
        let slot = &mut start[key(e)];
        out[*slot] = *e;
        *slot += 1;
    }
    out
}

/// Scratch space for peeling the two-colored forests one at a time; vertex-indexed arrays
/// are allocated once and reset lazily by stamping them with the forest's number.
struct Peeler {
    stamp: Vec<usize>,
    local: Vec<usize>,
    forest: usize,
    verts: Vec<usize>,
    degree: Vec<usize>,
    adj_ptr: Vec<usize>,
    adj: Vec<usize>,
    done: Vec<bool>,
    leaves: Vec<usize>,
}

impl Peeler {
    fn new(n: usize) -> Self {
        Peeler {
            stamp: vec![usize::MAX; n],
            local: vec![0; n],
            forest: 0,
            verts: Vec::new(),
            degree: Vec::new(),
            adj_ptr: Vec::new(),
            adj: Vec::new(),
            done: Vec::new(),
            leaves: Vec::new(),
        }
    }

    /// Appends the substitution steps of one two-colored forest; returns how many edges
    /// were peeled (fewer than `edges.len()` means the forest has a cycle).
    fn forest(
        &mut self,
        edges: &[Edge],
        steps: &mut Vec<Step>,
        subtract: &mut Vec<usize>,
    ) -> usize {
        self.forest += 1;
        self.verts.clear();
        self.degree.clear();
        for e in edges {
            for w in [e.lo, e.hi] {
                if self.stamp[w] != self.forest {
                    self.stamp[w] = self.forest;
                    self.local[w] = self.verts.len();
                    self.verts.push(w);
                    self.degree.push(0);
                }
                self.degree[self.local[w]] += 1;
            }
        }
        // Local adjacency in compressed rows: for each vertex, the edges (by index) at it.
        let nv = self.verts.len();
        self.adj_ptr.clear();
        self.adj_ptr.push(0);
        for v in 0..nv {
            let next = self.adj_ptr[v] + self.degree[v];
            self.adj_ptr.push(next);
        }
        self.adj.clear();
        self.adj.resize(2 * edges.len(), 0);
        let mut fill = self.adj_ptr.clone();
        for (k, e) in edges.iter().enumerate() {
            for w in [e.lo, e.hi] {
                let v = self.local[w];
                self.adj[fill[v]] = k;
                fill[v] += 1;
            }
        }
        self.done.clear();
        self.done.resize(edges.len(), false);

        self.leaves.clear();
        self.leaves.extend((0..nv).filter(|&v| self.degree[v] == 1));
        let mut peeled = 0;
        while let Some(v) = self.leaves.pop() {
            if self.degree[v] != 1 {
                continue; // the last vertex of its tree: nothing left to peel
            }
            let u = self.verts[v];
            let mut last = None;
            for &k in &self.adj[self.adj_ptr[v]..self.adj_ptr[v + 1]] {
                let (_, u_w, _) = edges[k].from(u);
                if self.done[k] {
                    subtract.push(u_w);
                } else {
                    last = Some(k);
                }
            }
            let k = last.expect("a leaf has one edge left");
            let (w, target, mirror) = edges[k].from(u);
            steps.push(Step {
                target,
                mirror,
                end: subtract.len(),
            });
            self.done[k] = true;
            peeled += 1;
            self.degree[v] = 0;
            let lw = self.local[w];
            self.degree[lw] -= 1;
            if self.degree[lw] == 1 {
                self.leaves.push(lw);
            }
        }
        peeled
    }
}

/// For every stored entry `(i, j)` of a symmetric pattern, the CSR position of `(j, i)`.
///
/// Walking the rows in order visits column `j` with increasing `i`, which is the order
/// of row `j`'s own entries, so one cursor per row finds every mirror in linear time.
/// Panics, naming an unmatched entry, if the pattern is not square and symmetric.
pub(crate) fn mirror_positions(pattern: &SparsityPattern) -> Vec<usize> {
    let (m, n) = pattern.shape();
    assert_eq!(
        m, n,
        "asd: a Hessian pattern must be square, but it is {m} x {n}"
    );
    let row_ptr = pattern.row_ptr();
    let cols = pattern.col_indices();
    let mut cursor = row_ptr[..n].to_vec();
    let mut mirror = vec![0; pattern.nnz()];
    for i in 0..n {
        for (e, &j) in (row_ptr[i]..).zip(pattern.row(i)) {
            let c = cursor[j];
            if c < row_ptr[j + 1] && cols[c] < i {
                asymmetric(j, cols[c]); // row j holds an entry whose mirror was skipped
            }
            if c >= row_ptr[j + 1] || cols[c] != i {
                asymmetric(i, j);
            }
            mirror[e] = c;
            cursor[j] += 1;
        }
    }
    if let Some(j) = (0..n).find(|&j| cursor[j] != row_ptr[j + 1]) {
        asymmetric(j, cols[cursor[j]]);
    }
    mirror
}

fn asymmetric(i: usize, j: usize) -> ! {
    panic!(
        "asd: a Hessian pattern must be symmetric, but ({i}, {j}) is stored and ({j}, {i}) is not"
    )
}

/// Panics, naming an unmatched entry, unless `pattern` is square and symmetric.
pub(crate) fn check_symmetric(pattern: &SparsityPattern) {
    mirror_positions(pattern);
}
